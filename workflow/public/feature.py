"""The public pages' declaration (workflow/core/feature.py): the `[public]` table (what of a
case an organisation's public page shows), parsed by its rules."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _table_model() -> Any:
    from workflow.public.rules import Public

    return Public


def _service() -> Any:
    from workflow.public import service

    return service


def _web() -> Any:
    from workflow.public import web, web_admin

    return (web, web_admin)


def _cli() -> Any:
    from workflow.public import cli

    return cli


FEATURE = Feature(name="public", table="public", table_model=_table_model,
                  service=_service,
                  web=_web,
                  cli=_cli, extends=("org",))

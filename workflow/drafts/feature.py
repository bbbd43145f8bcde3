"""The drafts feature's declaration (workflow/core/feature.py): the `[drafts]` table (the
announcements' and the notes' drafts), parsed by its rules."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _table_model() -> Any:
    from workflow.drafts.rules import Drafts

    return Drafts


def _service() -> Any:
    from workflow.drafts import service

    return service


def _web() -> Any:
    from workflow.drafts import web

    return (web,)


def _cli() -> Any:
    from workflow.drafts import cli

    return cli


FEATURE = Feature(name="drafts", table="drafts", table_model=_table_model,
                  service=_service, web=_web,
                  cli=_cli, commands=("draft",))

"""The planning feature's declaration (workflow/core/feature.py): the internal analysis's
`[planning]` table; it opens its definition's cases itself (an analysis is planned)."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _table_model() -> Any:
    from workflow.planning.table import PlanningTable

    return PlanningTable


def _listener() -> Any:
    from workflow.planning.listener import LISTENER

    return LISTENER


def _opener() -> Any:
    from workflow.planning.listener import OPENER

    return OPENER


def _service() -> Any:
    from workflow.planning import service

    return service


def _web() -> Any:
    from workflow.planning import web

    return (web,)


def _cli() -> Any:
    from workflow.planning import cli

    return cli


FEATURE = Feature(name="planning", table="planning", table_model=_table_model,
                  listener=_listener, opener=_opener,
                  service=_service, web=_web,
                  cli=_cli, commands=("analysis", "external", "programme"))

"""The monitoring feature's declaration (workflow/core/feature.py): the `[monitoring]` table;
it opens its reporting periods when the note is signed and re-plans its per-period stages."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _table_model() -> Any:
    from workflow.monitoring.table import MonitoringTable

    return MonitoringTable


def _listener() -> Any:
    from workflow.monitoring.listener import LISTENER

    return LISTENER


def _service() -> Any:
    from workflow.monitoring import service

    return service


def _cli() -> Any:
    from workflow.monitoring import cli

    return cli


FEATURE = Feature(name="monitoring", table="monitoring", table_model=_table_model,
                  listener=_listener, service=_service,
                  cli=_cli, commands=("risk", "recommendation", "plan", "monitoring", "positions"),
                  extends=("org",))

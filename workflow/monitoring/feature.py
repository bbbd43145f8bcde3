"""The monitoring feature's declaration (workflow/core/feature.py): the `[monitoring]` table;
it opens its reporting periods when the note is signed and re-plans its per-period stages."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy

FEATURE = Feature(name="monitoring", table="monitoring",
                  table_model=lazy("workflow.monitoring.table:MonitoringTable"),
                  listener=lazy("workflow.monitoring.listener:LISTENER"),
                  service=lazy("workflow.monitoring.service"),
                  cli=lazy("workflow.monitoring.cli"),
                  commands=("risk", "recommendation", "plan", "monitoring", "positions"),
                  extends=("org",))

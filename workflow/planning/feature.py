"""The planning feature's declaration (workflow/core/feature.py): the internal analysis's
`[planning]` table; it opens its definition's cases itself (an analysis is planned), and plans
the demo's analyses and programme."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="planning", table="planning",
                  table_model=lazy("workflow.planning.table:PlanningTable"),
                  listener=lazy("workflow.planning.listener:LISTENER"),
                  opener=lazy("workflow.planning.listener:OPENER"),
                  service=lazy("workflow.planning.service"),
                  demo=lazy("workflow.planning.demo:load"), web=lazy_all("workflow.planning.web"),
                  cli=lazy("workflow.planning.cli"),
                  commands=("analysis", "external", "programme"))

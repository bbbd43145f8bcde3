"""The coverage feature's declaration (workflow/core/feature.py): config.toml's `[coverage]`
settings and the reminder worker's daily plan of the subdivisions' missing submissions."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="coverage", service=lazy("workflow.coverage.service"),
                  settings_table="coverage",
                  settings=lazy("workflow.coverage.rules:CoverageSettings.from_config"),
                  remind=lazy("workflow.coverage.service:remind"),
                  web=lazy_all("workflow.coverage.web"), builds_on=("scorecard",),
                  cli=lazy("workflow.coverage.cli"), commands=("coverage", "submissions"))

"""The scorecard feature's declaration (workflow/core/feature.py): the registers' and the
procedures' `[scorecard]` table, and config.toml's `[scorecard]` settings."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="scorecard", table="scorecard",
                  table_model=lazy("workflow.scorecard.table:ScorecardTable"),
                  service=lazy("workflow.scorecard.service"), settings_table="scorecard",
                  settings=lazy("workflow.scorecard.rules:ScoreSettings.from_config"),
                  web=lazy_all("workflow.scorecard.web"),
                  cli=lazy("workflow.scorecard.cli"), commands=("score",))

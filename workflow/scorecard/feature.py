"""The scorecard feature's declaration (workflow/core/feature.py): the registers' and the
procedures' `[scorecard]` table, and config.toml's `[scorecard]` settings."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _table_model() -> Any:
    from workflow.scorecard.table import ScorecardTable

    return ScorecardTable


def _settings() -> Any:
    from workflow.scorecard.rules import ScoreSettings

    return ScoreSettings.from_config


def _service() -> Any:
    from workflow.scorecard import service

    return service


def _web() -> Any:
    from workflow.scorecard import web

    return (web,)


def _cli() -> Any:
    from workflow.scorecard import cli

    return cli


FEATURE = Feature(name="scorecard", table="scorecard", table_model=_table_model,
                  service=_service,
                  settings_table="scorecard", settings=_settings, web=_web,
                  cli=_cli, commands=("score",))

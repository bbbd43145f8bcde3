"""The coverage feature's declaration (workflow/core/feature.py): config.toml's `[coverage]`
settings and the reminder worker's daily plan of the subdivisions' missing submissions."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _settings() -> Any:
    from workflow.coverage.rules import CoverageSettings

    return CoverageSettings.from_config


def _remind() -> Any:
    from workflow.coverage.service import remind

    return remind


def _service() -> Any:
    from workflow.coverage import service

    return service


FEATURE = Feature(name="coverage", service=_service, settings_table="coverage",
                  settings=_settings, remind=_remind, builds_on=("scorecard",))

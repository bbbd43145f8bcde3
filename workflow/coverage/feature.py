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


def _web() -> Any:
    from workflow.coverage import web

    return (web,)


def _cli() -> Any:
    from workflow.coverage import cli

    return cli


FEATURE = Feature(name="coverage", service=_service, settings_table="coverage",
                  settings=_settings, remind=_remind, web=_web, builds_on=("scorecard",),
                  cli=_cli, commands=("coverage", "submissions"))

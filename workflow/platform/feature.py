"""The cross-platform package's declaration (workflow/core/feature.py): it reads no
definition table; its commands and pages are composed by the command line and the web."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _service() -> Any:
    from workflow.platform import service

    return service


def _web() -> Any:
    from workflow.platform import web

    return (web,)


def _cli() -> Any:
    from workflow.platform import cli

    return cli


FEATURE = Feature(name="platform", service=_service, web=_web,
                  cli=_cli, commands=("package", "uploaded"))

"""The report forms' declaration (workflow/core/feature.py): the registers' `[form]` table;
it writes the forms the cross-platform package holds."""

from __future__ import annotations

from typing import Any

from workflow.core.feature import Feature


def _table_model() -> Any:
    from workflow.forms.table import FormTable

    return FormTable


def _service() -> Any:
    from workflow.forms import service

    return service


def _package_form() -> Any:
    from workflow.forms.service import package_form

    return package_form


def _web() -> Any:
    from workflow.forms import web

    return (web,)


def _cli() -> Any:
    from workflow.forms import cli

    return cli


FEATURE = Feature(name="forms", table="form", table_model=_table_model,
                  service=_service, package_form=_package_form, web=_web,
                  cli=_cli, commands=("form",))

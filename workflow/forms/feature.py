"""The report forms' declaration (workflow/core/feature.py): the registers' `[form]` table;
it writes the forms the cross-platform package holds."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="forms", table="form", table_model=lazy("workflow.forms.table:FormTable"),
                  service=lazy("workflow.forms.service"),
                  package_form=lazy("workflow.forms.service:package_form"),
                  web=lazy_all("workflow.forms.web"),
                  cli=lazy("workflow.forms.cli"), commands=("form",))

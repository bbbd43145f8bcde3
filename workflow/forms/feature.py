"""The report forms' declaration (workflow/core/feature.py): the registers' `[form]` table;
it writes the forms the cross-platform package holds. Its national report takes in the
organisations under the subjects the scorecard's settings name (`consolidating_kinds`)."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="forms", table="form", table_model=lazy("workflow.forms.table:FormTable"),
                  service=lazy("workflow.forms.service"),
                  package_form=lazy("workflow.forms.service:package_form"),
                  web=lazy_all("workflow.forms.web"), builds_on=("scorecard",),
                  cli=lazy("workflow.forms.cli"), commands=("form",))

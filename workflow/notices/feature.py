"""The notification centre's declaration (workflow/core/feature.py): it reads no definition
table; its commands and pages are composed by the command line and the web application."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="notices", service=lazy("workflow.notices.service"),
                  web=lazy_all("workflow.notices.web"),
                  cli=lazy("workflow.notices.cli"), commands=("preferences",))

"""The declarations list's declaration (workflow/core/feature.py): it reads no definition table
(its deadline is the declaration reminder's setting); its commands and pages are composed by
the command line and the web application."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="declarations", service=lazy("workflow.declarations.service"),
                  web=lazy_all("workflow.declarations.web"),
                  cli=lazy("workflow.declarations.cli"), commands=("declarations",))

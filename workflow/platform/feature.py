"""The cross-platform package's declaration (workflow/core/feature.py): it reads no
definition table; config.toml's `[package]` settings (the operator's implementation map) are
its own; its commands and pages are composed by the command line and the web."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="platform", service=lazy("workflow.platform.service"),
                  settings_table="package",
                  settings=lazy("workflow.platform.map:PackageSettings.from_config"),
                  web=lazy_all("workflow.platform.web"),
                  cli=lazy("workflow.platform.cli"), commands=("package", "uploaded"))

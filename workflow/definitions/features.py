"""The installed features, as the definitions' loader and the engine read them: the registry
of workflow/core/feature.py, filled by the composition roots (`workflow.installed.install()`).

A definition switches a feature on with a table of the feature's name (`[monitoring]`,
`[scorecard]`, `[public]`, `[drafts]`, …); the engine names no feature and asks the registry
for a feature's parser, listener, opener, settings or reminders.
"""

from __future__ import annotations

from workflow.core.feature import by_table, feature, install, installed, providing, tables_of

__all__ = ["by_table", "feature", "install", "installed", "providing", "tables_of"]

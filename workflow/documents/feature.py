"""The documents feature's declaration (workflow/core/feature.py): the documents of an internal
analysis and the procedures' papers drafted from their data (which stage each confirms:
documents.toml, and the `[papers]` table an operator's definition carries), config.toml's
`[documents]` settings (the operator's templates, checked when merzim starts serving), and
its part of the demo (the risks, recommendations and measures of the demo's first analysis,
recorded through the monitoring's service: it builds on the monitoring)."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="documents", table="papers",
                  table_model=lazy("workflow.documents.table:Papers"),
                  service=lazy("workflow.documents.service"),
                  settings_table="documents",
                  settings=lazy("workflow.documents.texts:DocumentsSettings.from_config"),
                  check=lazy("workflow.documents.texts:check_installation"),
                  demo=lazy("workflow.documents.demo:load"),
                  web=lazy_all("workflow.documents.web"),
                  cli=lazy("workflow.documents.cli"), commands=("document",),
                  builds_on=("monitoring",))

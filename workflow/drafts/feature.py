"""The drafts feature's declaration (workflow/core/feature.py): the `[drafts]` table (the
announcements' and the notes' drafts), read by its model, and config.toml's `[drafts]`
settings (the operator's templates)."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="drafts", table="drafts", table_model=lazy("workflow.drafts.rules:Drafts"),
                  service=lazy("workflow.drafts.service"), settings_table="drafts",
                  settings=lazy("workflow.drafts.texts:DraftsSettings.from_config"),
                  web=lazy_all("workflow.drafts.web"),
                  cli=lazy("workflow.drafts.cli"), commands=("draft",))

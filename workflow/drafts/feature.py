"""The drafts feature's declaration (workflow/core/feature.py): the `[drafts]` table (the
announcements' and the notes' drafts), read by its model."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="drafts", table="drafts", table_model=lazy("workflow.drafts.rules:Drafts"),
                  service=lazy("workflow.drafts.service"), web=lazy_all("workflow.drafts.web"),
                  cli=lazy("workflow.drafts.cli"), commands=("draft",))

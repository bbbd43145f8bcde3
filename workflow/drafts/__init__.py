"""Announcement drafts: a stage's text written from the case, in kk/ru/en, as text or
DOCX, kept with the record that publishes it.

`texts` (the Jinja2 templates, shipped in `draft_templates/` or the operator's) · `service` ·
`cli` (`merzim draft`) · `web` (the draft page and its API) · `templates/` (its page).
Switched on by a definition's `[drafts.STAGE]` tables.
"""

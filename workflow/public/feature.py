"""The public pages' declaration (workflow/core/feature.py): the definitions' `[public]` table
(what of a case an organisation's public page shows), read by its model, and config.toml's
`[public]` settings (whose pages are on, their cache, rate limit and framing)."""

from __future__ import annotations

from workflow.core.feature import Feature, lazy, lazy_all

FEATURE = Feature(name="public", table="public", table_model=lazy("workflow.public.rules:Public"),
                  service=lazy("workflow.public.service"), settings_table="public",
                  settings=lazy("workflow.public.settings:PublicSettings.from_config"),
                  web=lazy_all("workflow.public.web", "workflow.public.web_admin"),
                  cli=lazy("workflow.public.cli"), extends=("org",))

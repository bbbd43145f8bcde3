"""An organisation's public page: its announced cases, their dates and public files,
as a page, an Atom feed and an embed, for everyone; never a case about a person.

`service` · `cli` (`merzim org public`) · `web` (/public pages, unauthenticated) · `web_admin`
(the admins' switch) · `templates/`. Switched on by a definition's `[public]` table.
"""

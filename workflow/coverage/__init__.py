"""Coverage (issue 28, item 6; B-14): for a subject and a year, the subdivisions without an
analysis whose note is signed, and the points of 1.3.3 (the largest indicator, 30 points) each
would add.

A view of the scorecard's 1.3.3, built on its rules and facts (`workflow.scorecard.rules`,
`workflow.scorecard.service`: one copy of the subdivisions and of the points), so this feature
sits above the other features in `.importlinter` (nothing but `web.app` imports it).

`rules` (pure: the list, the points each would add, `CoverageSettings`, the reminder's period)
· `service` (the facts, names, the reminders written to the outbox) · `cli` (`merzim coverage`)
· `web` (/coverage, `GET /api/v1/coverage`, the overview's figure) · `templates/`. Configured by
config.toml's `[coverage]` (the reminders' first day and how often).
"""

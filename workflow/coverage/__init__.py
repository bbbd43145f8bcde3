"""Coverage (B-14): for a subject and a year, the subdivisions without an
analysis whose note is signed, and the points of 1.3.3 (the largest indicator, 30 points) each
would add.

A view of the scorecard's 1.3.3, built on its rules and facts (`workflow.scorecard.rules`,
`workflow.scorecard.service`: one copy of the subdivisions and of the points), so this feature
sits above the other features in `.importlinter` (nothing but `web.app` imports it).

And B-18 (000:L92-98): the final reporting form each unit under a central body or an akimat
presents to it (the register whose `[scorecard]` says `final_report`), submitted or not, read
from the registers' entries (`workflow.registers`), with its reminder before the body's own
deadline.

`rules` (pure: the list, the points each would add, `CoverageSettings`, the reminder's period;
the units' final reports and their reminder's week) · `service` (the facts, names, the
reminders written to the outbox; `submissions`) · `cli` (`merzim coverage`, `merzim
submissions`) · `web` (/coverage with its `#submissions` section, `GET /api/v1/coverage`,
`GET /api/v1/submissions`, the overview's figure) · `templates/`. Configured by config.toml's
`[coverage]` (the reminders' first day and how often; `submissions_remind_days`).
"""

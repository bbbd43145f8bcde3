"""The monitoring after the note (I-8): corruption risks, recommendations, the action plan, the
reporting periods with their reports and reviews, and the positions exposed to risk.

`rules` (pure: periods, their due dates) · `service` (use cases) · `listener` (what it does when
a case is recorded, voided or re-planned: services.hooks) · `cli` (`merzim risk`,
`recommendation`, `plan`, `monitoring`, `positions`, `org subdivision`). Switched on by a
definition's `[monitoring]` table.
"""

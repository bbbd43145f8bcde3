"""The planning of internal analyses: an analysis planned for a subject and object (the
`[planning]` table names the dates `--start`/`--end` give, the length limit and the external
analysis's gap), programmes (a subject's year) and their schedule, external analyses, the
schedule import in bulk, and no duplicates.

`service` (use cases; `planned_definition`: the definition whose `[planning]` table it reads)
· `bulk` (the schedule import: checked, then written at once) · `listener` (opens an analysis
from the generic forms: services.hooks.opener) · `cli` (`merzim analysis`, `external`,
`programme`) · `web` (/programmes, the API's programmes and analyses). Switched on by a
definition's `[planning]` table.
"""

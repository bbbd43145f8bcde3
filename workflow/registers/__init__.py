"""The registers' read side: one reading of the registers of projects No. 2-4 for every report.

A register is a process definition whose `[scorecard]` names an indicator (its spec, typed and
checked when the file loads: `workflow/core/register_spec.py`). Here: `entries` (pure: a case
with its records and counted stage → an entry: its organisation, the years it counts in by the
register's one year rule, counted or not and why, values by role, the day it was entered),
`reader` (the entries of some organisations and years in a bounded number of queries) and
`scope` (pure: which organisations a subject's evaluation and forms take in — consolidation).
The evaluation, the report forms, coverage and the cross-platform package read entries, never a
case or a raw table.
"""

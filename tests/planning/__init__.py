"""The planning of internal analyses: schedules, bulk imports, duplicates, hand-overs."""

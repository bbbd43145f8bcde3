"""The personnel service's declarations list (002:L174-181): for a year and an organisation,
every employee obliged to declare, her notice of submission (the day, the scan filed to her
record), the reminders sent her, and who is missing.

* `service.py`: the one owner of the list and its counts (obliged, notified, missing), the
  staff list (added one by one or from a staff file; not accounts), a notice recorded with
  its scan, the reminders to the missing ones (through the outbox: once a day), the export.
* `cli.py`: `merzim declarations list|add|left|import|record|remind|export|counts`.
* `web.py`: /declarations (an organisation's officer: the list and its forms; a manager: the
  count per organisation of his subtree).
* `templates/`.

The deadline is the declaration reminder's setting (P-5, `declaration_deadline` of
workflow/definitions/procedures/declaration_reminder.toml), never a date of its own."""

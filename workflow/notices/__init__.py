"""The notification centre and per-person reminder preferences.

* `rules.py` (pure): the kinds of items, their keys, the preferences typed in a form checked.
* `service.py`: a person's items derived from what is stored (her cases' open stages due soon
  and overdue, records and withdrawals by others on them, the cases handed to her), read marks,
  preferences, mutes and snoozes.
* `web.py`: /notifications, /account/reminders, `GET /api/v1/notifications` and its POST, and
  the menu's bell (its `PARTS`' `menu`, composed by web/app.py).
* `templates/`.

The reminder planner (workflow/reminders/planner.py) reads the same preferences as data."""

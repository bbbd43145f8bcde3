"""Reminder policy, outbox delivery and channels (built by the reminders issue)."""

"""Reminders and their delivery: the policy, the outbox, email, Telegram, the worker."""

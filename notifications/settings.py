"""The settings of the channels and of the reminder policy: plain values, in a module of their
own so that reading config.toml loads no SMTP, HTTP or calendar code (workflow/settings.py
builds them; the channels and the policy use them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "starttls"  # starttls | tls | none
    sender: str = "merzim@localhost"
    user: str | None = None  # from the environment (MERZIM_SMTP_USER)
    password: str | None = None  # from the environment (MERZIM_SMTP_PASSWORD)
    timeout: float = 30.0
    # A session is reused for the messages of a dispatch run; one older than this is
    # replaced (as Postfix's smtp_connection_reuse_time_limit); None: no age limit.
    reuse_seconds: float | None = 300.0


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    base_url: str = "https://api.telegram.org"
    rate_per_second: float = 25.0  # the Bot API allows about 30 messages a second across chats
    timeout: float = 30.0


@dataclass(frozen=True)
class ReminderSettings:
    before: tuple[int, ...] = (5, 1, 0)
    overdue_daily: bool = True
    escalate_levels: int = 1
    escalate_after: int = 1  # working days overdue before managers hear of it

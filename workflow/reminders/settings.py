"""Reminder, channel, outbox and worker settings from config.toml, checked at start.

Secrets come from the environment only: MERZIM_SMTP_USER, MERZIM_SMTP_PASSWORD,
MERZIM_TELEGRAM_TOKEN.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from notifications.email import SmtpSettings
from notifications.policy import ReminderSettings
from notifications.telegram import TelegramSettings
from workflow.core.errors import ConfigError
from workflow.settings import Settings

CHANNELS = ("email", "telegram")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")

DEFAULTS: dict[str, dict[str, Any]] = {
    "reminders": {"channels": ["email"], "send_time": "09:00", "before": [5, 1, 0],
                  "overdue_daily": True, "escalate_levels": 1, "escalate_after": 1},
    "email": {"host": "localhost", "port": 25, "security": "starttls",
              "from": "merzim@localhost", "timeout": 30},
    "telegram": {"base_url": "https://api.telegram.org", "rate_per_second": 25,
                 "poll_seconds": 5},
    "outbox": {"max_attempts": 8, "backoff_seconds": 60, "max_backoff_seconds": 3600,
               "lease_seconds": 300, "batch": 20},
    "worker": {"catch_up_minutes": 5, "dispatch_seconds": 15},
}


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 8
    backoff_seconds: float = 60
    max_backoff_seconds: float = 3600
    lease_seconds: float = 300
    batch: int = 20


@dataclass(frozen=True)
class NotifySettings:
    channels: tuple[str, ...]
    send_time: time
    policy: ReminderSettings
    smtp: SmtpSettings | None
    telegram: TelegramSettings | None
    telegram_poll_seconds: float
    outbox: OutboxSettings
    catch_up_minutes: float
    dispatch_seconds: float


def _section(settings: Settings, name: str) -> dict[str, Any]:
    given = settings.raw.get(name) or {}
    if not isinstance(given, dict):
        raise ConfigError(f"[{name}] must be a table")
    return {**DEFAULTS[name], **given}


def _number(section: str, key: str, value: Any, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{section}.{key}: {value!r} must be a number >= {minimum}")
    return value


def load_notify_settings(settings: Settings, env: dict[str, str] | None = None,
                         require_secrets: bool = True) -> NotifySettings:
    """Parse and check; a wrong value stops merzim with a message naming it."""
    env = os.environ if env is None else env
    rem = _section(settings, "reminders")
    channels = rem["channels"]
    if not isinstance(channels, list):
        raise ConfigError("reminders.channels: must be a list such as [\"email\", \"telegram\"]")
    for ch in channels:
        if ch not in CHANNELS:
            raise ConfigError(f"reminders.channels: unknown channel {ch!r} (known: email, telegram)")
    try:
        hh, mm = (int(x) for x in str(rem["send_time"]).split(":"))
        send_time = time(hh, mm)
    except ValueError:
        raise ConfigError(f"reminders.send_time: {rem['send_time']!r} is not HH:MM") from None
    before = rem["before"]
    if not isinstance(before, list) or not all(isinstance(b, int) and b >= 0 for b in before):
        raise ConfigError("reminders.before: must be a list of working-day counts >= 0")
    policy = ReminderSettings(
        before=tuple(sorted(set(before), reverse=True)),
        overdue_daily=bool(rem["overdue_daily"]),
        escalate_levels=int(_number("reminders", "escalate_levels", rem["escalate_levels"])),
        escalate_after=int(_number("reminders", "escalate_after", rem["escalate_after"], 1)),
    )
    smtp = None
    if "email" in channels:
        em = _section(settings, "email")
        if em["security"] not in ("starttls", "tls", "none"):
            raise ConfigError(f"email.security: {em['security']!r} must be starttls, tls or none")
        if not isinstance(em["from"], str) or not EMAIL.match(em["from"]):
            raise ConfigError(f"email.from: {em['from']!r} is not an email address")
        if "password" in em or "user" in em:
            raise ConfigError("email: the SMTP user and password come from the environment "
                              "(MERZIM_SMTP_USER, MERZIM_SMTP_PASSWORD), not config.toml")
        smtp = SmtpSettings(host=str(em["host"]), port=int(_number("email", "port", em["port"], 1)),
                            security=em["security"], sender=em["from"],
                            user=env.get("MERZIM_SMTP_USER") or None,
                            password=env.get("MERZIM_SMTP_PASSWORD") or None,
                            timeout=float(_number("email", "timeout", em["timeout"], 1)))
    telegram = None
    tg = _section(settings, "telegram")
    if "telegram" in channels:
        if "token" in tg:
            raise ConfigError("telegram.token: the bot token comes from the environment "
                              "(MERZIM_TELEGRAM_TOKEN), not config.toml")
        token = env.get("MERZIM_TELEGRAM_TOKEN", "")
        if require_secrets and not token:
            raise ConfigError("telegram: channel enabled but MERZIM_TELEGRAM_TOKEN is not set")
        base = str(tg["base_url"])
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"telegram.base_url: {base!r} is not an http(s) URL")
        telegram = TelegramSettings(token=token, base_url=base,
                                    rate_per_second=float(_number("telegram", "rate_per_second",
                                                                  tg["rate_per_second"], 0.1)))
    ob = _section(settings, "outbox")
    outbox = OutboxSettings(
        max_attempts=int(_number("outbox", "max_attempts", ob["max_attempts"], 1)),
        backoff_seconds=float(_number("outbox", "backoff_seconds", ob["backoff_seconds"])),
        max_backoff_seconds=float(_number("outbox", "max_backoff_seconds",
                                          ob["max_backoff_seconds"])),
        lease_seconds=float(_number("outbox", "lease_seconds", ob["lease_seconds"], 0.1)),
        batch=int(_number("outbox", "batch", ob["batch"], 1)),
    )
    wk = _section(settings, "worker")
    return NotifySettings(
        channels=tuple(channels), send_time=send_time, policy=policy, smtp=smtp,
        telegram=telegram,
        telegram_poll_seconds=float(_number("telegram", "poll_seconds", tg["poll_seconds"], 0.1)),
        outbox=outbox,
        catch_up_minutes=float(_number("worker", "catch_up_minutes", wk["catch_up_minutes"], 0.01)),
        dispatch_seconds=float(_number("worker", "dispatch_seconds", wk["dispatch_seconds"], 0.1)),
    )

"""The tables of the worker and the reminders: the outbox, Telegram links, the worker's state and
leases, each person's reminder preferences, holds and read notices. Built when one of their
names is first asked of `workflow.storage.models`, whose models they are (`__module__ = FACADE`:
see there)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written once per (recipient, channel, local day, digest)."""

    __tablename__ = "outbox"
    __module__ = FACADE
    __table_args__ = (
        UniqueConstraint("recipient_id", "channel", "local_day", "digest"),
        UniqueConstraint("declarant_id", "channel", "local_day", "digest",
                         name="uq_outbox_declarant"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    # an account's message; None for a declarant's reminder (0039: `declarant_id`, an employee
    # on the declarations list, who has no account)
    recipient_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    channel: str = Field(max_length=16)
    local_day: date
    digest: str = Field(max_length=64)
    address: str = Field(max_length=254)
    subject: str = Field(max_length=500)
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed
    attempts: int = 0
    next_attempt_at: float = 0.0  # epoch seconds
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: float | None = None
    sent_at: float | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: float = 0.0
    # the stages a digest lists, JSON [[case id, stage key], …] (0014): what its Telegram
    # message's "snooze" buttons snooze (a reminder_hold each); None for other messages
    stages: str | None = Field(default=None, sa_column=Column(Text))
    declarant_id: int | None = Field(default=None, foreign_key="declarant.id", index=True)


class TelegramLink(SQLModel, table=True):
    """A one-time code that binds the Telegram chat sending '/start CODE' to a user."""

    __tablename__ = "telegram_link"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    code: str = Field(max_length=32, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id")
    expires_at: float
    used_at: float | None = None


class WorkerState(SQLModel, table=True):
    """Small key/value state of the worker (e.g. the Telegram update offset)."""

    __tablename__ = "worker_state"
    __module__ = FACADE
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class Lease(SQLModel, table=True):
    """A job only one process may run at a time across nodes (the Telegram poller): held by
    `holder` until `expires_at` (seconds since the epoch), renewed while it runs (0012)."""

    __tablename__ = "lease"
    __module__ = FACADE
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: float


class ReminderPreference(SQLModel, table=True):
    """A person's reminder preferences: None in a column is the
    organisation's setting ([reminders] and [worker] of config.toml)."""

    __tablename__ = "reminder_preference"
    __module__ = FACADE
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    channels: str | None = Field(default=None, max_length=64)  # "email,telegram"; "": none
    before: str | None = Field(default=None, max_length=64)  # working days before: "5,1,0"
    digest_hour: int | None = None  # the local hour her daily digest is planned from


class ReminderHold(SQLModel, table=True):
    """A case muted (stage_key and until None) or a stage snoozed until a day, for one person."""

    __tablename__ = "reminder_hold"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    case_id: int = Field(foreign_key="process_case.id")
    stage_key: str | None = Field(default=None, max_length=64)
    until: date | None = None
    created_at: str = Field(max_length=40)


class NoticeRead(SQLModel, table=True):
    """One item of a person's notification centre marked read (its key names it)."""

    __tablename__ = "notice_read"
    __module__ = FACADE
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    item: str = Field(max_length=120, primary_key=True)
    read_at: str = Field(max_length=40)

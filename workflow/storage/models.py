"""Tables (SQLModel): organisations, users, programmes, cases, stages, records, audit log."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    false,
    inspect,
)
from sqlmodel import Field, SQLModel

from workflow.core.definition import ORG_KINDS  # noqa: E402,F401  (one list of kinds)

ROLES = ("officer", "manager", "admin")
OPEN, DONE_ON_TIME, DONE_LATE = "open", "done_on_time", "done_late"
NOT_APPLICABLE = "not_applicable"
NOT_DONE = "not_done"
OVERDUE = "overdue"  # shown, not stored: an open stage whose due date has passed
EVENT, NOT_DONE_RECORD, VOID = "event", "not_done", "void"  # kinds of EventRecord


def _partial(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows where `where` holds, as the migrations create it on both
    backends (SQLite and PostgreSQL: `CREATE UNIQUE INDEX … WHERE …`). The condition is kept in
    the index's `info`, not as `sqlite_where`/`postgresql_where`: naming a dialect's option
    makes SQLAlchemy import that dialect when the model is built, ~30 ms of every command on
    SQLite for PostgreSQL's. The migrations own the schema (nothing calls create_all);
    tests/test_migrations.py checks each such index of the migrated database against `where`."""
    return Index(name, *columns, unique=True, info={"where": where})


class _Saved(Protocol):
    id: int | None


def saved_id(row: _Saved) -> int:
    """The primary key of a row read from the database or flushed: every such row has one
    (`id` is typed `int | None` only because a new row has none until it is flushed)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: it was never flushed")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table: what SQLModel sets as `__table__`, typed for mypy."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class Organisation(SQLModel, table=True):
    """A body in the tree; `path` is '/root_id/.../own_id/' so a subtree is a prefix range."""

    __tablename__ = "organisation"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=300)
    name_kk: str | None = Field(default=None, max_length=300)
    name_ru: str | None = Field(default=None, max_length=300)
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    path: str = Field(default="", max_length=400, index=True)
    # the admin's switch for the public page; None: as `[public] organisations` says (0009)
    public_page: bool | None = None


class User(SQLModel, table=True):
    """A person merzim knows: officer, manager or admin of one organisation."""

    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=100, unique=True, index=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="kk", max_length=2)
    telegram_chat_id: str | None = Field(default=None, max_length=64)
    telegram_active: bool = True
    active: bool = True
    password_hash: str | None = Field(default=None, max_length=200)
    failed_logins: int = 0
    locked_until: float | None = None


class Programme(SQLModel, table=True):
    """A subject's schedule of analyses for one year."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("subject_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="organisation.id", index=True)
    year: int


class Case(SQLModel, table=True):
    """One case of a process definition: a subject organisation (optionally an object
    organisation, a person, typed fields), the named dates it was opened with, and its state.
    An internal analysis is a case; so is a conflict-of-interest notice or a quarter's
    obligation (`period` set: one case per definition, organisation and period)."""

    __tablename__ = "process_case"
    __table_args__ = (
        _partial("uq_case_obligation_period", "process", "subject_id", "period",
                 where="period IS NOT NULL"),
        Index("ix_case_process_subject", "process", "subject_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    process: str = Field(max_length=64)
    process_version: int = 1
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    subject_id: int = Field(foreign_key="organisation.id", index=True)
    object_id: int | None = Field(default=None, foreign_key="organisation.id")
    person_name: str | None = Field(default=None, max_length=200)
    person_position: str | None = Field(default=None, max_length=300)
    fields: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    dates: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # given at opening
    period: str | None = Field(default=None, max_length=16)
    case_date: date  # the date lists and years count by: the start, the period's start, the notice
    state: str = Field(max_length=32)
    responsible_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)  # 0010
    override_reason: str | None = Field(default=None, sa_column=Column(Text))
    cancel_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: str = Field(max_length=40)
    # withdrawn (opened by mistake, issue 29): when, by whom, why; the case leaves every list,
    # reminder and score and stays in the history and the audit log (0011)
    withdrawn_at: str | None = Field(default=None, max_length=40)
    withdrawn_by: str | None = Field(default=None, max_length=100)
    withdrawn_reason: str | None = Field(default=None, sa_column=Column(Text))

    def given(self) -> dict[str, date]:
        """The named dates given when the case was opened."""
        return {k: date.fromisoformat(v) for k, v in (self.dates or {}).items() if v}


class ProcessDefinition(SQLModel, table=True):
    """The text of each definition version a case was opened with (a case keeps its version
    when the file changes; an edited file with the same version is refused)."""

    __tablename__ = "process_definition"
    key: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    sha256: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    stored_at: str = Field(max_length=40)


class Stage(SQLModel, table=True):
    """One stage of a case (or of a programme): due date, status, completion, evidence."""

    __tablename__ = "stage"
    __table_args__ = (
        # A stage key once per case and once per programme. Two partial indexes: a unique
        # constraint over a nullable column never fires (NULLs are distinct).
        _partial("uq_stage_case_key", "case_id", "key", where="case_id IS NOT NULL"),
        _partial("uq_stage_programme_key", "programme_id", "key",
                 where="programme_id IS NOT NULL"),
        # the overdue and due lists' counts and summaries read these indexes only (0008)
        Index("ix_stage_status_due", "status", "due_date", "subject_path", "case_id"),
        Index("ix_stage_path_status_due", "subject_path", "status", "due_date", "case_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # no index of their own: the partial unique indexes above lead with them (0015)
    case_id: int | None = Field(default=None, foreign_key="process_case.id")
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    key: str = Field(max_length=64)
    subject_id: int = Field(foreign_key="organisation.id")
    subject_path: str = Field(max_length=400)
    due_date: date | None = None
    projected: bool = False
    status: str = Field(default=OPEN, max_length=16)
    done_on: date | None = None
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class EventRecord(SQLModel, table=True):
    """What was recorded for a case, in order: an event (with its date and document), a stage
    closed as not done, or the void of an earlier record. Nothing is edited or deleted: a
    voided record stays, marked with the void that voided it."""

    __tablename__ = "event_record"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="process_case.id", index=True)
    kind: str = Field(default=EVENT, max_length=16)  # event | not_done | void
    event: str = Field(max_length=64)  # the event; for not_done the stage; for void the event
    on: date
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    note: str | None = Field(default=None, sa_column=Column(Text))
    voids_id: int | None = Field(default=None, foreign_key="event_record.id")
    voided_by_id: int | None = Field(default=None, foreign_key="event_record.id")
    actor: str = Field(max_length=100)
    recorded_at: str = Field(max_length=40)


class EvidenceFile(SQLModel, table=True):
    """A file confirming a case's record: the content is in the file store under its SHA-256;
    never deleted -- a void marks it (who, when, why) and keeps it (migration 0009)."""

    __tablename__ = "evidence_file"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="process_case.id", index=True)
    record_id: int | None = Field(default=None, foreign_key="event_record.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    public: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    uploaded_by: str = Field(max_length=100)
    uploaded_at: str = Field(max_length=40)
    voided_at: str | None = Field(default=None, max_length=40)
    voided_by: str | None = Field(default=None, max_length=100)
    void_reason: str | None = Field(default=None, sa_column=Column(Text))


class FileBlob(SQLModel, table=True):
    """An evidence file's content stored in the database (PostgreSQL: every node reaches it),
    by its SHA-256; written with all its chunks in one transaction, never changed (0012)."""

    __tablename__ = "file_blob"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    chunks: int
    stored_at: str = Field(max_length=40)


class FileChunk(SQLModel, table=True):
    """One piece of a stored blob, in order (`seq` from 0): a blob is read and written a chunk
    at a time, never whole in memory."""

    __tablename__ = "file_chunk"
    sha256: str = Field(primary_key=True, max_length=64, foreign_key="file_blob.sha256")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Lease(SQLModel, table=True):
    """A job only one process may run at a time across nodes (the Telegram poller): held by
    `holder` until `expires_at` (seconds since the epoch), renewed while it runs (0012)."""

    __tablename__ = "lease"
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: float


class PublicHit(SQLModel, table=True):
    """One request to a public page let through, per client address: the rate limit's moving
    window of the last minute, shared by every node; older rows are removed as it counts."""

    __tablename__ = "public_hit"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=100, index=True)
    at: float = Field(index=True)


class PublicCache(SQLModel, table=True):
    """A built public page, feed or fragment, shared by every node for `cache_seconds`;
    bounded (the oldest removed past a fixed number of rows)."""

    __tablename__ = "public_cache"
    key: str = Field(primary_key=True, max_length=64)
    code: str = Field(max_length=100, index=True)
    media: str = Field(max_length=100)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    built_at: float = Field(index=True)


class ExternalAnalysis(SQLModel, table=True):
    """An external analysis of a subject; the internal one follows a year after it."""

    __tablename__ = "external_analysis"
    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="organisation.id", index=True)
    completed_on: date
    reference: str | None = Field(default=None, max_length=500)
    closed_on: date | None = None  # monitoring result note of its plan


class AuditRecord(SQLModel, table=True):
    """Append-only, hash-chained log of everything that changes state."""

    __tablename__ = "audit_log"
    # two records with one predecessor would be a fork (migration 0005)
    __table_args__ = (Index("ux_audit_log_prev_hash", "prev_hash", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(max_length=40)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written once per (recipient, channel, local day, digest)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("recipient_id", "channel", "local_day", "digest"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="app_user.id", index=True)
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


class TelegramLink(SQLModel, table=True):
    """A one-time code that binds the Telegram chat sending '/start CODE' to a user."""

    __tablename__ = "telegram_link"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id")
    expires_at: float
    used_at: float | None = None


class WorkerState(SQLModel, table=True):
    """Small key/value state of the worker (e.g. the Telegram update offset)."""

    __tablename__ = "worker_state"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: float
    expires_at: float


class ApiToken(SQLModel, table=True):
    """A personal token for API clients (shown once; stored as SHA-256)."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    created_at: float
    revoked_at: float | None = None


class CalendarFeed(SQLModel, table=True):
    """A secret ICS feed URL of a user's deadlines or of an organisation's subtree; revocable."""

    __tablename__ = "calendar_feed"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    scope: str = Field(max_length=16)  # "user" or "organisation"
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: float
    revoked_at: float | None = None


class Subdivision(SQLModel, table=True):
    """A structural subdivision of an organisation (responsible for plan measures, positions)."""

    __tablename__ = "subdivision"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=300)


class Risk(SQLModel, table=True):
    """A corruption risk identified by an internal (or external) analysis."""

    __tablename__ = "risk"
    id: int | None = Field(default=None, primary_key=True)
    analysis_id: int | None = Field(default=None, foreign_key="process_case.id", index=True)
    external_id: int | None = Field(default=None, foreign_key="external_analysis.id", index=True)
    description: str = Field(sa_column=Column(Text, nullable=False))
    process: str | None = Field(default=None, max_length=500)
    subdivision: str | None = Field(default=None, max_length=300)


class Recommendation(SQLModel, table=True):
    """A recommendation against a risk; its status is set in each quarterly review."""

    __tablename__ = "recommendation"
    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="not_started", max_length=16)
    status_on: date | None = None
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class PlanItem(SQLModel, table=True):
    """A measure of the action plan (Appendix 5 columns), linked to the recommendation it serves."""

    __tablename__ = "plan_item"
    id: int | None = Field(default=None, primary_key=True)
    analysis_id: int | None = Field(default=None, foreign_key="process_case.id", index=True)
    external_id: int | None = Field(default=None, foreign_key="external_analysis.id", index=True)
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id")
    measure: str = Field(sa_column=Column(Text, nullable=False))
    completion_form: str = Field(max_length=300)
    deadline: date
    subdivision: str = Field(max_length=300)
    person: str | None = Field(default=None, max_length=200)


class MonitoringReport(SQLModel, table=True):
    """A quarter's report from the object's subdivisions and its review by the authorized person."""

    __tablename__ = "monitoring_period"  # renamed from monitoring_report by migration 0007
    __table_args__ = (
        _partial("uq_monitoring_period_case", "analysis_id", "period",
                 where="analysis_id IS NOT NULL"),
        _partial("uq_monitoring_period_external", "external_id", "period",
                 where="external_id IS NOT NULL"),
    )
    id: int | None = Field(default=None, primary_key=True)
    analysis_id: int | None = Field(default=None, foreign_key="process_case.id", index=True)
    external_id: int | None = Field(default=None, foreign_key="external_analysis.id", index=True)
    period: str = Field(max_length=8)
    received_on: date | None = None
    reviewed_on: date | None = None


class Position(SQLModel, table=True):
    """A position exposed to corruption risk (the list drawn up by the analysis)."""

    __tablename__ = "position"
    id: int | None = Field(default=None, primary_key=True)
    analysis_id: int = Field(foreign_key="process_case.id", index=True)
    title: str = Field(max_length=300)
    subdivision: str = Field(max_length=300)
    risk: str = Field(sa_column=Column(Text, nullable=False))


class ReminderPreference(SQLModel, table=True):
    """A person's reminder preferences (issue 29, item 5): None in a column is the
    organisation's setting ([reminders] and [worker] of config.toml)."""

    __tablename__ = "reminder_preference"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    channels: str | None = Field(default=None, max_length=64)  # "email,telegram"; "": none
    before: str | None = Field(default=None, max_length=64)  # working days before: "5,1,0"
    digest_hour: int | None = None  # the local hour her daily digest is planned from


class ReminderHold(SQLModel, table=True):
    """A case muted (stage_key and until None) or a stage snoozed until a day, for one person."""

    __tablename__ = "reminder_hold"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    case_id: int = Field(foreign_key="process_case.id")
    stage_key: str | None = Field(default=None, max_length=64)
    until: date | None = None
    created_at: str = Field(max_length=40)


class NoticeRead(SQLModel, table=True):
    """One item of a person's notification centre marked read (its key names it)."""

    __tablename__ = "notice_read"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    item: str = Field(max_length=120, primary_key=True)
    read_at: str = Field(max_length=40)

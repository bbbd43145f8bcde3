"""The tables of a case and its history: organisations, users, programmes, cases, definitions,
stages, records, evidence files and the audit log. Built when one of their names is first asked
of `workflow.storage.models`, whose models they are (`__module__ = FACADE`: see there)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from workflow.core import limits
from workflow.storage.models import EVENT, FACADE, HANDOVER, OPEN, _partial, identifier


class Organisation(SQLModel, table=True):
    """A body in the tree; `path` is '/root_id/.../own_id/' so a subtree is a prefix range."""

    __tablename__ = "organisation"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    code: str = Field(max_length=limits.ORG_CODE, unique=True, index=True,
                      sa_type=identifier(limits.ORG_CODE))
    name: str = Field(max_length=limits.ORG_NAME)
    name_kk: str | None = Field(default=None, max_length=limits.ORG_NAME)
    name_ru: str | None = Field(default=None, max_length=limits.ORG_NAME)
    # its name in the genitive as the documents' sentences need it (D-4), Russian and Kazakh;
    # None: the proposal of workflow/core/name_forms.py (0035)
    name_ru_genitive: str | None = Field(default=None, max_length=limits.ORG_NAME)
    name_kk_genitive: str | None = Field(default=None, max_length=limits.ORG_NAME)
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    path: str = Field(default="", max_length=400, index=True, sa_type=identifier(400))
    # the admin's switch for the public page; None: as `[public] organisations` says (0009)
    public_page: bool | None = None
    # its staff, for a consolidated share's denominator (B-20); None: not known (0022)
    headcount: int | None = None
    # the day its year so far was opened, joining merzim mid-year (B-25); None: from the
    # start (0031). Its earlier stages are "before joining" a while (workflow/core/joining.py)
    joined_on: date | None = None


class User(SQLModel, table=True):
    """A person merzim knows: officer, manager or admin of one organisation."""

    __tablename__ = "app_user"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    login: str = Field(max_length=limits.LOGIN, unique=True, index=True)
    full_name: str = Field(max_length=limits.FULL_NAME)
    position: str | None = Field(default=None, max_length=limits.TITLE)  # printed with her name
    role: str = Field(max_length=16)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str | None = Field(default=None, max_length=limits.EMAIL)
    language: str = Field(default="kk", max_length=2)
    telegram_chat_id: str | None = Field(default=None, max_length=64)
    telegram_active: bool = True
    active: bool = True
    password_hash: str | None = Field(default=None, max_length=200)
    failed_logins: int = 0
    locked_until: float | None = None
    # her channels are hers once she has signed in (P-27): an administrator's import or form
    # no longer sets her e-mail or Telegram (migration 0029)
    signed_in_at: float | None = None  # her last sign-in; None: she never signed in
    telegram_bound_at: float | None = None  # when her own '/start CODE' bound the chat


class Programme(SQLModel, table=True):
    """A subject's schedule of analyses for one year."""

    __tablename__ = "programme"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("subject_id", "year"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    subject_id: int = Field(foreign_key="organisation.id", index=True)
    year: int


FACT_KEY = 400  # organisation | person (normalised, <= 300) | kind | year [#reason's digest]
STANDING_FACT = "fact_key IS NOT NULL AND withdrawn_at IS NULL"
STANDING_SOURCE = "fact_source IS NOT NULL AND withdrawn_at IS NULL"


class Case(SQLModel, table=True):
    """One case of a process definition: a subject organisation (optionally an object
    organisation, a person, typed fields), the named dates it was opened with, and its state.
    An internal analysis is a case; so is a conflict-of-interest notice or a quarter's
    obligation (`period` set: one case per definition, organisation and period)."""

    __tablename__ = "process_case"
    __module__ = FACADE
    __table_args__ = (
        _partial("uq_case_obligation_period", "process", "subject_id", "period",
                 where="period IS NOT NULL"),
        Index("ix_case_process_subject", "process", "subject_id"),
        # one standing entry of a fact (B-23, P-22; core/facts.py; migration 0028): by its
        # identity (organisation, person, kind, counting year[, a second's reason]) and by the
        # procedure's case it was opened from or linked to
        _partial("uq_case_fact", "process", "fact_key", where=STANDING_FACT),
        _partial("uq_case_fact_source", "process", "fact_source", where=STANDING_SOURCE),
        # the lists' cases by number with what they filter on, the withdrawn left out: a page
        # far into a list read from the index alone (storage/queries/cases.py; migration 0034)
        _partial("ix_process_case_listed", "id", "subject_id", "process", "case_date",
                 where="withdrawn_at IS NULL", unique=False),
    )
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    process: str = Field(max_length=64, sa_type=identifier(64))
    process_version: int = 1
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    subject_id: int = Field(foreign_key="organisation.id", index=True)
    object_id: int | None = Field(default=None, foreign_key="organisation.id")
    person_name: str | None = Field(default=None, max_length=limits.PERSON_NAME)
    person_position: str | None = Field(default=None, max_length=limits.PERSON_POSITION)
    fields: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    dates: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # given at opening
    period: str | None = Field(default=None, max_length=16, sa_type=identifier(16))
    case_date: date  # the date lists and years count by: the start, the period's start, the notice
    state: str = Field(max_length=32)
    responsible_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)  # 0010
    override_reason: str | None = Field(default=None, sa_column=Column(Text))
    cancel_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: str = Field(max_length=40)
    # withdrawn (opened by mistake): when, by whom, why; the case leaves every list,
    # reminder and score and stays in the history and the audit log (0011)
    withdrawn_at: str | None = Field(default=None, max_length=40)
    withdrawn_by: str | None = Field(default=None, max_length=100)
    withdrawn_reason: str | None = Field(default=None, sa_column=Column(Text))
    typed_on: date | None = None  # merzim's today when it was opened ("entered late"; migration 0022)
    # the fact a register entry records (core/facts.py, services/facts.py; migration 0028)
    fact_key: str | None = Field(default=None, max_length=FACT_KEY,
                                 sa_type=identifier(FACT_KEY))
    fact_source: int | None = Field(default=None)  # the procedure's case it is the fact of

    def given(self) -> dict[str, date]:
        """The named dates given when the case was opened."""
        return {k: date.fromisoformat(v) for k, v in (self.dates or {}).items() if v}


class ProcessDefinition(SQLModel, table=True):
    """The text of each definition version a case was opened with (a case keeps its version
    when the file changes; an edited file with the same version is refused)."""

    __tablename__ = "process_definition"
    __module__ = FACADE
    key: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    sha256: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    stored_at: str = Field(max_length=40)


class Stage(SQLModel, table=True):
    """One stage of a case (or of a programme): due date, status, completion, evidence."""

    __tablename__ = "stage"
    __module__ = FACADE
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
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    # no index of their own: the partial unique indexes above lead with them (0015)
    case_id: int | None = Field(default=None, foreign_key="process_case.id")
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    key: str = Field(max_length=64, sa_type=identifier(64))
    subject_id: int = Field(foreign_key="organisation.id")
    subject_path: str = Field(max_length=400, sa_type=identifier(400))
    due_date: date | None = None
    projected: bool = False
    status: str = Field(default=OPEN, max_length=16, sa_type=identifier(16))
    done_on: date | None = None
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class EventRecord(SQLModel, table=True):
    """What was recorded for a case, in order: an event (with its date and document), a stage
    closed as not done, or the void of an earlier record. Nothing is edited or deleted: a
    voided record stays, marked with the void that voided it."""

    __tablename__ = "event_record"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
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
    typed_on: date | None = None  # merzim's today when it was recorded ("entered late"; migration 0022)


class EvidenceFile(SQLModel, table=True):
    """A file confirming a case's record: the content is in the file store under its SHA-256;
    never deleted -- a void marks it (who, when, why) and keeps it (migration 0009)."""

    __tablename__ = "evidence_file"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
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


class AuditRecord(SQLModel, table=True):
    """Append-only, hash-chained log of everything that changes state."""

    __tablename__ = "audit_log"
    __module__ = FACADE
    __table_args__ = (
        # two records with one predecessor would be a fork (migration 0005)
        Index("ux_audit_log_prev_hash", "prev_hash", unique=True),
        # an entity's trail (a case page's "opened by" and hand-overs) and the hand-overs of
        # the last days (every page's bell): read without scanning the log (0017)
        Index("ix_audit_log_entity", "entity", "entity_id"),
        _partial("ix_audit_log_handover", "at", where=f"action = '{HANDOVER}'", unique=False),
    )
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    at: str = Field(max_length=40)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=64)
    # byte order (0017): the trail's index compares them for each record a sync appends
    entity: str = Field(max_length=32, sa_type=identifier(32))
    entity_id: str = Field(max_length=64, sa_type=identifier(64))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64, sa_type=identifier(64))
    hash: str = Field(max_length=64, sa_type=identifier(64))


class CaseLink(SQLModel, table=True):
    """Two cases that are one fact (P-22): a procedure's case and the register entry its
    outcome is (`from_case_id` made `to_case_id` when `event` is the outcome that opened it;
    no event: linked after the fact). Never deleted: a withdrawn case keeps its links, and
    the pages say it is withdrawn (migration 0019); a link undone keeps its row with who,
    when and why (`unlinked_at`, migration 0020) and joins nothing more."""

    __tablename__ = "case_link"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("from_case_id", "to_case_id", name="uq_case_link"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    from_case_id: int = Field(foreign_key="process_case.id")  # the procedure's case
    to_case_id: int = Field(foreign_key="process_case.id", index=True)  # the register entry
    event: str | None = Field(default=None, max_length=64)  # the outcome that opened it
    created_by: str = Field(max_length=100)
    created_at: str = Field(max_length=40)
    unlinked_at: str | None = Field(default=None, max_length=40)
    unlinked_by: str | None = Field(default=None, max_length=100)
    unlink_reason: str | None = Field(default=None, max_length=500)


class ListVersion(SQLModel, table=True):
    """What the lists kept across requests are keyed by (web/kit/views.py `kept`): per scope,
    the audit record of the last committed write that may change what it holds. A scope is an
    organisation's path (a write in an organisation moves its path and each of its ancestors':
    a subtree's lists read the version of its root alone), `user:ID` (a person's own choices and
    the cases she answers for: her bell) or `*` (a write not narrowed to either: every list).
    Moved by the write's own transaction (workflow/storage/versions.py; migration 0026)."""

    __tablename__ = "list_version"
    __module__ = FACADE
    scope: str = Field(primary_key=True, max_length=400, sa_type=identifier(400))
    version: int = Field(sa_type=BigInteger)


class ImportPending(SQLModel, table=True):
    """The cases an unfinished register import has written, a range of case ids a row (the
    cases one batch wrote, in one transaction under the writers' lock): every reader leaves
    them and their stages out (`queries.standing`), as it leaves out a withdrawn case. The
    import's end deletes its rows; the cases and stages stay as written (migration 0027)."""

    __tablename__ = "import_pending"
    __module__ = FACADE
    id: int | None = Field(default=None, primary_key=True)
    import_id: str = Field(max_length=32, index=True)
    low: int = Field(sa_type=BigInteger)  # the first case id of the range
    high: int = Field(sa_type=BigInteger)  # its last

"""Tables (SQLModel): organisations, users, programmes, cases, stages, records, audit log.

The table models are defined in the modules `models_*.py` next to this one, by what they serve,
and named here: `from workflow.storage.models import Case` builds the models of the module that
defines `Case` the first time one of its names is asked for (PEP 562 `__getattr__`). Building a
table model (SQLModel, pydantic, the mapper) costs ~2-3 ms of CPU each; a command that shows one
case needs 12 of the 30. Whatever needs every table (Alembic's autogenerate, a comparison of the
models with the migrated schema) calls `load_all()` first; `SQLModel.metadata` holds only the
tables built so far. Each models module imports only this one (its constants, `_partial`)."""

from __future__ import annotations

import importlib
from datetime import date  # noqa: F401  (the models' annotations are resolved here: FACADE)
from typing import TYPE_CHECKING, Any  # noqa: F401  (Any: likewise)

from sqlalchemy import Index, String, Table, inspect
from sqlmodel import SQLModel

from workflow.core.definition import ORG_KINDS  # noqa: E402,F401  (one list of kinds)

# Every table model says it is this module's (`__module__ = FACADE` in its body): as before
# the split, SQLAlchemy's unit of work orders a flush's INSERTs of unrelated tables by
# "module.Class" (the mapper's sort key), pydantic and SQLAlchemy resolve the annotations in this
# module's namespace (hence `date` and `Any` above), and a model's repr and pickle name it here.
FACADE = __name__

ROLES = ("officer", "manager", "admin")
OFFICER, MANAGER, ADMIN = ROLES  # each role by its name: whom a query returns, who sees what
OPEN, DONE_ON_TIME, DONE_LATE = "open", "done_on_time", "done_late"
NOT_APPLICABLE = "not_applicable"
NOT_DONE = "not_done"
OVERDUE = "overdue"  # shown, not stored: an open stage whose due date has passed
EVENT, NOT_DONE_RECORD, VOID = "event", "not_done", "void"  # kinds of EventRecord
HANDOVER = "analysis.assign"  # the audit log's action of a case handed to another officer
# the audit log's actions of a comment on a case written and changed (services/comments.py): what
# no list shows (storage/versions.py NAMES_ONLY) and no count reads (storage/kept.py NO_STAGE)
COMMENT, COMMENT_EDIT = "case.comment", "case.comment_edit"
COMMENTS = frozenset((COMMENT, COMMENT_EDIT))


def _partial(name: str, *columns: str, where: str, unique: bool = True) -> Index:
    """An index (unique unless said) over the rows where `where` holds, as the migrations create
    it on both backends (SQLite and PostgreSQL: `CREATE [UNIQUE] INDEX … WHERE …`). The condition is kept in
    the index's `info`, not as `sqlite_where`/`postgresql_where`: naming a dialect's option
    makes SQLAlchemy import that dialect when the model is built, ~30 ms of every command on
    SQLite for PostgreSQL's. The migrations own the schema (nothing calls create_all);
    tests/storage/test_migrations.py checks each such index of the migrated database against `where`."""
    return Index(name, *columns, unique=unique, info={"where": where})


def identifier(length: int) -> String:
    """The type of a column of codes, keys, paths or hashes: a VARCHAR compared byte by byte on
    both backends (migration 0016). SQLite compares text so (its BINARY collation);
    PostgreSQL would use the database's collation, and a real locale's (ru_RU, en_US, kk_KZ:
    punctuation ignored) puts "/15/" inside the subtree range of "/1/5/" and "/1/5/12/"
    outside it (tests/storage/test_collation.py)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table: what SQLModel sets as `__table__`, typed for mypy."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


# Which module defines each table model (`load_all` builds them all).
_DEFINED_IN = {
    **dict.fromkeys(("Organisation", "User", "Programme", "Case", "ProcessDefinition", "Stage",
                     "EventRecord", "EvidenceFile", "AuditRecord", "CaseLink", "ListVersion",
                     "ImportPending"),
                   "workflow.storage.models_cases"),
    **dict.fromkeys(("WebSession", "ApiToken", "CalendarFeed", "IdempotencyKey", "Invitation",
                     "EmailChange"),
                   "workflow.storage.models_accounts"),
    **dict.fromkeys(("OutboxMessage", "TelegramLink", "WorkerState", "Lease", "ReminderPreference",
                     "ReminderHold", "NoticeRead"), "workflow.storage.models_reminders"),
    **dict.fromkeys(("FileBlob", "FileChunk"), "workflow.storage.models_files"),
    **dict.fromkeys(("CaseComment", "CommentMention"), "workflow.storage.models_comments"),
    **dict.fromkeys(("SavedView",), "workflow.storage.models_views"),
    **dict.fromkeys(("ImportMapping",), "workflow.storage.models_imports"),
    **dict.fromkeys(("OpenStageCount", "KeptFigure"), "workflow.storage.models_counts"),
    **dict.fromkeys(("PublicHit", "PublicCache"), "workflow.storage.models_public"),
    **dict.fromkeys(("Declarant", "DeclarationNotice"), "workflow.storage.models_declarations"),
    **dict.fromkeys(("ExternalAnalysis", "Subdivision", "Risk", "Recommendation", "PlanItem",
                     "MonitoringReport", "Position"), "workflow.storage.models_planning"),
}


def __getattr__(name: str) -> type[SQLModel]:
    """A table model, built with the others of its module when first asked for."""
    module = _DEFINED_IN.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    model: type[SQLModel] = getattr(importlib.import_module(module), name)
    globals()[name] = model  # asked again: found without this function
    return model


def load_all() -> None:
    """Build every table model: `SQLModel.metadata` then holds every table."""
    for name in _DEFINED_IN:
        __getattr__(name)


if TYPE_CHECKING:  # what mypy and the readers see; at run time `__getattr__` above
    from workflow.storage.models_accounts import (
        ApiToken,
        CalendarFeed,
        EmailChange,
        IdempotencyKey,
        Invitation,
        WebSession,
    )
    from workflow.storage.models_cases import (
        AuditRecord,
        Case,
        CaseLink,
        EventRecord,
        EvidenceFile,
        ImportPending,
        ListVersion,
        Organisation,
        ProcessDefinition,
        Programme,
        Stage,
        User,
    )
    from workflow.storage.models_comments import CaseComment, CommentMention
    from workflow.storage.models_counts import KeptFigure, OpenStageCount
    from workflow.storage.models_declarations import Declarant, DeclarationNotice
    from workflow.storage.models_files import FileBlob, FileChunk
    from workflow.storage.models_imports import ImportMapping
    from workflow.storage.models_planning import (
        ExternalAnalysis,
        MonitoringReport,
        PlanItem,
        Position,
        Recommendation,
        Risk,
        Subdivision,
    )
    from workflow.storage.models_public import PublicCache, PublicHit
    from workflow.storage.models_reminders import (
        Lease,
        NoticeRead,
        OutboxMessage,
        ReminderHold,
        ReminderPreference,
        TelegramLink,
        WorkerState,
    )
    from workflow.storage.models_views import SavedView

__all__ = [  # the constants, the helpers and every table model
    "DONE_LATE", "DONE_ON_TIME", "EVENT", "NOT_APPLICABLE", "NOT_DONE", "NOT_DONE_RECORD",
    "OPEN", "ORG_KINDS", "OVERDUE", "ROLES", "OFFICER", "MANAGER", "ADMIN", "VOID", "load_all", "table_of",
    "ApiToken", "AuditRecord", "CalendarFeed", "Case", "CaseComment", "CaseLink",
    "CommentMention", "Declarant", "DeclarationNotice", "EmailChange", "EventRecord", "EvidenceFile",
    "ExternalAnalysis", "FileBlob", "FileChunk", "IdempotencyKey", "Invitation", "Lease", "MonitoringReport",
    "ImportMapping", "ImportPending", "KeptFigure", "ListVersion", "NoticeRead",
    "OpenStageCount", "Organisation", "OutboxMessage", "PlanItem", "Position", "ProcessDefinition",
    "Programme", "PublicCache", "PublicHit", "Recommendation", "ReminderHold",
    "ReminderPreference", "Risk", "SavedView", "Stage", "Subdivision", "TelegramLink", "User",
    "WebSession", "WorkerState"
]

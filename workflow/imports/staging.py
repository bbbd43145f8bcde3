"""An imported file between the web import's preview and its confirm (a register's, an
organisation's list of those under it, an office's list of people): kept in the file store
evidence files are kept in (the database itself on PostgreSQL without a files directory, else
the store's directory), so that the confirm, a resume or a later request finds it whichever
node of a deployment answers it.

* **Kept**: only a file the preview accepted (a refused file is dropped at once). Its blob is
  the file's content behind a header of its own (`MARK` and a random nonce), so it is named by
  a SHA-256 no other file has: never an evidence file's blob (an evidence file is a PDF, DOCX,
  XLSX, JPEG or PNG, none of which begins with `MARK`), never another preview's, and removing
  it removes nothing else.
* **Whose**: the preview's audit record (`import.preview`, on what the file is imported into:
  the register, `process`; the organisation, `organisation`; the administrator's people,
  `people`) names the kept blob (`staged`), the content's own SHA-256 and who previewed it;
  the confirm finds the file only through a record of the one it belongs to (`owner`), for
  the same import.
* **How long**: a day (`LIFETIME`, the lifetime staged uploads have always had). An older
  file is refused as expired; `sweep` removes the blobs of previews older than that (each
  preview sweeps those of its import's; `merzim serve` every register's at start), the confirm that
  used it removes it at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from workflow.core.errors import ConfigError, UsageError
from workflow.storage.filestore import CHUNK, FileStore
from workflow.storage.models import AuditRecord

MARK = b"merzim staged import\n"
NONCE = 32  # hex digits of the nonce, then a newline
HEADER = len(MARK) + NONCE + 1
PREVIEW = "import.preview"
LIFETIME = timedelta(days=1)
WINDOW = timedelta(days=30)  # how far back a preview's own sweep looks (serve: no bound)


@dataclass(frozen=True)
class Found:
    """A kept file as its preview recorded it: the blob's name, the content's SHA-256, when."""

    staged: str
    sha256: str
    at: datetime


def keep(store: FileStore, path: Path) -> str:
    """Store the local file `path` (checked by the preview) as a kept blob; its name."""
    header = MARK + secrets.token_hex(NONCE // 2).encode() + b"\n"

    def chunks() -> Iterator[bytes]:
        yield header
        with open(path, "rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")

    staged = store.stage(chunks(), max_bytes=None)
    try:
        store.commit(staged)
    except BaseException:
        store.discard(staged)
        raise
    return staged.sha256


def fetch(store: FileStore, staged: str, sha256: str) -> Path | None:
    """The kept file copied into this node's staging folder (named by its kind: an XLSX is a
    zip archive, anything else is read as CSV), if it is there and its content hashes as
    previewed; None otherwise. The caller removes the copy."""
    try:
        fh = store.open(staged)
    except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError):
        return None
    digest = hashlib.sha256()
    with fh:
        if fh.read(len(MARK)) != MARK or len(fh.read(NONCE + 1)) != NONCE + 1:
            return None
        copy = store.stage(_hashed(fh, digest), max_bytes=None)
    if digest.hexdigest() != sha256 or copy.size == 0:
        store.discard(copy)
        return None
    kind = ".xlsx" if copy.head(4) == b"PK\x03\x04" else ".csv"
    path = copy.path.with_name(copy.path.name + kind)
    copy.path.rename(path)
    return path


def _hashed(fh, digest) -> Iterator[bytes]:
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        digest.update(chunk)
        yield chunk


@dataclass(frozen=True)
class Into:
    """What a file is imported into, as its preview's audit record names it: a register
    (`process`, its key), the organisations under one (`organisation`, its code), an
    administrator's people (`people`, her organisation's code)."""

    entity: str
    entity_id: str


def find(s: Session, into: Into, owner: str, staged: str) -> Found | None:
    """The kept file `staged` of `owner`'s preview of an import `into` (None: no such
    preview)."""
    records = s.exec(select(AuditRecord.at, AuditRecord.payload).where(
        AuditRecord.entity == into.entity, AuditRecord.entity_id == into.entity_id,
        AuditRecord.action == PREVIEW, AuditRecord.actor == owner)
        .order_by(col(AuditRecord.id).desc())).all()
    for at, payload in records:
        if f'"{staged}"' not in payload:
            continue
        data = json.loads(payload)
        if data.get("staged") == staged:
            return Found(staged, str(data.get("sha256", "")), _when(at))
    return None


def expired(found: Found, now: datetime | None = None) -> bool:
    return (now or datetime.now(UTC)) - found.at > LIFETIME


def expired_error() -> UsageError:
    return UsageError("the checked file was kept for a day and removed",
                      key="import.upload_expired")


def remove(store: FileStore, staged: str) -> bool:
    """Remove a kept blob (only a kept one: a blob that does not begin with `MARK` is left
    as it is). Whether one was removed."""
    try:
        with store.open(staged) as fh:
            if fh.read(len(MARK)) != MARK:
                return False
    except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError):
        return False
    return store.remove_blob(staged)


def sweep(s: Session, store: FileStore, into: Into | None = None,
          now: datetime | None = None) -> int:
    """Remove the kept files of previews older than `LIFETIME` (of an import `into`, looking
    back `WINDOW`; None: of every import, however old): how many were removed."""
    now = now or datetime.now(UTC)
    query = select(AuditRecord.payload).where(AuditRecord.action == PREVIEW,
                                              AuditRecord.at < (now - LIFETIME).isoformat())
    if into is not None:
        query = query.where(AuditRecord.entity == into.entity,
                            AuditRecord.entity_id == into.entity_id,
                            AuditRecord.at >= (now - LIFETIME - WINDOW).isoformat())
    removed = 0
    for payload in s.exec(query).all():
        with contextlib.suppress(ValueError):
            staged = json.loads(payload).get("staged")
            if isinstance(staged, str) and remove(store, staged):
                removed += 1
    return removed


def sweep_kept(settings, engine) -> int:
    """Every import's stale kept files removed (`merzim serve` at start): how many."""
    from workflow.services.files import store

    try:
        found = store(settings)
    except ConfigError:
        return 0
    with Session(engine) as s:
        return sweep(s, found)


def _when(at: str) -> datetime:
    found = datetime.fromisoformat(at)
    return found if found.tzinfo else found.replace(tzinfo=UTC)

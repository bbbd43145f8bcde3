"""The audit chain's head, kept in a file outside the database, so that removing the newest
records (or every record) no longer passes `audit verify`.

The file holds the id and hash of the newest record merzim has committed. It only moves
forward, and only while the record it names is still in the chain, so a truncated log keeps
failing verification instead of being "re-anchored" by the next append. What it cannot see:
records removed before the file was first written, records appended by a process that cannot
write the file (their removal is invisible until a later append moves the head past them),
and a rewrite of both the table and the file by someone who can write both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

try:  # POSIX: appends from several processes move the head under a file lock
    import fcntl
except ImportError:  # pragma: no cover - Windows: last writer wins, the head only moves forward
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
SUFFIX = ".audit-head"
_CONFIGURED: weakref.WeakKeyDictionary[Engine, Path | None] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Head:
    """The newest committed record of the chain, as last seen by merzim."""

    id: int
    hash: str


class Unreadable(Exception):
    """The checkpoint file exists but does not hold a head (`denied`: the system refused to
    read it — no permission, a file where its folder should be — which says nothing about
    the chain)."""

    def __init__(self, message: str, denied: bool = False):
        super().__init__(message)
        self.denied = denied


# the files this process was told it cannot write: said once each
_SAID: set[str] = set()


def cannot_write(path: Path, exc: BaseException) -> None:
    """Say once per process, in one line, that this account cannot keep the checkpoint: its
    records are committed, but their removal goes unseen by `audit verify` until a process that
    can write the file appends (an operator running the command line under her own account
    while the service's user owns the file: docs/operator-guide.md, "The checkpoint file")."""
    if str(path) in _SAID:
        return
    _SAID.add(str(path))
    reason = getattr(exc, "strerror", None) or str(exc)
    log.warning("merzim: audit checkpoint %s cannot be written by this account (%s); the "
                "records are stored, the checkpoint stays where it was: run merzim as the "
                "service's user, or set [audit] checkpoint / MERZIM_AUDIT_CHECKPOINT "
                "(docs/operator-guide.md, \"The checkpoint file\")", path, reason)


def configure(engine: Engine, path: Path | None) -> None:
    """Keep the checkpoint of `engine`'s chain in `path` (None: keep none)."""
    _CONFIGURED[engine] = path


def path_for(engine: Engine) -> Path | None:
    """The configured file; by default `<database file>.audit-head` next to a SQLite file."""
    if engine in _CONFIGURED:
        return _CONFIGURED[engine]
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" \
            and not database.startswith("file:"):
        return Path(database + SUFFIX)
    return None


def read(path: Path) -> Head | None:
    """The head in `path`; None when there is no file yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreadable(str(exc), denied=True) from None
    try:
        data = json.loads(raw.decode("utf-8"))
        return Head(int(data["id"]), str(data["hash"]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        raise Unreadable(f"{path} does not hold an audit head") from None


@contextlib.contextmanager
def _locked(path: Path):
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def advance(path: Path, head: Head) -> None:
    """Move the checkpoint to `head` unless it already names a newer record."""
    try:
        with _locked(path):
            try:
                current = read(path)
            except Unreadable:
                return  # evidence of tampering: leave it for `audit verify` to report
            if current is not None and current.id >= head.id:
                return
            fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
            try:
                # 0600 (mkstemp's) for a new file; a file the operator gave a mode of its own
                # (0660 for a group of accounts) keeps it
                with contextlib.suppress(OSError):
                    os.fchmod(fd, path.stat().st_mode & 0o7777)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump({"id": head.id, "hash": head.hash}, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
    except OSError as exc:  # the record is committed; a lagging checkpoint only detects less
        cannot_write(path, exc)

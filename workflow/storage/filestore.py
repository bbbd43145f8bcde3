"""The file store: the content of evidence files, content-addressed by SHA-256 in a directory.

A blob lives at `root/ab/cd/<sha256>` (the first two pairs of hex digits as folders). It is
written atomically -- a temporary file in the same directory, flushed and fsynced, then
`os.replace` -- and an existing blob is never overwritten: the same content has the same name,
so a second upload of it only finds it there. Nothing is ever deleted by merzim but the
file a web import keeps between its preview and its confirm (`remove_blob`, called only by
workflow/imports/staging.py for a blob of its own kind). A blob whose
row was never committed (a crash between the two) is harmless: it is named by its content,
nothing points at it, and a later upload of the same content reuses it.

The database rows (`evidence_file`) say which case and record a blob confirms; this module
knows nothing of them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from workflow.core.errors import ConfigError, UsageError
from workflow.settings import Settings

CHUNK = 1 << 16
HEX = re.compile(r"^[0-9a-f]{64}$")
TEMP_DIR = ".incoming"  # staged uploads: same file system as the blobs, so the rename is atomic


class TooLarge(UsageError):
    """A file over the configured limit; raised before it is stored (nothing kept)."""

    key = "files.too_large"


@dataclass
class Staged:
    """An upload written to a temporary file and hashed, not yet in the store: checked first
    (type, size), then `FileStore.commit`ed or `FileStore.discard`ed."""

    path: Path
    sha256: str
    size: int

    def head(self, n: int = 8192) -> bytes:
        with open(self.path, "rb") as fh:
            return fh.read(n)


class FileStore:
    """Blobs under `root`, named by their SHA-256."""

    def __init__(self, root: Path):
        self.root = Path(root)

    # -- reading --------------------------------------------------------------------------
    def path(self, sha256: str) -> Path:
        """Where the blob of `sha256` is (or would be)."""
        if not HEX.match(sha256 or ""):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file on this machine, for sending it as a file; None for a store that
        keeps its blobs elsewhere (the database)."""
        return self.path(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def open(self, sha256: str) -> BinaryIO:
        """The blob for streaming (the caller closes it)."""
        return open(self.path(sha256), "rb")  # noqa: SIM115 - handed to the caller

    def matches(self, sha256: str) -> bool:
        """Whether the blob is on disk and its content still hashes to its name."""
        try:
            with self.open(sha256) as fh:
                return hashes_to(fh, sha256, CHUNK)
        except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError):
            return False

    # -- writing --------------------------------------------------------------------------
    def put(self, data: bytes) -> tuple[str, int]:
        """Store `data`; its SHA-256 hex digest and size. An existing blob is kept as it is."""
        staged = self.stage_bytes(data)
        self.commit(staged)
        return staged.sha256, staged.size

    def stage_bytes(self, data: bytes) -> Staged:
        return self.stage(iter((data,)), max_bytes=None)

    def stage_stream(self, fh: BinaryIO, max_bytes: int | None) -> Staged:
        """Copy a readable binary stream into a staged file, reading at most `max_bytes` + 1
        bytes: a larger stream is refused (TooLarge) without being read to its end."""
        return self.stage(iter(lambda: fh.read(CHUNK), b""), max_bytes)

    def stage(self, chunks: Iterator[bytes], max_bytes: int | None) -> Staged:
        """Write `chunks` to a temporary file of the store, hashing as they come; over
        `max_bytes` the file is removed and TooLarge raised."""
        incoming = self.root / TEMP_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, prefix="upload-")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(f"larger than {max_bytes} bytes", limit=max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        return Staged(Path(name), digest.hexdigest(), size)

    def commit(self, staged: Staged) -> Path:
        """Move a staged file to its content address (atomically); if the blob is there
        already, the staged copy is dropped and the blob left untouched."""
        target = self.path(staged.sha256)
        if target.is_file():
            self.discard(staged)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        # a temporary name in the target's own directory, then one rename onto the final name
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            os.replace(staged.path, tmp)
            os.chmod(tmp, 0o444)  # read-only: a blob is never written again
            if target.is_file():  # another process stored the same content meanwhile
                os.unlink(tmp)
                return target
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)
        return target

    def discard(self, staged: Staged) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged.path)

    def remove_blob(self, sha256: str) -> bool:
        """Remove a blob (a web import's kept file, never an evidence file's: the caller
        checks it is one); whether it was there."""
        try:
            os.unlink(self.path(sha256))
        except FileNotFoundError:
            return False
        return True

    def sweep_incoming(self, older_than: float, now: float | None = None) -> tuple[int, int]:
        """Remove staged uploads last written more than `older_than` seconds ago: leftovers of
        a process stopped between staging and storing (an upload in progress writes its file
        as it reads, and is never a day old). Blobs are never touched. (files, bytes) removed."""
        incoming = self.root / TEMP_DIR
        if not incoming.is_dir():
            return 0, 0
        cutoff = (time.time() if now is None else now) - older_than
        count = size = 0
        for entry in os.scandir(incoming):
            if not entry.name.startswith("upload-") or not entry.is_file(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
            if info.st_mtime < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    count, size = count + 1, size + info.st_size
        return count, size


def hashes_to(fh: BinaryIO, sha256: str, chunk: int) -> bool:
    """Whether the stream's content, read `chunk` bytes at a time, hashes to `sha256`."""
    digest = hashlib.sha256()
    for part in iter(lambda: fh.read(chunk), b""):
        digest.update(part)
    return digest.hexdigest() == sha256


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX; Windows has no directory handles to sync)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse it
        pass
    finally:
        os.close(fd)


DB_CHUNK = 1 << 20  # a blob's chunk in the database: 1 MiB (one row, one round trip)


class DatabaseFileStore(FileStore):
    """Blobs in the database itself (`file_blob` and its `file_chunk`s), so every node of a
    PostgreSQL deployment reaches every file; the PostgreSQL default (`file_store`).

    The same interface as the directory's: an upload is staged on this machine's disk (under
    `staging`, with the size limit, hashed as it arrives), then `commit` writes the blob row and
    its chunks in ONE transaction of its own connection (a reader sees a whole blob or none);
    the same content stored already, or stored meanwhile by another node, is kept as it is.
    Reading streams one chunk at a time over one connection (never the whole file in memory);
    `matches` hashes the chunks as `audit verify` and every download do. Like the directory, a
    blob whose row was never committed is harmless and nothing is ever deleted. The engine has
    no pool of its own (each store operation opens and closes one connection)."""

    def __init__(self, url: str, staging: Path):
        super().__init__(staging)
        self.url = url

    @property
    def engine(self) -> Engine:
        return _engine_for(self.url)

    def local_path(self, sha256: str) -> Path | None:
        return None

    def path(self, sha256: str) -> Path:
        raise ValueError("the blobs of this store are in the database, not in a directory")

    def exists(self, sha256: str) -> bool:
        if not HEX.match(sha256 or ""):
            return False
        with self.engine.connect() as conn:
            return conn.execute(_BLOB_EXISTS, {"sha": sha256}).first() is not None

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as fh:
            return fh.read()

    def open(self, sha256: str) -> BinaryIO:
        if not HEX.match(sha256 or ""):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        conn = self.engine.connect()
        try:
            found = conn.execute(_BLOB_CHUNKS, {"sha": sha256}).first()
        except BaseException:
            conn.close()
            raise
        if found is None:
            conn.close()
            raise FileNotFoundError(sha256)
        raw = _ChunkReader(conn, sha256, int(found[0]))
        return io.BufferedReader(raw, buffer_size=DB_CHUNK)

    def commit(self, staged: Staged) -> Path:
        with open(staged.path, "rb") as fh:
            self.store_stream(staged.sha256, fh)
        self.discard(staged)
        return staged.path

    def store_stream(self, sha256: str, fh: BinaryIO) -> bool:
        """Write the content of `fh` as the blob `sha256`, hashing it as it is read: all its
        chunks in one transaction, refused (nothing written) when the content does not hash to
        its name. False when the blob was there already (nothing written)."""
        if not HEX.match(sha256 or ""):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        try:
            with self.engine.begin() as conn:
                if conn.execute(_BLOB_EXISTS, {"sha": sha256}).first() is not None:
                    return False
                # the blob's row first: a second node storing the same content waits on its key
                conn.execute(_BLOB_INSERT, {"sha": sha256, "size": 0, "chunks": 0,
                                            "at": _now_iso()})
                digest, size, seq = hashlib.sha256(), 0, 0
                for chunk in iter(lambda: fh.read(DB_CHUNK), b""):
                    digest.update(chunk)
                    conn.execute(_CHUNK_INSERT, {"sha": sha256, "seq": seq, "data": chunk})
                    size, seq = size + len(chunk), seq + 1
                if digest.hexdigest() != sha256:
                    raise BlobChanged(sha256)
                conn.execute(_BLOB_DONE, {"sha": sha256, "size": size, "chunks": seq})
        except IntegrityError:  # stored by another process meanwhile: the same content
            return False
        return True

    def remove_blob(self, sha256: str) -> bool:
        if not HEX.match(sha256 or ""):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        with self.engine.begin() as conn:
            conn.execute(_CHUNK_DELETE, {"sha": sha256})
            return conn.execute(_BLOB_DELETE, {"sha": sha256}).rowcount > 0

    def matches(self, sha256: str) -> bool:
        try:
            with self.open(sha256) as fh:
                return hashes_to(fh, sha256, DB_CHUNK)
        except (FileNotFoundError, ValueError):
            return False


class BlobChanged(Exception):
    """A blob's content does not hash to its name (not stored)."""


class _ChunkReader(io.RawIOBase):
    """A stored blob read a chunk at a time over one connection, closed with the reader."""

    def __init__(self, conn: Connection, sha256: str, chunks: int):
        self.conn, self.sha256, self.chunks = conn, sha256, chunks
        self.seq, self.buf = 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.buf:
            if self.seq >= self.chunks:
                return 0
            row = self.conn.execute(_CHUNK_SELECT, {"sha": self.sha256, "seq": self.seq}).first()
            self.conn.rollback()  # no transaction left open between two reads
            self.seq += 1
            if row is None:  # a chunk missing: the content ends short (matches() says so)
                self.seq = self.chunks
                return 0
            self.buf = bytes(row[0])
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self.conn.close()
        super().close()


_BLOB_EXISTS = text("SELECT 1 FROM file_blob WHERE sha256 = :sha AND chunks >= 0")
_BLOB_CHUNKS = text("SELECT chunks FROM file_blob WHERE sha256 = :sha")
_BLOB_INSERT = text("INSERT INTO file_blob (sha256, size, chunks, stored_at) "
                    "VALUES (:sha, :size, :chunks, :at)")
_BLOB_DONE = text("UPDATE file_blob SET size = :size, chunks = :chunks WHERE sha256 = :sha")
_CHUNK_INSERT = text("INSERT INTO file_chunk (sha256, seq, data) VALUES (:sha, :seq, :data)")
_CHUNK_DELETE = text("DELETE FROM file_chunk WHERE sha256 = :sha")
_BLOB_DELETE = text("DELETE FROM file_blob WHERE sha256 = :sha")
_CHUNK_SELECT = text("SELECT data FROM file_chunk WHERE sha256 = :sha AND seq = :seq")


@functools.lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def staging_directory() -> Path:
    """Where a node stages uploads for the database store: its own temporary directory."""
    return Path(tempfile.gettempdir()) / "merzim-staging"


@dataclass
class Moved:
    """What `move_to_database` did: blobs written, their bytes, blobs already there, and the
    ones not moved with why (missing | changed)."""

    moved: int = 0
    size: int = 0
    present: int = 0
    problems: list[tuple[str, str]] | None = None


def move_to_database(source: FileStore, target: DatabaseFileStore,
                     names: Iterator[str]) -> Moved:
    """Copy every blob of `names` from the directory `source` into the database: one
    transaction per blob, its content hashed as it is copied (a blob that no longer hashes to
    its name is refused and named, not copied), then read back from the database and hashed
    again. Blobs already there are counted, not copied: run again after a stop, it goes on
    where it stopped. The directory is left as it was (merzim never deletes a file)."""
    done = Moved(problems=[])
    assert done.problems is not None
    for sha256 in names:
        if target.exists(sha256):
            done.present += 1
            continue
        try:
            fh = source.open(sha256)
        except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError):
            done.problems.append((sha256, "missing"))
            continue
        try:
            with fh:
                wrote = target.store_stream(sha256, fh)
        except BlobChanged:
            done.problems.append((sha256, "changed"))
            continue
        if not wrote:
            done.present += 1
        elif not target.matches(sha256):  # pragma: no cover - the database lost what it took
            done.problems.append((sha256, "changed"))
        else:
            done.moved += 1
            done.size += source.path(sha256).stat().st_size
    return done


def files_directory(settings: Settings) -> Path:
    """The configured directory of the file store: `[files] directory` (or MERZIM_FILES_DIR,
    resolved by the settings); empty, beside a SQLite database file (`merzim.db` ->
    `merzim-files`); PostgreSQL has no file to stand beside, so it must be set there."""
    if settings.files.directory is not None:
        return settings.files.directory
    url = settings.database_url
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            db = Path(database)
            return db.parent / f"{db.stem}-files"
    raise ConfigError("files.directory: not set; a database that is not a SQLite file needs "
                      "the directory of its files in [files] directory or MERZIM_FILES_DIR")


def file_store(settings: Settings) -> FileStore:
    """The file store of these settings: `[files] directory` when it is set (any database;
    created on the first write); else beside a SQLite file; else -- PostgreSQL with no
    directory -- the database itself, which every node of a deployment reaches."""
    url = settings.database_url
    if settings.files.directory is None and not url.startswith("sqlite"):
        return DatabaseFileStore(url, staging_directory())
    return FileStore(files_directory(settings))

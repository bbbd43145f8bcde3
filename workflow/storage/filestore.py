"""The file store: the content of evidence files, content-addressed by SHA-256 in a directory.

A blob lives at `root/ab/cd/<sha256>` (the first two pairs of hex digits as folders). It is
written atomically -- a temporary file in the same directory, flushed and fsynced, then
`os.replace` -- and an existing blob is never overwritten: the same content has the same name,
so a second upload of it only finds it there. Nothing is ever deleted by merzim. A blob whose
row was never committed (a crash between the two) is harmless: it is named by its content,
nothing points at it, and a later upload of the same content reuses it.

The database rows (`evidence_file`) say which case and record a blob confirms; this module
knows nothing of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
                digest = hashlib.sha256()
                for chunk in iter(lambda: fh.read(CHUNK), b""):
                    digest.update(chunk)
        except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError):
            return False
        return digest.hexdigest() == sha256

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
    """The file store of these settings (the directory is created on the first write)."""
    return FileStore(files_directory(settings))

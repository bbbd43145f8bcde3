"""A ZIP archive bounded before it is stored or read: the one owner of that check.

A DOCX, an XLSX, an ODT is a ZIP archive; a small one may unpack to gigabytes (a "zip bomb")
or hold millions of parts. Every upload that may be one asks `excess` before it is kept or
opened: an evidence file and a signed scan (workflow/services/files.py, `[files]
max_unpacked_bytes` and `max_entries`), an imported XLSX (workflow/tabular.py, `[import]
megabytes`). Only the archive's central directory is read (the sizes its parts declare and
their number): nothing is inflated, and a part is never read past its declared size
(python's zipfile stops there), so the declared sizes are what bound the work.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

UNPACKED = 200 * 1024 * 1024  # default: what the parts of one archive may unpack to
ENTRIES = 10_000  # default: how many parts one archive may hold (a DOCX has tens)


@dataclass(frozen=True)
class Excess:
    """What an archive holds past its bounds: `what` is "entries" or "unpacked"; `found` the
    archive's own figure, `limit` the bound."""

    what: str
    found: int
    limit: int


def is_zip(path: Path) -> bool:
    """Whether the file is a ZIP archive (its central directory is found)."""
    return zipfile.is_zipfile(path)


def excess(path: Path, max_unpacked: int, max_entries: int) -> Excess | None:
    """The bound a ZIP archive at `path` passes (its number of parts first, then their
    unpacked size as the central directory declares it); None within both, or when the file
    is no readable ZIP archive (its type check refuses it then)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if len(members) > max_entries:
        return Excess("entries", len(members), max_entries)
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        return Excess("unpacked", unpacked, max_unpacked)
    return None

"""Files confirming a case's records: attached (checked by their content, stored by SHA-256,
audited), listed, read, made public or private, voided; and checked against the store.

Who may do what is the adapter's to decide (web/kit/access.py: the case's own rules, a person's
case keeps its files as private as its person); these use cases act on a case the caller may
act on. Every change appends to the audit log with the file's SHA-256, so `audit verify`
notices a blob changed or removed on disk (`verify_files`).

Order of an attach, all or nothing: every upload is first copied into the store's staging
folder with the size limit and its type read from the content; one refused, all are dropped
and nothing is written. Then the record (if one is written with them) and the rows are added
in the caller's transaction and the blobs moved to their content address. Should that
transaction then fail, the blobs stay on disk with no row naming them: harmless (named by
their content, never served, reused by the next upload of the same bytes).
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlmodel import Session

from workflow import archives
from workflow.core.errors import ConfigError, NotFound, RuleViolation, UsageError
from workflow.services.context import Context
from workflow.services.lookup import by_number
from workflow.settings import FilesSettings
from workflow.storage import audit
from workflow.storage.filestore import FileStore, Staged, TooLarge, file_store
from workflow.storage.models import (
    VOID,
    Case,
    EventRecord,
    EvidenceFile,
)
from workflow.storage.queries import audit as audit_queries
from workflow.storage.queries import files as file_queries

# type -> (media type, the name's usual extensions: the first is added to a name without one)
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
}
MAX_NAME = 200
MAX_FILES = 20  # files in one upload (one record's documents; more is a mistake or an attack)
ATTACH = "file.attach"


class FileRefused(UsageError):
    """An upload refused for its content (empty, too large, not an accepted type)."""


@dataclass(frozen=True)
class Upload:
    """A file as an adapter received it: the name the sender gave and its content."""

    name: str
    stream: BinaryIO


@dataclass
class Prepared:
    """An upload checked and staged, not yet stored."""

    name: str
    kind: str
    staged: Staged

    @property
    def media_type(self) -> str:
        return TYPES[self.kind][0]

    @property
    def sha256(self) -> str:
        return self.staged.sha256

    @property
    def size(self) -> int:
        return self.staged.size


def store(settings) -> FileStore:
    """The file store of these settings (`[files] directory`, or beside a SQLite file)."""
    return file_store(settings)


STALE_UPLOAD_SECONDS = 24 * 3600


def sweep_staged(settings, older_than: float = STALE_UPLOAD_SECONDS) -> tuple[int, int]:
    """The store's staged uploads older than a day removed (`merzim serve` at start): (files,
    bytes). Nothing to do where no files directory is configured (PostgreSQL without one)."""
    try:
        found = file_store(settings)
    except ConfigError:
        return 0, 0
    return found.sweep_incoming(older_than)


# -- checking an upload ---------------------------------------------------------------------------


def clean_name(name: str | None) -> str:
    """The file's own name (no folders, no control characters, at most 200 characters with
    its extension kept); "file" when nothing is left."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base)
                   if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        keep = f".{ext}" if dot and len(ext) <= 10 else ""
        base = base[:MAX_NAME - len(keep)] + keep
    return base or "file"


def sniff(staged: Staged) -> str | None:
    """The type of a staged file read from its content: pdf, docx, xlsx, jpeg, png, or what
    else it is ("exe", "zip", ...; None: not recognised). A DOCX and an XLSX are ZIP files told
    apart by their members ([Content_Types].xml with word/ or xl/)."""
    import filetype

    head = staged.head(8192)
    found = filetype.guess(head)
    ext = found.extension if found is not None else None
    if head.startswith(b"%PDF-"):
        return "pdf"
    if ext == "jpg":
        return "jpeg"
    if ext == "png":
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _office(staged) or "zip"
    return ext


def _office(staged: Staged) -> str | None:
    """docx or xlsx by the ZIP's member names (only the central directory is read)."""
    try:
        with zipfile.ZipFile(staged.path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB".replace(".0 ", " ")
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"


def prepare(store: FileStore, limits: FilesSettings, uploads: Iterable[Upload]) -> list[Prepared]:
    """Stage and check every upload: none empty, none over the size limit (refused while it
    is read, before it is stored), each of an accepted type by its content. One refused, all
    are dropped and the refusal names the file; nothing is left in the store."""
    uploads = list(uploads)
    if len(uploads) > MAX_FILES:
        raise FileRefused(f"more than {MAX_FILES} files", key="files.too_many", limit=MAX_FILES)
    done: list[Prepared] = []
    try:
        for up in uploads:
            name = clean_name(up.name)
            try:
                staged = store.stage_stream(up.stream, limits.max_bytes)
            except TooLarge:
                raise FileRefused(f"{name} is too large", key="files.too_large", name=name,
                                  limit=size_text(limits.max_bytes)) from None
            item = Prepared(name, "", staged)
            done.append(item)
            if staged.size == 0:
                raise FileRefused(f"{name} is empty", key="files.empty", name=name)
            _check_archive(staged, name, limits)
            kind = sniff(staged)
            if kind not in limits.types:
                exc = FileRefused(f"{name} is not an accepted type", key="files.wrong_type",
                                  name=name, found=(kind or "?").upper(),
                                  types=", ".join(t.upper() for t in limits.types))
                if kind is None:  # "found: not recognised", in the reader's words
                    exc.labels["found"] = "files.unrecognised"
                raise exc
            item.kind = kind
            item.name = _with_extension(name, kind)
    except BaseException:
        discard(store, done)
        raise
    return done


def _check_archive(staged: Staged, name: str, limits: FilesSettings) -> None:
    """A ZIP-based upload (a DOCX, an XLSX, any ZIP; a file with no ZIP directory passes)
    bounded by its directory before it is stored or opened: its parts' number and unpacked
    size (workflow/archives.py, the one check every upload asks)."""
    over = archives.excess(staged.path, limits.max_unpacked_bytes, limits.max_entries)
    if over is None:
        return
    if over.what == "entries":
        raise FileRefused(f"{name} holds {over.found} parts", key="files.zip_entries",
                          name=name, found=over.found, limit=over.limit)
    raise FileRefused(f"{name} unpacks to {size_text(over.found)}", key="files.zip_unpacked",
                      name=name, found=size_text(over.found), limit=size_text(over.limit))


def _with_extension(name: str, kind: str) -> str:
    """The name ends as its type does (a scan sent as "order" downloads as "order.pdf")."""
    extensions = TYPES[kind][1]
    if name.lower().endswith(extensions):
        return name
    return clean_name(name + extensions[0])


def discard(store: FileStore, prepared: Iterable[Prepared]) -> None:
    for item in prepared:
        store.discard(item.staged)


# -- attaching ------------------------------------------------------------------------------------


def summary(item: Prepared) -> dict[str, Any]:
    return {"name": item.name, "sha256": item.sha256, "size": item.size,
            "media_type": item.media_type}


def _record_of(s: Session, case: Case, record_id: int | str) -> EventRecord:
    row = by_number(s, EventRecord, record_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"no record {record_id}", key="files.no_record", id=record_id,
                       case=case.id)
    if row.kind == VOID or row.voided_by_id is not None:
        raise RuleViolation(f"record {row.id} is void", key="files.record_void", id=row.id)
    return row


def attach(s: Session, ctx: Context, store: FileStore, case: Case, record_id: int | None,
           prepared: list[Prepared]) -> list[EvidenceFile]:
    """Rows for prepared files of a case (and one of its records), each audited with its
    SHA-256; the blobs moved to their address. In the caller's transaction."""
    rows = []
    for item in prepared:
        row = EvidenceFile(case_id=case.id, record_id=record_id, sha256=item.sha256,
                           name=item.name, media_type=item.media_type, size=item.size,
                           public=False, uploaded_by=ctx.actor, uploaded_at=audit.now_iso())
        s.add(row)
        s.flush()
        audit.append(s, ctx.actor, ATTACH, "case", case.id,
                     {"file": row.id, "record": record_id, **summary(item)})
        rows.append(row)
    for item in prepared:  # the rows are written: now the content goes to its address
        store.commit(item.staged)
    return rows


def attach_files(s: Session, ctx: Context, store: FileStore, limits: FilesSettings,
                 case_id: int | str, uploads: Iterable[Upload],
                 record_id: int | str | None = None) -> list[EvidenceFile]:
    """Attach files to a case, to one of its records that stands when `record_id` is given;
    refused, nothing is stored."""
    from workflow.services.lookup import get_case

    case = get_case(s, case_id)
    if case.withdrawn_at is not None:  # a withdrawn case accepts nothing more
        raise RuleViolation(f"case {case.id} is withdrawn", key="rule.case_withdrawn",
                            id=case.id, on=case.withdrawn_at[:10])
    record = _record_of(s, case, record_id) if record_id not in (None, "") else None
    prepared = prepare(store, limits, uploads)
    if not prepared:
        raise UsageError("no file given", key="files.none")
    try:
        return attach(s, ctx, store, case, record.id if record else None, prepared)
    except BaseException:
        discard(store, prepared)
        raise


# -- reading --------------------------------------------------------------------------------------


def file_view(row: EvidenceFile) -> dict[str, Any]:
    kind = next((k for k, (media, _ext) in TYPES.items() if media == row.media_type), None)
    return {"id": row.id, "case": row.case_id, "record": row.record_id, "name": row.name,
            "type": (kind or "").upper(), "media_type": row.media_type, "size": row.size,
            "size_text": size_text(row.size), "sha256": row.sha256, "public": row.public,
            "uploaded_by": row.uploaded_by, "uploaded_at": row.uploaded_at,
            "void": row.voided_at is not None, "voided_at": row.voided_at,
            "voided_by": row.voided_by, "void_reason": row.void_reason,
            "url": f"/cases/{row.case_id}/files/{row.id}"}


def case_files(s: Session, case: Case) -> list[EvidenceFile]:
    return file_queries.files_of_case(s, case.id)


def list_files(s: Session, case: Case) -> list[dict[str, Any]]:
    """A case's files in the order they were attached, void ones marked."""
    return [file_view(row) for row in case_files(s, case)]


def audit_person_case_access(s: Session, ctx: Context, case: Case, action: str,
                             payload: dict[str, Any]) -> None:
    """A list or a copy of a person's case's files is a view of that case: audited, as every
    view of one is (procedures.md, last section) — `view.person_case` for a list,
    `file.download` for a file; nothing for a case about no person. The caller commits."""
    from workflow.services.processes import definition_of

    if definition_of(s, ctx, case).parties.person != "none":
        audit.append(s, ctx.actor, action, "case", case.id, payload)


def get_file(s: Session, case: Case, file_id: int | str) -> EvidenceFile:
    """One file of the case; NotFound for another case's file or none (the same answer)."""
    row = by_number(s, EvidenceFile, file_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"no file {file_id}", key="files.not_found", id=file_id)
    return row


def file_by_id(s: Session, file_id: int | str) -> EvidenceFile:
    """One file by its number (the CLI: the operator sees every case)."""
    row = by_number(s, EvidenceFile, file_id)
    if row is None:
        raise NotFound(f"no file {file_id}", key="files.not_found", id=file_id)
    return row


def open_blob(store: FileStore, row: EvidenceFile) -> BinaryIO:
    """The file's content for download, checked against its hash first: a changed or missing
    blob is refused rather than served as the evidence."""
    if not store.matches(row.sha256):
        raise RuleViolation(f"file {row.id} is changed or missing on disk",
                            key="files.blob_bad", id=row.id, name=row.name)
    return store.open(row.sha256)


def public_files(s: Session, case: Case) -> list[EvidenceFile]:
    """The files of a case marked public and not void (the public page's; a person's case has
    none: they cannot be marked public)."""
    return [r for r in case_files(s, case) if r.public and r.voided_at is None]


# -- public mark and void -------------------------------------------------------------------------


def set_public(s: Session, ctx: Context, case: Case, file_id: int | str, public: bool,
               ) -> EvidenceFile:
    """Mark a file public (shown on the organisation's public page) or private again. Refused
    for a void file and for any file of a case about a person."""
    from workflow.services.processes import definition_of

    row = get_file(s, case, file_id)
    if row.public == public:
        return row
    if public and definition_of(s, ctx, case).parties.person != "none":
        raise RuleViolation("a person's case keeps its files private",
                            key="files.person_private", name=row.name)
    if public and row.voided_at is not None:
        raise RuleViolation("a void file cannot be public", key="files.void_not_public",
                            name=row.name)
    row.public = public
    s.add(row)
    s.flush()
    audit.append(s, ctx.actor, "file.public" if public else "file.private", "case", case.id,
                 {"file": row.id, "sha256": row.sha256, "name": row.name})
    return row


def _void(s: Session, ctx: Context, case: Case, row: EvidenceFile, reason: str,
          record: int | None = None) -> None:
    row.voided_at, row.voided_by, row.void_reason = audit.now_iso(), ctx.actor, reason
    row.public = False  # a void file is no longer shown as evidence anywhere
    s.add(row)
    s.flush()
    audit.append(s, ctx.actor, "file.void", "case", case.id,
                 {"file": row.id, "sha256": row.sha256, "name": row.name, "reason": reason,
                  **({"with_record": record} if record is not None else {})})


def void_file(s: Session, ctx: Context, case: Case, file_id: int | str, reason: str,
              ) -> EvidenceFile:
    """Void a wrong file: kept (row and content), marked void with who, when and why."""
    from workflow.core.machine import MAX_TEXT

    row = get_file(s, case, file_id)
    reason = (reason or "").strip()
    if not reason:
        raise UsageError("a reason is required", key="error.reason_required")
    if len(reason) > MAX_TEXT or "\x00" in reason:
        raise UsageError(key="error.too_long", field="note", limit=MAX_TEXT)
    if row.voided_at is not None:
        raise RuleViolation(f"file {row.id} is already void", key="files.already_void",
                            name=row.name)
    _void(s, ctx, case, row, reason)
    return row


def void_with_record(s: Session, ctx: Context, case: Case, record_id: int, reason: str) -> int:
    """A voided record's files are voided with it (kept, marked, audited); how many."""
    rows = [r for r in case_files(s, case) if r.record_id == record_id and r.voided_at is None]
    for row in rows:
        _void(s, ctx, case, row, reason, record=record_id)
    return len(rows)


# -- checking the store ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileProblem:
    """A file whose content on disk is not what was attached."""

    id: int
    case: int
    record: int | None
    name: str
    problem: str  # missing | changed | unaudited


@dataclass(frozen=True)
class FileCheck:
    """`audit verify`'s files: every stored file checked, how many of them are void, how many
    void files' content was removed from the store (allowed), and the problems found."""

    checked: int
    voided: int
    removed: int
    problems: list[FileProblem]


def check_files(s: Session, store: FileStore | None) -> FileCheck:
    """Check every stored file, void ones too: the name is the SHA-256 the audit log recorded
    when it was attached (so a row changed to match a replaced blob is found too), and its blob
    is on disk and hashes to its name. A void file's content may be missing: it is no longer
    evidence, and an operator may have to remove it (a secret document attached by mistake);
    it is counted as removed, not as a problem. Present, it must still match its hash."""
    rows = file_queries.all_files(s)
    if not rows:
        return FileCheck(0, 0, 0, [])
    attached: dict[int, str] = {}
    for payload in audit_queries.payloads_of(s, ATTACH):
        with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
            data = json.loads(payload)
            attached[int(data["file"])] = str(data["sha256"])
    problems, removed = [], 0
    for row in rows:
        void = row.voided_at is not None
        if attached.get(row.id) != row.sha256:
            problem = "unaudited"
        elif store is None or not store.exists(row.sha256):
            if void:
                removed += 1
                continue
            problem = "missing"
        elif not store.matches(row.sha256):
            problem = "changed"
        else:
            continue
        problems.append(FileProblem(row.id, row.case_id, row.record_id, row.name, problem))
    return FileCheck(len(rows), sum(1 for r in rows if r.voided_at is not None), removed,
                     problems)


def verify_files(s: Session, store: FileStore | None) -> tuple[int, list[FileProblem]]:
    """(files checked, problems): `check_files` in short."""
    found = check_files(s, store)
    return found.checked, found.problems

"""An import's file between its web preview and its confirm, kept the same way for every web
import (a register's file, the organisations under one, an office's list of people): the
upload copied into the file store's staging folder within the smaller of the upload limit and
the import's, read within the `[import]` limits, kept in the file store once the preview
accepts it (`workflow/imports/staging.py`: any node finds it, a day at most) with the
preview's audit record, and named to the confirm form by a token: the kept blob's name, the
content's SHA-256 and a signature of both with the user, what the file is imported into and
the browser session's secret (its CSRF token). The confirm finds the file through the
preview's record, which must be the confirming user's own for the same import; a token of
another session, user or import, or a file gone, is refused with "upload it again", an
expired one as expired; the client never holds the rows."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from web.kit import uploads
from web.kit.deps import PageContext
from workflow.core.errors import UsageError
from workflow.imports import staging
from workflow.imports.staging import Into
from workflow.services import files as files_service
from workflow.services import transactions as tx
from workflow.tabular import Limits, read_rows


def limit(request: Request) -> int:
    """The most an imported file may hold: the smaller of the upload limit and the import's."""
    settings = request.app.state.settings
    return min(settings.files.max_bytes, settings.import_megabytes * 1024 * 1024)


def sign(pc: PageContext, *parts: str) -> str:
    """`parts` signed for this user and browser session."""
    secret = pc.session_row.csrf.encode()
    text = "|".join((str(pc.viewer.user.id), *parts))
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:32]


def token(pc: PageContext, into: Into, name: str, sha256: str) -> str:
    """What the confirm form carries of a kept file: its blob's name, SHA-256, signature."""
    return f"{name}.{sha256}.{sign(pc, into.entity, into.entity_id, name, sha256)}"


def gone() -> UsageError:
    return UsageError("the uploaded file is no longer here", key="import.upload_gone")


def sha256_of(form_token: str) -> str:
    """The content's SHA-256 a token names ("" if it names none)."""
    parts = form_token.rsplit(".", 2)
    return parts[1] if len(parts) == 3 else ""


def found(request: Request, pc: PageContext, into: Into, form_token: str,
          owner: str | None = None) -> tuple[Path, str]:
    """The kept file a confirm form names, copied to this node (the caller removes the copy),
    and the kept blob's name: if this session previewed it for this import (`owner`: a
    resume, whose preview was the importer's, allowed by the caller already), it is still
    there as it was and not expired (an expired one is removed)."""
    parts = form_token.rsplit(".", 2)
    name, sha256, rest = parts if len(parts) == 3 else ("", "", "")
    if not re.fullmatch(r"[0-9a-f]{64}", name) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise gone()
    if owner is None and not hmac.compare_digest(
            rest, sign(pc, into.entity, into.entity_id, name, sha256)):
        raise gone()
    record = staging.find(pc.s, into, owner or pc.ctx.actor, name)
    if record is None or record.sha256 != sha256:
        raise gone()
    store = uploads.store_of(request)
    if staging.expired(record):
        staging.remove(store, name)
        raise staging.expired_error()
    path = staging.fetch(store, name, sha256)
    if path is None:
        raise gone()
    return path, name


def receive(request: Request, upload: UploadFile | None) -> tuple[Path, str, str]:
    """The upload copied into the store's staging folder within the limit, named by its kind
    (an XLSX is a zip archive; anything else is read as CSV): its path, SHA-256 and name as
    uploaded; refused in words when no file, an empty one or one too large came."""
    if upload is None or not (upload.filename or upload.size):
        raise UsageError("no file", key="import.no_file")
    store = uploads.store_of(request)
    most = limit(request)
    try:
        staged = store.stage_stream(upload.file, most)
    except UsageError:  # over the limit (TooLarge): nothing kept
        raise UsageError("file too large", key="import.too_large",
                         limit=files_service.size_text(most)) from None
    if staged.size == 0:
        store.discard(staged)
        raise UsageError("empty file", key="import.no_file")
    kind = ".xlsx" if staged.head(4) == b"PK\x03\x04" else ".csv"
    path = staged.path.with_name(staged.path.name + kind)
    staged.path.rename(path)
    return path, staged.sha256, files_service.clean_name(upload.filename) or "file"


def discard(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def file_rows(request: Request, path: Path, shown_name: str) -> list[dict[str, Any]]:
    """The file's rows within the [import] limits, each header as written; a refusal of the
    file names it as uploaded."""
    settings = request.app.state.settings
    try:
        return read_rows(path, (), Limits(rows=settings.import_rows,
                                          megabytes=settings.import_megabytes),
                         as_written=True)
    except UsageError as exc:
        if "path" in exc.params:
            exc.params["path"] = shown_name
        raise


def keep(request: Request, pc: PageContext, into: Into, path: Path, sha256: str,  # noqa: PLR0913
         payload: dict[str, Any], *, wanted: bool = True, kept: str = "") -> str:
    """The previewed file kept for its confirm when `wanted` (`kept`: the blob it already is;
    not wanted, that blob is removed) and its preview audited (`import.preview` on `into`,
    naming the blob); this node's copy removed; the import's stale kept files swept. The
    confirm form's token ("" when none is kept)."""
    store = uploads.store_of(request)
    try:
        name = (kept or staging.keep(store, path)) if wanted else ""
    finally:
        discard(path)
    if kept and not wanted:
        staging.remove(store, kept)
    try:
        tx.audited(pc.s, pc.ctx.actor, staging.PREVIEW, into.entity, into.entity_id,
                   {**payload, "sha256": sha256, **({"staged": name} if name else {})})
    except BaseException:
        if name:
            staging.remove(store, name)
        raise
    staging.sweep(pc.s, store, into)
    return token(pc, into, name, sha256) if name else ""


def used(request: Request, name: str) -> None:
    """A kept file's blob removed once its import is written: no second confirm."""
    staging.remove(uploads.store_of(request), name)

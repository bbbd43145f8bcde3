"""What the case page needs of evidence files: the upload's size check before its body is
read, the file parts of a form, saving a record with its files, and the files the page lists
(the routes of the files themselves: web/files_page.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from web.kit.access import Viewer
from web.kit.deps import PageContext
from web.kit.page import attachment, check_csrf
from web.kit.recording import FormProblems, Problem, record_name
from web.kit.times import local_time
from workflow import services as svc
from workflow.core.errors import MerzimError, UsageError
from workflow.services import attachments, visibility
from workflow.services import files as files_service
from workflow.services.views import CaseView

SLACK = 1024 * 1024  # a multipart body's own bytes (boundaries, headers, the other fields)
MAX_PARTS = files_service.MAX_FILES + 1  # more file parts than that: refused by the parser


def store_of(request: Request):
    return files_service.store(request.app.state.settings)


def send_stored(store, sha256: str, name: str, media_type: str, size: int) -> Response:
    """A stored file sent as it is kept: an attachment named `name`, of its recorded type,
    never sniffed or cached; from its path in a directory store, else streamed from the
    database's store a chunk at a time (the one way a kept file goes out)."""
    headers = {"Content-Disposition": attachment(name), "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-store"}
    path = store.local_path(sha256)
    if path is not None:
        return FileResponse(path, media_type=media_type, headers=headers)
    blob = store.open(sha256)

    def chunks():
        with blob:
            yield from iter(lambda: blob.read(1 << 16), b"")

    return StreamingResponse(chunks(), media_type=media_type,
                             headers={**headers, "Content-Length": str(size)})


def limits_of(request: Request):
    return request.app.state.settings.files


def largest_body(max_bytes: int) -> int:
    """The most a request may carry: MAX_FILES files of `max_bytes` and the form around them."""
    return max_bytes * files_service.MAX_FILES + SLACK


def too_large(max_bytes: int) -> UsageError:
    return UsageError("request too large", key="files.request_too_large",
                      limit=files_service.size_text(max_bytes), n=files_service.MAX_FILES)


def check_length(request: Request) -> None:
    """Refuse a body larger than the files it may carry before reading it (the parts are
    spooled to disk, never held in memory; this keeps the disk from filling too)."""
    max_bytes = limits_of(request).max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > largest_body(max_bytes):
        raise too_large(max_bytes)


async def file_form(request: Request, pc: PageContext) -> tuple[UploadFile | None, FormData]:
    """A form that sends one file (`file`): its size checked before its body is read, then its
    CSRF token; the file (None: none sent) and the form's other fields."""
    check_length(request)
    data = await request.form(max_files=2)
    token = data.get("csrf")
    await run_in_threadpool(check_csrf, pc, token if isinstance(token, str) else None)
    upload = data.get("file")
    return (upload if isinstance(upload, UploadFile) else None), data


def uploads_of(values: list[Any]) -> list[files_service.Upload]:
    """The file parts of a form that carry a file (a form with none chosen sends an empty
    part with no name)."""
    return [files_service.Upload(v.filename or "", v.file) for v in values
            if isinstance(v, UploadFile) and (v.filename or v.size)]


def as_form_problem(exc: MerzimError, pc: PageContext) -> FormProblems:
    """A refused upload shown next to the form's file input."""
    return FormProblems([Problem(exc.render(pc.t), exc.key, "files", True)])


def record_with_files(request: Request, pc: PageContext, case, event: str, on, evidence,
                      uploads: list[files_service.Upload], repeat: bool = False) -> None:
    """The event form's save: the record and its files together (web/case_actions_page.py); `repeat`: a
    repeatable event recorded again on purpose (the confirmation's button)."""
    if not uploads:
        svc.record_event(pc.s, pc.ctx, case.id, event, on, evidence, repeat=repeat)
        return
    try:
        attachments.record_with_files(pc.s, pc.ctx, store_of(request), limits_of(request),
                                      case.id, event, on, evidence, uploads, repeat=repeat)
    except files_service.FileRefused as exc:
        raise as_form_problem(exc, pc) from None


def files_by_record(request: Request, s, ctx, viewer: Viewer, case,
                    view: CaseView) -> dict[str, Any]:
    """What the case page shows of files: the upload limits (the record forms' file input),
    and the files with the record each confirms (`rows` None: the viewer may not see them)."""
    limits = limits_of(request)
    accept = ",".join(ext for kind in limits.types
                      for ext in (*files_service.TYPES[kind][1], files_service.TYPES[kind][0]))
    out: dict[str, Any] = {"types": ", ".join(k.upper() for k in limits.types),
                           "limit": files_service.size_text(limits.max_bytes),
                           "accept": accept, "rows": None}
    defn = svc.definition_of(s, ctx, case)
    if not visibility.may_see_person(viewer.user, case, defn):
        return out
    records = {r.id: r for r in view.records}
    tz = request.app.state.settings.tz
    rows = files_service.list_files(s, case)
    for row in rows:
        rec = records.get(row["record"])
        row["record_label"] = (f"#{rec.id} {record_name(defn, rec, ctx.language)} "
                               f"({rec.on.isoformat()})" if rec else None)
        row["uploaded_local"] = local_time(row["uploaded_at"], tz)
    names = svc.display_names(s, [row["uploaded_by"] for row in rows])  # "web:asel": her name
    for row in rows:
        row["uploaded_name"] = names.get(row["uploaded_by"] or "")
    out.update(rows=rows, person_case=defn.parties.person != "none")
    return out

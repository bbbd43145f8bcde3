"""A case's evidence files on the web and in the API: attach to a record that stands (or to
the case), download, make public or private, void (a record's files are saved with it:
web/kit/uploads.py). Same access as the case: a file of a case the viewer may not see, or of a
person's case whose person she may not see, is answered as if it did not exist (404)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from web.case_actions_page import write
from web.kit.access import Viewer, require_recorder, visible_case
from web.kit.api import ApiContext, api_routes, file_answer
from web.kit.deps import PageContext
from web.kit.page import audited_refusal, check_csrf, page
from web.kit.shapes import Shape
from web.kit.uploads import (
    MAX_PARTS,
    as_form_problem,
    check_length,
    limits_of,
    send_stored,
    store_of,
    uploads_of,
)
from workflow import services as svc
from workflow.core.errors import NotFound, UsageError
from workflow.services import files as files_service
from workflow.services import transactions as tx
from workflow.services import visibility

router = APIRouter(include_in_schema=False)
api_router = api_routes()


def _files_shown(s, ctx, viewer: Viewer, case) -> bool:
    """A case's files are as private as its person (a signed order or a declaration names
    the person): services/visibility.py `may_see_person`."""
    return visibility.may_see_person(viewer.user, case, svc.definition_of(s, ctx, case))


def visible_file(s, ctx, viewer: Viewer, case_id: str | int, file_id: str | int):
    """(case, file) the viewer may see; NotFound for a file she may not (or that is not)."""
    case = visible_case(s, viewer, case_id)
    if not _files_shown(s, ctx, viewer, case):
        raise NotFound(f"no file {file_id}", key="files.not_found", id=file_id)
    return case, files_service.get_file(s, case, file_id)


def download(s, ctx, viewer: Viewer, store, case, row) -> Response:
    """The file itself: its type, as an attachment, never sniffed; checked against its hash
    first. A download of a person's case's file is audited, as a view of the case is."""
    files_service.open_blob(store, row).close()  # a changed or missing blob: refused (409)
    with tx.transaction(s):
        files_service.audit_person_case_access(s, ctx, case, "file.download",
                                               {"file": row.id, "sha256": row.sha256})
    return send_stored(store, row.sha256, row.name, row.media_type, row.size)


# -- pages ------------------------------------------------------------------------------------


@router.get("/cases/{case_id}/files/{file_id}")
def file_download(request: Request, case_id: str, file_id: str, pc: PageContext = Depends(page)):
    case, row = visible_file(pc.s, pc.ctx, pc.viewer, case_id, file_id)
    return download(pc.s, pc.ctx, pc.viewer, store_of(request), case, row)


def _act(request: Request, pc: PageContext, case_id: str, action: str, form: dict[str, str],
         do) -> Response:
    """An action on a case's files, as the case's other forms: refused, the case page with the
    problem and nothing stored; done, back to the case page with its confirmation."""
    case = visible_case(pc.s, pc.viewer, case_id)
    if not _files_shown(pc.s, pc.ctx, pc.viewer, case):
        raise NotFound(f"no file {form.get('file')}", key="files.not_found",
                       id=form.get("file", ""))
    return write(request, pc, case_id, action, form, do, action)


@router.post("/cases/{case_id}/files")
async def file_attach(request: Request, case_id: str, pc: PageContext = Depends(page)):
    """Attach files to a record of the case that stands (or to the case)."""
    check_length(request)
    data = await request.form(max_files=MAX_PARTS)
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    record = str(data.get("record") or "")
    uploads = uploads_of(data.getlist("files"))

    def do(case):
        try:
            files_service.attach_files(pc.s, pc.ctx, store_of(request), limits_of(request),
                                       case.id, uploads, record or None)
        except files_service.FileRefused as exc:
            raise as_form_problem(exc, pc) from None
        return {"kind": "files", "what": str(len(uploads))}

    return await run_in_threadpool(_act, request, pc, case_id, "attach", {"record": record}, do)


@router.post("/cases/{case_id}/files/{file_id}/public")
async def file_public(request: Request, case_id: str, file_id: str,
                      pc: PageContext = Depends(page)):
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    public = data.get("public") == "yes"

    def do(case):
        row = files_service.set_public(pc.s, pc.ctx, case, file_id, public)
        return {"kind": "file_public" if public else "file_private", "what": row.name}

    return await run_in_threadpool(_act, request, pc, case_id, "file_public",
                                   {"file": file_id}, do)


@router.post("/cases/{case_id}/files/{file_id}/void")
async def file_void(request: Request, case_id: str, file_id: str,
                    pc: PageContext = Depends(page)):
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    note = str(data.get("note") or "")

    def do(case):
        row = files_service.void_file(pc.s, pc.ctx, case, file_id, note)
        return {"kind": "file_void", "what": row.name}

    return await run_in_threadpool(_act, request, pc, case_id, "file_void",
                                   {"file": file_id, "file_note": note}, do)


# -- API --------------------------------------------------------------------------------------

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["files"],
            "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                          "description": "One or more files (PDF, DOCX, XLSX, JPEG, PNG as "
                                         "[files] types allows), at most [files] max_bytes "
                                         "each; the type is read from the content."},
                "record": {"type": "integer", "description": "The record they confirm (a "
                           "record of the case that stands); none: the case itself."},
            }}}},
    },
}


class PublicIn(BaseModel):
    """A file made public (shown on the organisation's public page) or private again."""

    public: bool = Field(description="true: public; false: private again.")


class FileVoidIn(BaseModel):
    """A wrong file to void, with the reason (as a record's void: `note`)."""

    note: str = Field(default="", max_length=500,
                      description="Why the file is wrong (required: refused without it).")


def _api_case(a: ApiContext, case_id: int):
    case = visible_case(a.s, a.viewer, case_id)
    if not _files_shown(a.s, a.ctx, a.viewer, case):
        raise NotFound(f"files of case {case_id} are private", key="files.case_private",
                       id=case_id)
    return case


def _api_item(row) -> dict[str, Any]:
    """A file as the API lists it: its download address under /api/v1."""
    item = files_service.file_view(row)
    item["url"] = f"/api/v1{item['url']}"
    return item


def _api_write(a: ApiContext, case, action: str, detail: dict[str, Any], do):
    """A change to the case's files by its recorders, as the API's other writes: refused, the
    refusal audited (`refused.<action>`) and nothing stored; done, what `do` returned."""
    with audited_refusal(a, action, "case", case.id, detail):
        require_recorder(a.viewer, case)
        with tx.transaction(a.s):
            return do(case)


class FileItem(Shape):
    """A file of a case as the API lists it: its type, size, digest, who attached it and
    when, whether it is public or void, and its download address under /api/v1."""

    id: int
    case: int
    record: int | None
    name: str
    type: str
    media_type: str
    size: int
    size_text: str
    sha256: str
    public: bool
    uploaded_by: str
    uploaded_at: Any
    void: bool
    voided_at: Any
    voided_by: str | None
    void_reason: str | None
    url: str


class FileList(Shape):
    """A case's files (or those just attached) and how many."""

    items: list[FileItem]
    total: int


@api_router.get("/cases/{case_id}/files", response_model=FileList)
def api_list(case_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """The case's files (void ones marked). 404 for a case the caller may not see, and for a
    case about a person whose person the caller may not see."""
    case = _api_case(a, case_id)
    items = [_api_item(row) for row in files_service.case_files(a.s, case)]
    with tx.transaction(a.s):  # a person's case's files listed: a view of the case, audited
        files_service.audit_person_case_access(a.s, a.ctx, case, "view.person_case",
                                               {"person_shown": False, "files": len(items)})
    return {"items": items, "total": len(items)}


@api_router.post("/cases/{case_id}/files", status_code=201, openapi_extra=UPLOAD_BODY,
                 response_model=FileList)
async def api_attach(request: Request, case_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """Attach files to the case (to one of its records with `record`); refused (409/422)
    with nothing stored when one file is empty, too large or not an accepted type."""
    case = await run_in_threadpool(_api_case, a, case_id)  # 404 before the body is read
    check_length(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UsageError("multipart/form-data expected", key="files.multipart")
    data = await request.form(max_files=MAX_PARTS)
    uploads = uploads_of(data.getlist("files"))
    record = str(data.get("record") or "")
    return await run_in_threadpool(_api_attach, request, a, case, uploads, record)


def _api_attach(request: Request, a: ApiContext, case, uploads, record: str):
    rows = _api_write(a, case, "attach", {"record": record[:64]},
                      lambda c: files_service.attach_files(a.s, a.ctx, store_of(request),
                                                           limits_of(request), c.id, uploads,
                                                           record or None))
    items = [_api_item(r) for r in rows]
    return {"items": items, "total": len(items)}


@api_router.get("/cases/{case_id}/files/{file_id}",
                response_class=Response,
                responses=file_answer("The file's content, as an attachment."))
def api_download(request: Request, case_id: int, file_id: int, a: ApiContext = Depends()):
    """One file's content (its media type; Content-Disposition: attachment). 404 for a file
    the caller may not see, as for one that does not exist."""
    case, row = visible_file(a.s, a.ctx, a.viewer, case_id, file_id)
    return download(a.s, a.ctx, a.viewer, store_of(request), case, row)


@api_router.post("/cases/{case_id}/files/{file_id}/public", response_model=FileItem)
def api_public(case_id: int, file_id: int, body: PublicIn,
               a: ApiContext = Depends()) -> dict[str, Any]:
    """Make a file public (the organisation's public page may show it) or private again, as
    the case page's button: the case's officers and admins; refused (409) for a void file and
    for any file of a case about a person, with nothing stored. Returns the file as listed."""
    case = _api_case(a, case_id)
    row = _api_write(a, case, "file_public", {"file": file_id},
                     lambda c: files_service.set_public(a.s, a.ctx, c, file_id, body.public))
    return _api_item(row)


@api_router.post("/cases/{case_id}/files/{file_id}/void", response_model=FileItem)
def api_void(case_id: int, file_id: int, body: FileVoidIn,
             a: ApiContext = Depends()) -> dict[str, Any]:
    """Void a wrong file with the reason (`note`, required: 422 without it): kept, marked void
    with who, when and why, no longer public. Returns the file as listed."""
    case = _api_case(a, case_id)
    row = _api_write(a, case, "file_void", {"file": file_id},
                     lambda c: files_service.void_file(a.s, a.ctx, c, file_id, body.note))
    return _api_item(row)

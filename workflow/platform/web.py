"""The programme page's cross-platform part: the "Download package" button (the package of a
programme as one ZIP of its sub-tasks' ZIPs with their report forms, workflow.platform.service,
for whoever may see the programme page, web/kit/access.py visible_programme, audited as an
export; a form names a case's person only to whom the case page shows it) and the form recording
the day a sub-task was uploaded (its officers and admins); the programme's page and API show
each sub-task (`PROGRAMME_PART`, composed by web/app.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from web.kit.access import person_rule, require_programme_recorder, visible_programme
from web.kit.api import ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import attachment, check_csrf, form_day, page
from web.kit.parts import Parts
from web.kit.programme import programme_view
from web.kit.shapes import Shape
from workflow import services as svc
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.platform import service as platform
from workflow.platform.rules import PlatformMap
from workflow.services import transactions as tx

if TYPE_CHECKING:
    from workflow.storage.models import Programme

router = APIRouter(include_in_schema=False)
api_router = api_routes()
SPOOL = 8 * 1024 * 1024  # a larger package goes to a temporary file, not memory
CHUNK = 1 << 16


@router.get("/programmes/{programme_id}/package.zip")
def package_zip(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    viewer = pc.viewer
    pkg = platform.build(pc.s, pc.ctx, platform_map(request), prog,
                         forms=platform.form_writer(),
                         sees_person=person_rule(viewer))
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - streamed, then closed
    platform.write_bundle(pkg, platform.store_for(pkg, request.app.state.settings), out)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.package", "programme", prog.id,
               platform.export_details(pkg))
    size = out.tell()
    out.seek(0)

    def chunks() -> Iterator[bytes]:
        with out:
            yield from iter(lambda: out.read(CHUNK), b"")

    return StreamingResponse(chunks(), media_type="application/zip", headers={
        "Content-Disposition": attachment(f"package-{pkg.subject}-{pkg.year}.zip"),
        "Content-Length": str(size)})


@router.post("/programmes/{programme_id}/uploads", response_class=HTMLResponse)
def record_upload(request: Request, programme_id: str, subtask: str = Form(""),
                  on: str = Form(""), url: str = Form(""), csrf: str = Form(""),
                  pc: PageContext = Depends(page)):
    """The day a sub-task's documents were uploaded to the cross-platform (as `merzim
    uploaded`): refused with the reason beside the form and nothing stored, or saved (audited
    `platform.uploaded`) and back to the programme page."""
    check_csrf(pc, csrf)
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    form = {"subtask": subtask[:64], "on": on[:32], "url": url[:2000]}
    try:
        require_programme_recorder(pc.viewer, prog)
        if len(url) > 2000:
            raise UsageError(key="rule.too_long", field="url", limit=2000)
        day = form_day(pc, on)
        with tx.transaction(pc.s):
            platform.record_upload_of(pc.s, pc.ctx, platform_map(request), prog,
                                      subtask, day, url)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.platform_upload", "programme", prog.id,
                   {"subtask": form["subtask"], "key": exc.key})
        return programme_view(request, pc, prog, status=409 if isinstance(
            exc, RuleViolation) else 422, upload_problem=exc.render(pc.t), upload_form=form)
    return RedirectResponse(f"/programmes/{prog.id}#package-title", status_code=303)


def platform_map(request) -> PlatformMap:
    """The implementation map of the cross-platform, read once per application."""
    st = request.app.state
    if getattr(st, "platform_map", None) is None:
        st.platform_map = platform.platform_map(st.settings)  # every definition configured
    return st.platform_map


def platform_view(s: Session, ctx: svc.Context, pmap: PlatformMap, prog: Programme
                  ) -> dict[str, Any]:
    """The programme page's cross-platform part: each sub-task's documents, warnings and upload
    date, and the upload date under each stage column whose records a sub-task packages."""
    pkg = platform.build(s, ctx, pmap, prog)
    columns: dict[str, Any] = {}
    planned = svc.programme_definition(s, ctx, prog).key
    for _, _, sub in pmap.subtasks():
        for doc in sub.documents:
            if doc.process == planned and doc.stage:
                columns[doc.stage] = next((p.uploaded_on for p in pkg.parts if p.key == sub.key),
                                          None)
    return {"subtasks": platform.summary(pkg), "columns": columns,
            "warnings": len(pkg.warnings), "documents": sum(len(p.rows) for p in pkg.parts)}


class UploadIn(BaseModel):
    """The day a sub-task's documents were uploaded to the cross-platform, and its link there."""

    model_config = {"populate_by_name": True}

    subtask: str = Field(max_length=64, examples=["1.1.2"],
                         description="A sub-task key of the implementation map "
                                     "(GET /api/v1/programmes/{id} lists them under "
                                     "platform.subtasks).")
    on: date = Field(alias="date", description="The day it was uploaded (not after today).")
    url: str | None = Field(default=None, max_length=2000,
                            description="The sub-task's page on the platform (http or https).")


# a sub-task of the cross-platform package as the API gives it (platform_view's summary)
SUBTASK_FIELDS = ("subtask", "name", "name_kk", "documents", "files", "warnings", "uploaded_on",
                  "uploaded_url")


def _subtasks(request: Request, s: Session, ctx: svc.Context, prog) -> list[dict[str, Any]]:
    """Each sub-task of the implementation map as the programme page's package table shows it
    (the package is built: the programme's cases' records and files, no case about a person)."""
    view = platform_view(s, ctx, platform_map(request), prog)
    return [{k: st[k] for k in SUBTASK_FIELDS} for st in view["subtasks"]]


class Subtask(Shape):
    """A sub-task of the implementation map as the programme lists it: how many documents,
    files and warnings it has, and the day (and link) it was uploaded."""

    subtask: str
    name: str
    name_kk: str | None
    documents: int
    files: int
    warnings: int
    uploaded_on: date | None
    uploaded_url: str | None


@api_router.post("/programmes/{programme_id}/uploads", status_code=201, name="record_upload",
                 response_model=Subtask)
def api_record_upload(request: Request, programme_id: int, body: UploadIn,
                      a: ApiContext = Depends()) -> dict[str, Any]:
    """Record the day a sub-task was uploaded to the cross-platform, as the programme page's
    form and `merzim uploaded` do (the newest day counts); returns the sub-task as the
    programme lists it. Refused with nothing stored: 409 (not the programme's officer or an
    admin, a day in the future), 422 (an unknown sub-task, a link that is not a web address)."""
    prog = visible_programme(a.s, a.viewer, programme_id)
    try:
        require_programme_recorder(a.viewer, prog)
        with tx.transaction(a.s):
            platform.record_upload_of(a.s, a.ctx, platform_map(request), prog,
                                      body.subtask, body.on, body.url)
    except MerzimError as exc:
        tx.refused(a.s, a.ctx.actor, "refused.platform_upload", "programme", prog.id,
                   {"subtask": body.subtask, "key": exc.key})
        if isinstance(exc, NotFound):  # an unknown sub-task is bad input here, as on the page
            exc = UsageError(exc.message, key=exc.key, **exc.params)
        exc.audited = True
        raise exc from None
    return next(st for st in _subtasks(request, a.s, a.ctx, prog) if st["subtask"] == body.subtask)


class ProgrammePart:
    """The cross-platform's part of a programme (web/kit/programme.py): on the page, each
    sub-task with its documents, warnings and upload day, and the upload day under each stage
    column; in the API's programme, `platform.subtasks`."""

    def page(self, request: Request, s: Session, ctx: svc.Context, prog: Programme
             ) -> dict[str, Any]:
        return {"platform": platform_view(s, ctx, platform_map(request), prog)}

    def api(self, request: Request, s: Session, ctx: svc.Context, prog: Programme
            ) -> dict[str, Any]:
        return {"platform": {"subtasks": _subtasks(request, s, ctx, prog)}}


PROGRAMME_PART = ProgrammePart()


PARTS = Parts(routers=(router, api_router), programme=PROGRAMME_PART)

"""The programme page's cross-platform part: the "Download package" button (the package of a
programme as one ZIP of its sub-tasks' ZIPs, workflow.services.platform, for whoever may see the
programme page, web/kit/access.py visible_programme, audited as an export) and the form recording
the day a sub-task was uploaded (its officers and admins)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from web.kit.access import require_programme_recorder, visible_programme
from web.kit.deps import PageContext
from web.kit.page import attachment, check_csrf, form_day, page
from web.kit.views import platform_map
from web.pages import programme_view
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.services import platform
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
SPOOL = 8 * 1024 * 1024  # a larger package goes to a temporary file, not memory
CHUNK = 1 << 16


@router.get("/programmes/{programme_id}/package.zip")
def package_zip(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    pkg = platform.build(pc.s, pc.ctx, platform_map(request), prog)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - streamed, then closed
    platform.write_bundle(pkg, platform.store_for(pkg, request.app.state.settings), out)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.package", "programme", prog.id,
               {"subject": pkg.subject, "year": pkg.year,
                "subtasks": [p.key for p in pkg.with_documents()],
                "files": sum(len(p.files) for p in pkg.parts), "problems": pkg.problems})
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

"""The programme page's "Download package" button: the cross-platform package of a programme as
one ZIP of its sub-tasks' ZIPs (workflow.services.platform), for whoever may see the programme
page (web/access.py visible_programme), audited as an export."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from web.access import visible_programme
from web.deps import PageContext
from web.pages import attachment, page
from web.views import platform_map
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

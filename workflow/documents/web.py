"""The documents on the web: a "draft the document" link beside each stage a document
confirms on the case page; the document's page (its download in kk, ru and en, whose template
it is drafted from, the form that records the signed scan as the stage's confirming document
in one step, and on the analytic note's page its risks with the form that records one); the
API's `GET /api/v1/cases/{id}/documents`, `GET /api/v1/cases/{id}/documents/{stage}?lang=` and
`POST /api/v1/cases/{id}/documents/{stage}` (the signed scan).

Who may draft a document is who may see its case (a case about a person: who may see the
person); who may record the signed scan is who may record on the case.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from web.kit import recording, uploads
from web.kit.access import Viewer, hidden, require_recorder, visible_case, visible_programme
from web.kit.api import ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import attachment, audited_refusal, check_csrf, page, render, secure
from web.kit.parts import Parts
from web.kit.shapes import Shape
from workflow import services as svc
from workflow.core.dates import parse_day
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.documents import service as documents
from workflow.documents.texts import DocumentsSettings, TemplateRefused
from workflow.i18n import LANGUAGES
from workflow.services import transactions as tx
from workflow.services import visibility
from workflow.services.files import FileRefused

router = APIRouter(include_in_schema=False)
api_router = api_routes()


def _case(s, ctx, viewer: Viewer, case_id: str | int):
    """The case of a document, if the viewer may read it (as if it did not exist otherwise)."""
    case = visible_case(s, viewer, case_id)
    defn = svc.definition_of(s, ctx, case)
    if not visibility.may_see_person(viewer.user, case, defn):
        raise hidden("analysis", case_id)
    return case, defn


def _folder(request: Request):
    return request.app.state.settings.of(DocumentsSettings).templates


def _download(drafted: documents.Drafted) -> Response:
    return Response(drafted.content, media_type=documents.DOCX,
                    headers={"Content-Disposition": attachment(drafted.filename),
                             "Cache-Control": "no-store"})


class StageLinks:
    """The case page's links beside the stages a document confirms."""

    def links(self, request: Request, pc: PageContext, case, view) -> dict[str, list]:
        defn = svc.definition_of(pc.s, pc.ctx, case)
        if not visibility.may_see_person(pc.viewer.user, case, defn):
            return {}
        label = pc.t("document.link")
        # a period's document: named with its period and dates beside the period's stage
        links = {o.stage: [(f"{label}: {o.name}" + (f", {o.period}" if o.period else ""),
                            f"/cases/{case.id}/documents/{o.stage}")]
                 for o in documents.offers(pc.s, pc.ctx, case, pc.t.language)}
        for stage in documents.risk_places(pc.s, pc.ctx, case):
            # the risks the note carries, with their causes and conditions, on its page
            n = len(documents.risks_of(pc.s, case))
            links.setdefault(stage, []).append(
                (pc.t.n("document.risks_link", n), f"/cases/{case.id}/documents/{stage}#risks"))
        return links


def _page(request: Request, pc: PageContext, case_id: str, stage: str,
          problems: list[recording.Problem] | None = None, form: dict[str, str] | None = None,
          status: int = 200, risk_problems: list[recording.Problem] | None = None,
          risk_form: dict[str, str] | None = None) -> HTMLResponse:
    case, defn = _case(pc.s, pc.ctx, pc.viewer, case_id)
    doc = documents.document_of(pc.s, pc.ctx, case, stage)
    view = svc.case_view(pc.s, pc.ctx, case)
    drafted, refused = {}, {}
    for lang in LANGUAGES:  # a language whose template is refused: said beside its download
        try:
            drafted[lang] = documents.draft(pc.s, pc.ctx, case.id, stage, lang, _folder(request))
        except TemplateRefused as exc:
            refused[lang] = exc.render(pc.t)
    try:
        require_recorder(pc.viewer, case)
        can_record = view.withdrawn is None
    except RuleViolation:
        can_record = False
    fixed = documents.fixed_evidence(doc, stage)
    event_form = recording.event_form(defn, defn.events[doc.event], pc.t, [])
    problems = problems or []
    return render(request, pc, "document.html", status=status, view=view, doc=doc,
                  doc_name=doc.name(pc.t.language), stage=stage,
                  stage_name=next((st.name for st in view.stages if st.key == stage), stage),
                  period=next((o.period for o in documents.offers(pc.s, pc.ctx, case,
                                                                  pc.t.language)
                               if o.stage == stage), ""),
                  drafted=drafted, refused=refused, languages=LANGUAGES, can_record=can_record,
                  fields=[f for f in event_form.fields if f.key not in fixed],
                  problems=problems, field_errors={p.field: p.message for p in problems
                                                   if p.field},
                  form=form or {}, files=uploads.files_by_record(
                      request, pc.s, pc.ctx, pc.viewer, case, view),
                  risks=documents.risks_of(pc.s, case) if doc.records_risks else None,
                  risk_fields=documents.RISK_FIELDS, risk_problems=risk_problems or [],
                  risk_form=risk_form or {})


@router.get("/cases/{case_id}/documents/{stage}", response_class=HTMLResponse)
def document_page(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page)):
    return _page(request, pc, case_id, stage)


@router.get("/cases/{case_id}/documents/{stage}/docx")
def document_docx(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page)):
    """The document drafted from the case in ?lang= (the reader's by default)."""
    case, _defn = _case(pc.s, pc.ctx, pc.viewer, case_id)
    return _download(documents.draft(pc.s, pc.ctx, case.id, stage,
                                     request.query_params.get("lang") or pc.t.language,
                                     _folder(request)))


@router.post("/cases/{case_id}/documents/{stage}", response_class=HTMLResponse)
async def record_signed(request: Request, case_id: str, stage: str,
                        pc: PageContext = Depends(page)):
    """The signed scan recorded as the stage's confirming document, with its record, in one
    step; a refusal shows the page again with every problem, nothing stored."""
    uploads.check_length(request)
    data = await request.form(max_files=uploads.MAX_PARTS)
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}
    files = uploads.uploads_of(data.getlist("files"))
    return await run_in_threadpool(_record, request, pc, case_id, stage, form, files)


def _record(request: Request, pc: PageContext, case_id: str, stage: str,
            form: dict[str, str], files: list) -> Response:
    case, defn = _case(pc.s, pc.ctx, pc.viewer, case_id)
    doc = documents.document_of(pc.s, pc.ctx, case, stage)
    checked = {**form, "event": doc.event,
               **{recording.input_name(k): v
                  for k, v in documents.fixed_evidence(doc, stage).items()}}
    try:
        require_recorder(pc.viewer, case)
        with tx.transaction(pc.s):
            on, evidence = recording.check_form(defn, checked, pc.ctx.today, pc.t)
            assert on is not None
            try:
                documents.record_signed(pc.s, pc.ctx, uploads.store_of(request),
                                        uploads.limits_of(request), case.id, stage, on,
                                        evidence, files)
            except FileRefused as exc:
                raise uploads.as_form_problem(exc, pc) from None
    except MerzimError as exc:
        problems = recording.problems_of(exc, pc.t)
        tx.refused(pc.s, pc.ctx.actor, "refused.event", "case", case.id,
                   {"event": doc.event, "document": doc.key, "key": exc.key})
        status = exc.status if isinstance(exc, recording.FormProblems) \
            else 409 if isinstance(exc, RuleViolation) else 422
        return _page(request, pc, case_id, stage, problems=problems, form=form, status=status)
    resp = RedirectResponse(f"/cases/{case.id}", status_code=303)
    recording.set_flash(resp, secure(request), pc.session_row.csrf, case.id, kind="event",
                        what=doc.event, on=on.isoformat())
    return resp


@router.post("/cases/{case_id}/documents/{stage}/risks", response_class=HTMLResponse)
def record_risk(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page),
                csrf: str = Form(""), description: str = Form(""), process: str = Form(""),
                subdivision: str = Form(""), causes: str = Form("")) -> Response:
    """A risk of the case, with its causes and conditions, recorded from the analytic note's
    place; a refusal shows the page again with the problem, nothing stored."""
    check_csrf(pc, csrf)
    case, _defn = _case(pc.s, pc.ctx, pc.viewer, case_id)
    given = {"description": description, "process": process, "subdivision": subdivision,
             "causes": causes}
    try:
        require_recorder(pc.viewer, case)
        with tx.transaction(pc.s):
            documents.record_risk(pc.s, pc.ctx, case.id, stage, given)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.risk", "case", case.id, {"key": exc.key})
        status = 409 if isinstance(exc, RuleViolation) and exc.key != "rule.too_long" else 422
        if exc.key in ("document.none", "document.no_risks"):
            raise
        return _page(request, pc, case_id, stage, status=status,
                     risk_problems=recording.problems_of(exc, pc.t), risk_form=given)
    return RedirectResponse(f"/cases/{case.id}/documents/{stage}#risks", status_code=303)


class DocumentOffers(Shape):
    """The documents of a case, each with the stage it confirms."""

    case: int
    documents: list[dict[str, Any]]


@api_router.get("/cases/{case_id}/documents", response_model=DocumentOffers)
def api_documents(case_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """The documents of a case, each beside the stage it confirms (its download:
    `/api/v1/cases/{id}/documents/{stage}?lang=`)."""
    case, _defn = _case(a.s, a.ctx, a.viewer, case_id)
    return {"case": case.id,
            "documents": [o.as_json() for o in documents.offers(a.s, a.ctx, case)]}


@api_router.get("/cases/{case_id}/documents/{stage}", response_class=Response,
                responses={200: {"description": "The document as a Word (DOCX) file, as an "
                                                "attachment named after the document, the "
                                                "organisation and the day.",
                                 "content": {"application/octet-stream": {
                                     "schema": {"type": "string", "format": "binary"}}}}})
def api_document(request: Request, case_id: int, stage: str,
                 a: ApiContext = Depends()) -> Response:
    """The document confirming a stage, drafted from the case in ?lang= (kk, ru, en)."""
    case, _defn = _case(a.s, a.ctx, a.viewer, case_id)
    return _download(documents.draft(a.s, a.ctx, case.id, stage,
                                     request.query_params.get("lang") or a.ctx.language,
                                     _folder(request)))


SIGNED_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["date", "files"],
            "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                          "description": "The signed scan (PDF or an image, as [files] types "
                                         "allows), at most [files] max_bytes."},
                "date": {"type": "string", "format": "date",
                         "description": "The day the document was signed (YYYY-MM-DD)."},
                "number": {"type": "string", "description": "The document's number."},
                "signed_by": {"type": "string", "description": "Who signed it."},
            },
            "additionalProperties": {"type": "string",
                                     "description": "Any other evidence the stage's record "
                                                    "asks for, by its key."}}}},
    },
}


class Signed(Shape):
    """The stage's confirming record made with the signed scan."""

    case: int
    stage: str
    record: int
    event: str
    on: Any
    files: list[str]


@api_router.post("/cases/{case_id}/documents/{stage}", status_code=201,
                 openapi_extra=SIGNED_BODY, response_model=Signed)
async def api_record_signed(request: Request, case_id: int, stage: str,
                            a: ApiContext = Depends()) -> dict[str, Any]:
    """Record the signed scan of the document as the stage's confirming document, in one step
    (as the document's page and `merzim document sign` do): the stage's record, with its date
    and evidence, and the scan together. Refused with nothing stored: 404 (a case the caller
    may not see, a stage no document confirms), 409 (not one who records on the case), 422 (no
    scan, a date or evidence the record refuses), 413/415 (a scan too large, not an accepted
    type)."""
    case, _defn = await run_in_threadpool(_case, a.s, a.ctx, a.viewer, case_id)
    uploads.check_length(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UsageError("multipart/form-data expected", key="files.multipart")
    data = await request.form(max_files=uploads.MAX_PARTS)
    form = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    files = uploads.uploads_of(data.getlist("files"))
    return await run_in_threadpool(_api_signed, request, a, case, stage, form, files)


def _api_signed(request: Request, a: ApiContext, case, stage: str, form: dict[str, str],
                files: list) -> dict[str, Any]:
    with audited_refusal(a, "event", "case", case.id, {"document": stage[:64]}):
        documents.document_of(a.s, a.ctx, case, stage)
        require_recorder(a.viewer, case)
        on = parse_day(form.pop("date", ""), "date")
        with tx.transaction(a.s):
            rec = documents.record_signed(a.s, a.ctx, uploads.store_of(request),
                                          uploads.limits_of(request), case.id, stage, on,
                                          form, files)
            out = {"case": case.id, "stage": stage, "record": rec.id, "event": rec.event,
                   "on": rec.on, "files": [f.name for f in files]}
    return out


# -- the schedule of a programme -----------------------------------------------------------


@router.get("/programmes/{programme_id}/schedule.docx")
def schedule_docx(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    """The schedule of a programme drafted in ?lang= (the reader's by default), for whoever
    may see the programme."""
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    return _download(documents.draft_schedule(pc.s, pc.ctx, prog.id,
                                              request.query_params.get("lang") or pc.t.language,
                                              _folder(request)))


@api_router.get("/programmes/{programme_id}/schedule", response_class=Response,
                responses={200: {"description": "The schedule as a Word (DOCX) file, as an "
                                                "attachment named after the document, the "
                                                "subject and the year.",
                                 "content": {"application/octet-stream": {
                                     "schema": {"type": "string", "format": "binary"}}}}})
def api_schedule(request: Request, programme_id: int, a: ApiContext = Depends()) -> Response:
    """The schedule of a programme's analyses (each object with its period; 1.1.1), drafted
    in ?lang= (kk, ru, en); 404 for a programme the caller may not see."""
    prog = visible_programme(a.s, a.viewer, programme_id)
    return _download(documents.draft_schedule(a.s, a.ctx, prog.id,
                                              request.query_params.get("lang") or a.ctx.language,
                                              _folder(request)))


class SchedulePart:
    """The programme page's link to its schedule drafted in each language (web/kit/programme.py)
    beside the schedule's approval; the API's programme names its download."""

    def page(self, request: Request, s, ctx: svc.Context, prog) -> dict[str, Any]:
        try:
            doc = documents.schedule_document(s, ctx, prog)
        except NotFound:  # a programme whose definition drafts no schedule
            return {}
        return {"schedule_document": {"name": doc.name(ctx.language), "languages": LANGUAGES,
                                      "href": f"/programmes/{prog.id}/schedule.docx"}}

    def api(self, request: Request, s, ctx: svc.Context, prog) -> dict[str, Any]:
        try:
            documents.schedule_document(s, ctx, prog)
        except NotFound:
            return {}
        return {"schedule_document": f"/api/v1/programmes/{prog.id}/schedule"}


PARTS = Parts(routers=(router, api_router), stage_actions=StageLinks(),
              programme=SchedulePart())

"""The documents on the web: a "draft the document" link beside each stage a document
confirms on the case page; the document's page (its download in kk, ru and en, whose template
it is drafted from, the form that records the signed scan as the stage's confirming document
in one step, and on the analytic note's page its risks with the form that records one); the
API's `GET /api/v1/cases/{id}/documents`, `GET /api/v1/cases/{id}/documents/{stage}?lang=` and
`POST /api/v1/cases/{id}/documents/{stage}` (the signed scan). The risks assessed and mapped
(D-6): the note's page lists them with their level and rank above the analysis's risk map
(`/cases/{id}/risk-map.svg`); an organisation's map of its analyses' risks
(`/orgs/{code}/risk-map`, linked from its page); the API's `GET|POST /api/v1/cases/{id}/risks`
and `PUT /api/v1/cases/{id}/risks/{risk}/assessment`; the action plan's page names the risks
no measure answers yet.

Who may draft a document (or see a risk map) is who may see its case (a case about a person:
who may see the person), an organisation's map who may see the organisation; who may record
the signed scan (or a risk) is who may record on the case.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from web.kit import recording, uploads
from web.kit.access import (
    Viewer,
    hidden,
    require_recorder,
    visible_case,
    visible_org,
    visible_programme,
)
from web.kit.api import ApiContext, api_routes, file_answer
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
from workflow.monitoring import levels, maps
from workflow.monitoring import service as monitoring
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


def _case_docx(request: Request, s, ctx, viewer: Viewer, case_id: str | int, stage: str,
               language: str) -> Response:
    """The document confirming the case's stage, drafted in ?lang= (`language` by default)
    and sent as a download; drafting it is a disclosure, audited."""
    case, _defn = _case(s, ctx, viewer, case_id)
    drafted = documents.draft(s, ctx, case.id, stage,
                              request.query_params.get("lang") or language, _folder(request))
    with tx.transaction(s):  # a paper showing a protected person: a disclosure
        documents.audit_disclosure(s, ctx, drafted)
    return _download(drafted)


class StageLinks:
    """The case page's links beside the stages a document confirms."""

    def links(self, request: Request, pc: PageContext, case, view) -> dict[str, list]:
        defn = svc.definition_of(pc.s, pc.ctx, case)
        if not visibility.may_see_person(pc.viewer.user, case, defn):
            return {}
        label = pc.t("document.link")
        # a period's document: named with its period and dates beside the period's stage
        links: dict[str, list] = {}
        for o in documents.offers(pc.s, pc.ctx, case, pc.t.language):
            links.setdefault(o.stage, []).append(
                (f"{label}: {o.name}" + (f", {o.period}" if o.period else ""),
                 f"/cases/{case.id}/documents/{o.address}"))
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
    doc, at = documents.located(pc.s, pc.ctx, case, stage)  # `stage`: its address
    view = svc.case_view(pc.s, pc.ctx, case)
    drafted, refused = {}, {}
    for lang in LANGUAGES:  # a language whose template is refused: said beside its download
        try:
            drafted[lang] = documents.draft(pc.s, pc.ctx, case.id, stage, lang, _folder(request))
        except TemplateRefused as exc:
            refused[lang] = exc.render(pc.t)
    try:
        require_recorder(pc.viewer, case)
        can_record = view.withdrawn is None and doc.confirms
    except RuleViolation:
        can_record = False
    fixed = documents.fixed_evidence(doc, stage)
    event_form = recording.event_form(defn, defn.events[doc.event], pc.t, [])
    problems = problems or []
    return render(request, pc, "document.html", status=status, view=view, doc=doc,
                  doc_name=doc.name(pc.t.language), stage=stage,
                  stage_name=next((st.name for st in view.stages if st.key == at), at),
                  period=next((o.period for o in documents.offers(pc.s, pc.ctx, case,
                                                                  pc.t.language)
                               if o.address == stage), ""),
                  drafted=drafted, refused=refused, languages=LANGUAGES, can_record=can_record,
                  fields=[f for f in event_form.fields if f.key not in fixed],
                  problems=problems, field_errors={p.field: p.message for p in problems
                                                   if p.field},
                  form=form or {}, files=uploads.files_by_record(
                      request, pc.s, pc.ctx, pc.viewer, case, view),
                  risks=documents.risks_of(pc.s, case, pc.t.language)
                  if doc.records_risks else None,
                  risk_fields=documents.RISK_FIELDS, risk_problems=risk_problems or [],
                  risk_form=risk_form or {}, risk_scales=_scales(pc.t.language),
                  risk_map=maps.of_analysis(pc.s, case, pc.t.language).svg
                  if doc.records_risks else None,
                  unmeasured=documents.unmeasured_for(pc.s, pc.ctx, case, doc),
                  numbered=monitoring.numbered)


def _scales(language: str) -> dict[str, list[tuple[int, str]]]:
    """The grades the risk form offers, each with its name in the reader's language."""
    found = levels.criteria()
    return {field: [(g.grade, g.names.get(language) or g.names["en"]) for g in scale]
            for field, scale in (("likelihood", found.likelihood),
                                 ("consequence", found.consequence))}


@router.get("/cases/{case_id}/documents/{stage}", response_class=HTMLResponse)
def document_page(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page)):
    return _page(request, pc, case_id, stage)


@router.get("/cases/{case_id}/documents/{stage}/docx")
def document_docx(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page)):
    """The document drafted from the case in ?lang= (the reader's by default)."""
    return _case_docx(request, pc.s, pc.ctx, pc.viewer, case_id, stage, pc.t.language)


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
                subdivision: str = Form(""), causes: str = Form(""), likelihood: str = Form(""),
                consequence: str = Form("")) -> Response:
    """A risk of the case, with its causes and conditions, recorded from the analytic note's
    place; a refusal shows the page again with the problem, nothing stored."""
    check_csrf(pc, csrf)
    case, _defn = _case(pc.s, pc.ctx, pc.viewer, case_id)
    given = {"description": description, "process": process, "subdivision": subdivision,
             "causes": causes, "likelihood": likelihood, "consequence": consequence}
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


SVG = "image/svg+xml"


def _svg(picture: str) -> Response:
    return Response(picture, media_type=SVG, headers={"Cache-Control": "no-store"})


@router.get("/cases/{case_id}/risk-map.svg")
def case_risk_map(case_id: str, pc: PageContext = Depends(page)) -> Response:
    """The analysis's risk map (SVG), to who may see the case."""
    case, _defn = _case(pc.s, pc.ctx, pc.viewer, case_id)
    return _svg(maps.of_analysis(pc.s, case, pc.t.language).svg)


def _org_map(pc: PageContext, code: str) -> tuple[Any, maps.RiskMap]:
    """The organisation (when the reader sees it) and the map of its analyses' risks: the
    analyses whose subject or object it is, each one the reader may see (as its page
    decides)."""
    org = visible_org(pc.s, pc.viewer, code)
    cases = []
    for case_id in documents.analyses_with_risks(pc.s, org.id):
        try:
            cases.append(_case(pc.s, pc.ctx, pc.viewer, case_id)[0])
        except NotFound:
            continue
    title = pc.t("riskmap.org_title", org=svc.org_name(org, pc.t.language))
    return org, maps.of_analyses(pc.s, cases, pc.t.language, title)


@router.get("/orgs/{code}/risk-map", response_class=HTMLResponse)
def org_risk_map(request: Request, code: str, pc: PageContext = Depends(page)) -> Response:
    """The risk map of an organisation's analyses, with its risks by process or subdivision
    and level."""
    org, found = _org_map(pc, code)
    return render(request, pc, "risk_map.html", org=org,
                  org_name=svc.org_name(org, pc.t.language), risk_map=found)


@router.get("/orgs/{code}/risk-map.svg")
def org_risk_map_svg(code: str, pc: PageContext = Depends(page)) -> Response:
    return _svg(_org_map(pc, code)[1].svg)


class OrgLinks:
    """The organisation page's link to its risk map."""

    def links(self, request: Request, pc: PageContext, org) -> list[tuple[str, str]]:
        return [(pc.t("riskmap.link"), f"/orgs/{org.code}/risk-map")]


class RiskIn(BaseModel):
    description: str = Field(description="What the risk is.")
    process: str | None = Field(default=None, description="The process or function.")
    subdivision: str | None = Field(default=None, description="The subdivision where it lies.")
    causes: str | None = Field(default=None, description="The causes and conditions that "
                                                         "favour the offence.")
    likelihood: int | None = Field(default=None, description="Its likelihood, a grade of the "
                                                             "criteria (1-3; with consequence).")
    consequence: int | None = Field(default=None, description="Its consequence, a grade of the "
                                                              "criteria (1-3; with likelihood).")


class Assessment(BaseModel):
    likelihood: int = Field(description="A grade of the criteria's likelihood scale.")
    consequence: int = Field(description="A grade of the criteria's consequence scale.")


class RiskOut(Shape):
    """A risk of the analysis by its number in the note: its grades, level (name in the
    reader's language, "not assessed" when it has none; `level_key` the criteria's key, null),
    rank, and whether a measure of the action plan answers it."""

    no: int
    id: int
    description: str
    likelihood: int | None
    consequence: int | None
    score: int | None
    level_key: str | None
    level: str
    rank: int
    measured: bool


def _api_risks(a: ApiContext, case) -> list[dict[str, Any]]:
    return monitoring.risk_rows(a.s, a.ctx, case.id)


@api_router.get("/cases/{case_id}/risks", response_model=list[RiskOut])
def api_risks(case_id: int, a: ApiContext = Depends()) -> list[dict[str, Any]]:
    """The analysis's risks, by number, with their level and rank (404 for one who may not see
    the case)."""
    case, _defn = _case(a.s, a.ctx, a.viewer, case_id)
    return _api_risks(a, case)


@api_router.post("/cases/{case_id}/risks", response_model=RiskOut, status_code=201)
def api_record_risk(case_id: int, body: RiskIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Record a risk of the analysis, assessed when both grades are given; refused (422: an
    empty description, a grade not of the scale or one without the other; 409: not one who
    records on the case; 404) with the reason, nothing stored."""
    case, _defn = _case(a.s, a.ctx, a.viewer, case_id)
    with audited_refusal(a, "risk", "case", case.id, {}):
        require_recorder(a.viewer, case)
        with tx.transaction(a.s):
            risk = monitoring.add_risk(a.s, a.ctx, body.description, body.process,
                                       body.subdivision, analysis_id=case.id, causes=body.causes,
                                       likelihood=body.likelihood, consequence=body.consequence)
            risk_id = risk.id
    return next(r for r in _api_risks(a, case) if r["id"] == risk_id)


@api_router.put("/cases/{case_id}/risks/{risk_id}/assessment", response_model=RiskOut)
def api_assess_risk(case_id: int, risk_id: int, body: Assessment,
                    a: ApiContext = Depends()) -> dict[str, Any]:
    """Set (or correct) a recorded risk's likelihood and consequence; refused (422, 409, 404)
    with the reason, nothing stored."""
    case, _defn = _case(a.s, a.ctx, a.viewer, case_id)
    with audited_refusal(a, "risk", "case", case.id, {"risk": risk_id}):
        require_recorder(a.viewer, case)
        with tx.transaction(a.s):
            monitoring.assess_risk(a.s, a.ctx, risk_id, body.likelihood, body.consequence,
                                   analysis_id=case.id)
    return next(r for r in _api_risks(a, case) if r["id"] == risk_id)


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
                responses=file_answer("The document as a Word (DOCX) file, as an attachment "
                                      "named after the document, the organisation and the day."))
def api_document(request: Request, case_id: int, stage: str,
                 a: ApiContext = Depends()) -> Response:
    """The document confirming a stage, drafted from the case in ?lang= (kk, ru, en)."""
    return _case_docx(request, a.s, a.ctx, a.viewer, case_id, stage, a.ctx.language)


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
                responses=file_answer("The schedule as a Word (DOCX) file, as an attachment "
                                      "named after the document, the subject and the year."))
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


PARTS = Parts(routers=(router, api_router), stage_actions=StageLinks(), org_links=OrgLinks(),
              programme=SchedulePart())

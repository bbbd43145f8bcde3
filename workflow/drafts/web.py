"""Announcement drafts on the web: a stage's draft in an editable text box with a
language switch, copy and DOCX download; recording the publication from it keeps the (edited)
text with the record; and the API's `GET /api/v1/cases/{id}/drafts/{stage}`.

Who may read a draft is who may see its case (a case about a person: who may see the person);
who may record the publication is who may record on the case. Nothing here writes but the
record, through the same service and checks as the case page's forms.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from web.kit import recording
from web.kit.access import Viewer, hidden, require_recorder, visible_case
from web.kit.api import ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import attachment, check_csrf, page, render, secure
from web.kit.parts import Parts
from web.kit.shapes import Shape
from workflow import services as svc
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.drafts import service as drafts
from workflow.drafts.rules import drafts_of
from workflow.drafts.texts import DraftsSettings
from workflow.i18n import LANGUAGES
from workflow.services import transactions as tx
from workflow.services import visibility

router = APIRouter(include_in_schema=False)
api_router = api_routes()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# query parameters of the page that are not values for the draft
PAGE_PARAMS = ("draft_lang", "lang", "as_of")


def draft_case(s, ctx, viewer: Viewer, case_id: str | int):
    """The case of a draft, if the viewer may read it: she sees the case, and its person when
    it is about one (the draft is written from its records); otherwise as if it did not exist."""
    case = visible_case(s, viewer, case_id)
    defn = svc.definition_of(s, ctx, case)
    if not visibility.may_see_person(viewer.user, case, defn):
        raise hidden("analysis", case_id)
    return case, defn


def _values(params: Any, skip: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in skip}


def _templates(request: Request):
    return request.app.state.settings.of(DraftsSettings).templates


def _draft_page(request: Request, pc: PageContext, case_id: str, stage: str,
                problems: list[recording.Problem] | None = None,
                form: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    case, defn = draft_case(pc.s, pc.ctx, pc.viewer, case_id)
    if form is None:  # the page: the language and the values asked for, from the query
        lang = request.query_params.get("draft_lang") or pc.t.language
        values = _values(request.query_params, PAGE_PARAMS)
    else:  # a refused record: the language and the values it carried
        lang = form.get("draft_lang") or pc.t.language
        values = {k: form.get(recording.input_name(k), "")
                  for k in drafts.draft_spec(defn, stage).asks}
    draft = drafts.write_draft(pc.s, pc.ctx, case.id, stage, lang, values, _templates(request))
    view = svc.case_view(pc.s, pc.ctx, case)
    can_record = True
    try:
        require_recorder(pc.viewer, case)
    except RuleViolation:
        can_record = False
    event = defn.events[draft.event]
    recordable = can_record and draft.event in view.next_events
    organisations: list[tuple[str, str]] = []
    if any(defn.evidence[k].type == "organisation" for k in defn.requirements(event)
           if k in defn.evidence):
        organisations = [(o.code, svc.org_name(o, pc.t.language))
                         for o in svc.list_orgs(pc.s, view.subject) if o.code != view.subject]
    problems = problems or []
    return render(request, pc, "draft.html", status=status, view=view, draft=draft,
                  stage_title=defn.stage_name(stage, pc.t.language),  # the draft's: draft.title
                  text=(form or {}).get(recording.input_name(draft.stored_as), draft.text),
                  text_name=recording.input_name(draft.stored_as),
                  values={a.key: a.value for a in draft.asks}, draft_languages=LANGUAGES,
                  event_form=recording.event_form(defn, event, pc.t, organisations),
                  recordable=recordable, can_record=can_record, problems=problems,
                  field_errors={p.field: p.message for p in problems if p.field},
                  form=form or {}, input_name=recording.input_name)


@router.get("/cases/{case_id}/drafts/{stage}", response_class=HTMLResponse)
def draft_page(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page)):
    return _draft_page(request, pc, case_id, stage)


@router.post("/cases/{case_id}/drafts/{stage}", response_class=HTMLResponse)
async def record_publication(request: Request, case_id: str, stage: str,
                             pc: PageContext = Depends(page)):
    """Record the publication the draft announces, its (edited) text kept with the record; a
    refusal shows the draft page again with every problem and the text as typed."""
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}
    return await run_in_threadpool(_record, request, pc, case_id, stage, form)


def _record(request: Request, pc: PageContext, case_id: str, stage: str,
            form: dict[str, str]) -> Response:
    case, defn = draft_case(pc.s, pc.ctx, pc.viewer, case_id)
    spec = drafts.draft_spec(defn, stage)
    form["event"] = spec.event
    name = recording.input_name(spec.stored_as)
    if name in form:  # a browser sends a text box's lines ended by CR LF
        form[name] = lines(form[name])
    try:
        require_recorder(pc.viewer, case)
        with tx.transaction(pc.s):
            on, evidence = recording.check_form(defn, form, pc.ctx.today, pc.t)
            svc.record_event(pc.s, pc.ctx, case.id, spec.event, on, evidence)
    except MerzimError as exc:
        problems = recording.problems_of(exc, pc.t)
        tx.refused(pc.s, pc.ctx.actor, "refused.event", "case", case.id,
                   {"event": spec.event, "draft": stage, "key": exc.key}
                   | ({"keys": [p.key for p in problems]} if len(problems) > 1 else {}))
        status = exc.status if isinstance(exc, recording.FormProblems) \
            else 409 if isinstance(exc, RuleViolation) else 422
        return _draft_page(request, pc, case_id, stage, problems=problems, form=form,
                           status=status)
    resp = RedirectResponse(f"/cases/{case.id}", status_code=303)
    recording.set_flash(resp, secure(request), pc.session_row.csrf, case.id, kind="event",
                        what=spec.event, on=on.isoformat())
    return resp


def lines(text: str) -> str:
    """A text box's content with its lines ended by LF, as the drafts write them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _docx(draft: drafts.DraftText, text: str | None) -> Response:
    name = f"case-{draft.case_id}-{draft.stage}-{draft.language}.docx"
    return Response(drafts.draft_docx(draft, text), media_type=DOCX,
                    headers={"Content-Disposition": attachment(name),
                             "Cache-Control": "no-store"})


@router.get("/cases/{case_id}/drafts/{stage}/docx")
def draft_docx(request: Request, case_id: str, stage: str, pc: PageContext = Depends(page)):
    """The draft as written from the case (?draft_lang=, the values it asks for)."""
    case, _defn = draft_case(pc.s, pc.ctx, pc.viewer, case_id)
    draft = drafts.write_draft(pc.s, pc.ctx, case.id, stage,
                               request.query_params.get("draft_lang") or pc.t.language,
                               _values(request.query_params, PAGE_PARAMS), _templates(request))
    return _docx(draft, None)


@router.post("/cases/{case_id}/drafts/{stage}/docx")
async def edited_docx(request: Request, case_id: str, stage: str,
                      pc: PageContext = Depends(page)):
    """The officer's edited text of the draft as a Word document (nothing is stored)."""
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if isinstance(v, str)}

    def build() -> Response:
        case, defn = draft_case(pc.s, pc.ctx, pc.viewer, case_id)
        spec = drafts.draft_spec(defn, stage)
        draft = drafts.write_draft(pc.s, pc.ctx, case.id, stage,
                                   form.get("draft_lang") or pc.t.language, None,
                                   _templates(request))
        text = form.get(recording.input_name(spec.stored_as))
        text = lines(text) if text is not None else None
        if text is not None and len(text) > drafts.MAX_DRAFT:
            raise UsageError(key="rule.too_long", field=name_in(
                defn.evidence[spec.stored_as].names, pc.t.language, spec.stored_as),
                limit=drafts.MAX_DRAFT)
        return _docx(draft, text)

    return await run_in_threadpool(build)


class DraftStages(Shape):
    """The stages of a case that have an announcement draft, each with its event and what
    the draft asks for."""

    case: int
    stages: list[dict[str, Any]]


class DraftText(Shape):
    """A stage's announcement draft, written from the case in a language."""

    case: int
    stage: str
    stage_name: str
    language: str
    text: str
    event: str
    event_name: str
    stored_as: Any
    asks: dict[str, Any]
    published: Any
    published_on: str | None
    template: str


@api_router.get("/cases/{case_id}/drafts", response_model=DraftStages)
def api_drafts(case_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """The stages of a case that have an announcement draft."""
    case, defn = draft_case(a.s, a.ctx, a.viewer, case_id)
    return {"case": case.id, "stages": [{"stage": k, "name": defn.stage_name(k, a.ctx.language),
                                         "event": drafts_of(defn)[k].event,
                                         "asks": list(drafts_of(defn)[k].asks)}
                                        for k in drafts.draft_stages(defn)]}


@api_router.get("/cases/{case_id}/drafts/{stage}", response_model=DraftText)
def api_draft(request: Request, case_id: int, stage: str,
              a: ApiContext = Depends()) -> dict[str, Any]:
    """A stage's announcement draft written from the case, in ?lang= (kk, ru, en); other
    query parameters give what the draft asks for (e.g. ?discussion_place=...). `published`:
    the text kept with the publication's record, once recorded."""
    case, _defn = draft_case(a.s, a.ctx, a.viewer, case_id)
    lang = request.query_params.get("lang")
    draft = drafts.write_draft(a.s, a.ctx, case.id, stage, lang or a.ctx.language,
                               _values(request.query_params, ("lang",)), _templates(request))
    return draft.as_json()


PARTS = Parts(routers=(router, api_router))

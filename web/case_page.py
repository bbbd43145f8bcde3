"""One case's page (an analysis or a case of any other process): its plan, forms, history,
files, links and comments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from web.kit import recording, uploads, views
from web.kit.access import require_recorder, visible_case
from web.kit.comments import case_part
from web.kit.deps import PageContext
from web.kit.page import page, render
from web.kit.times import local_time
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.core.names import name_in
from workflow.services import visibility

router = APIRouter(include_in_schema=False)


def show_case(request: Request, pc: PageContext, case_id: str,
               problems: list[recording.Problem] | None = None, form: dict[str, str] | None = None,
               status: int = 200, opened: str | None = None) -> HTMLResponse:
    """The case page; after a refusal, `problems` at the top, the form `opened` ("event:KEY",
    "not_done", "void") open with what was typed in `form`."""
    case = visible_case(pc.s, pc.viewer, case_id)
    defn = svc.definition_of(pc.s, pc.ctx, case)
    view = views.case_for(pc.s, pc.ctx, pc.viewer, case)
    can_record = view.withdrawn is None  # a withdrawn case accepts nothing more
    may_record = True
    try:
        require_recorder(pc.viewer, case)
    except RuleViolation:
        can_record = may_record = False
    flash = None if problems else recording.take_flash(request, pc.session_row.csrf, case.id)
    notice = recording.flash_message(flash, defn, view, pc.t) if flash else None
    if opened is None:  # a link to one event's form: ?event=KEY, or the stage it completes
        q = request.query_params
        wanted = defn.event_for_stage(q["stage"]) if q.get("stage") else None
        opened = f"event:{q.get('event') or (wanted.key if wanted else '')}"
    events = [defn.events[e] for e in view.next_events]
    organisations: list[tuple[str, str]] = []
    if any(defn.evidence[k].type == "organisation" for e in events
           for k in defn.requirements(e) + tuple(f for g in defn.evidence_groups(e) for f in g)
           if k in defn.evidence):
        organisations = [(o.code, svc.org_name(o, pc.t.language))
                         for o in svc.list_orgs(pc.s, view.subject) if o.code != view.subject]
    open_stages = [st for st in view.stages if st.status in ("open", "overdue")
                   and st.key in defn.stages]
    voidable = recording.voidable(defn, view.records, pc.t.language)
    problems = problems or []
    resp = render(request, pc, "analysis.html", status=status, view=view, notice=notice,
                  can_record=can_record,  # (the Gantt: _gantt.html, web/kit/charts.py)
                  event_forms=[recording.event_form(defn, e, pc.t, organisations) for e in events],
                  problems=problems, field_errors={p.field: p.message for p in problems
                                                   if p.field},
                  form=form or {}, opened=opened, definition=defn, open_stages=open_stages,
                  voidable=voidable, people=svc.display_names(pc.s, [view.responsible]),
                  history=_named(pc.s, _local_times(request, view.history or [])),
                  **_withdrawn(request, pc, view),
                  files=uploads.files_by_record(request, pc.s, pc.ctx, pc.viewer, case, view),
                  # the edit form's revision of the values it shows (a stale one is refused)
                  revision=svc.case_revision(pc.s, case) if can_record else None,
                  # repeats opened by those who could not see the person: to those who can
                  repeats=svc.possible_repeats(pc.s, pc.ctx, case) if view.person else [],
                  **_links_part(pc, case, defn, may_record),
                  stage_actions=_stage_actions(request, pc, case, view),
                  **case_part(pc, case, request.app.state.settings.tz))  # comments, hand-over
    if request.cookies.get(recording.FLASH_COOKIE) and not problems:
        recording.drop_flash(resp, case.id)  # shown once (or not this session's): gone
    return resp


def _stage_actions(request: Request, pc: PageContext, case, view) -> dict[str, list]:
    """The features' links beside each stage (web/kit/parts.py `stage_actions`)."""
    out: dict[str, list] = {}
    for part in request.app.state.parts.stage_actions:
        for stage, links in part.links(request, pc, case, view).items():
            out.setdefault(stage, []).extend(links)
    return out


def _links_part(pc: PageContext, case, defn, may_record: bool) -> dict[str, Any]:
    """The linked cases (P-22, services/links.py: a person only where the reader sees it), the
    register entries the case's outcomes offer with the fields the confirmation asks, and
    whether the reader may link, withdraw both or undo a withdrawal (_linked_cases.html)."""
    lang = pc.t.language
    current = pc.ctx.registry.get(defn.key)  # (a case of an older version: the file's links)
    linked = svc.linked_cases(pc.s, pc.ctx, case, lambda other, d: visibility.may_see_person(
        pc.viewer.user, other, d))
    offers = []
    for offer in (svc.offers(pc.s, pc.ctx, case) if may_record else []):
        target = pc.ctx.registry.get(offer.process)
        asks = [(k, name_in(target.fields[k].names, lang, k), target.fields[k].type,
                 [(c, name_in(target.fields[k].choice_names.get(c), lang, c))
                  for c in target.fields[k].choices])
                for k in svc.left_to_officer(pc.ctx, offer.process, current)]
        offers.append((offer, asks))
    linkable = may_record and case.withdrawn_at is None and (
        bool(current.links) or any(defn.key in {sp.opens for sp in d.links}
                                   for d in pc.ctx.registry.all()))
    return {"linked": linked, "link_offers": offers, "can_link": linkable,
            "can_restore": may_record and case.withdrawn_at is not None,
            "linked_standing": [lk for lk in linked if not lk.withdrawn]}


def _named(s: Any, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry's `actor_name` (who did it, by her full name: "Asel Nurpeisova" for
    "web:asel") and an assignment's `from_name` and `to_name`, where they are known users."""
    names = svc.display_names(s, [x for e in history
                                  for x in (e.get("actor"), e.get("from"), e.get("to"))])
    return [{**e, "actor_name": names.get(e.get("actor") or ""),
             "from_name": names.get(e.get("from") or ""),
             "to_name": names.get(e.get("to") or "")} for e in history]


def _withdrawn(request: Request, pc: PageContext, view: Any) -> dict[str, Any]:
    """A withdrawn case's banner: the day in the configured time zone and who withdrew it,
    by her full name."""
    if view.withdrawn is None:
        return {"withdrawn_day": "", "withdrawn_by": ""}
    by = view.withdrawn.by
    return {"withdrawn_day": local_time(view.withdrawn.at, request.app.state.settings.tz)[:10],
            "withdrawn_by": svc.display_names(pc.s, [by]).get(by or "") or by}


def _local_times(request: Request, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's moments in the configured time zone, to the minute (as the files' and
    the comments': `web/kit/times.local_time`)."""
    tz = request.app.state.settings.tz
    return [{**entry, "at_local": local_time(entry["at"], tz)} for entry in history]


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def analysis_page(request: Request, analysis_id: str, pc: PageContext = Depends(page)):
    return show_case(request, pc, analysis_id)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, pc: PageContext = Depends(page)):
    return show_case(request, pc, case_id)

"""Work in bulk: the lists' selection ("My work", "Overdue", "Cases", the
obligations: a checkbox a row and the bar under the list, `_bulk.html`) sent to one form —
record the event that completes each stage with one date, evidence and confirming document,
hand the cases over to another officer, or export the selection — and the same in the API
(`POST /api/v1/bulk/record`, `/api/v1/bulk/assign`). All or nothing: one refused item refuses
the action, every refused item is named with its reason, nothing is stored
(workflow/services/bulk_actions.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from web.kit import uploads, views
from web.kit.access import Viewer, require_recorder
from web.kit.api import ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import check_csrf, export, form_day, page, render
from web.kit.recording import evidence_of
from web.kit.shapes import Shape
from workflow import services as svc
from workflow.core.dates import not_in_future
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.core.machine import builtin_evidence
from workflow.services import bulk_actions as bulk
from workflow.services import people, visibility
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
api_router = api_routes()
ACTIONS = ("record", "assign", "xlsx", "csv")
BACK = ("/work", "/overdue", "/due", "/cases", "/obligations")  # where the bar is


def guard(s, viewer: Viewer, record: bool, assign: bool = False):
    """May the viewer act on this case: she sees it (else it is "not found", as everywhere:
    services/visibility.py `may_see_case`); to record, she records on it (an officer of its
    organisation, an admin); who hands it over, the hand-over itself asks
    (`assign_responsible`'s `by`: P-26)."""
    def check(case) -> None:
        if not visibility.may_see_case(s, viewer.user, case, viewer.org):
            raise NotFound(f"no case {case.id}", key="notfound.analysis", id=case.id)
        if record and not assign:
            require_recorder(viewer, case)
    return check


@router.get("/bulk/assignees")
def assignee_suggest(q: str = "", org: str = "", pc: PageContext = Depends(page)):
    """Whom the bulk bar's hand-over suggests for what the reader typed (web/static/bulk.js):
    up to views.ASSIGNEE_SUGGEST officers of the list's organisations (`views.assignee_scope`)
    whom it names, each as "Name (@login)" with her organisation's name, as JSON."""
    found = views.assignees_named(pc.s, pc.viewer, org[:100] or None, q[:200]) if q.strip() \
        else []
    return JSONResponse(views.assignee_choices(pc.s, found[:views.ASSIGNEE_SUGGEST],
                                               pc.t.language))


def _back(value: str | None) -> str:
    """The list the selection came from (a local path among the lists'), to go back to."""
    path = (value or "").split("?", 1)[0]
    return value if path in BACK and value and not value.startswith("//") else "/work"


def refusal_lines(s, ctx, viewer: Viewer, exc: bulk.BulkRefused, t) -> list[dict[str, Any]]:
    """Each refused item with its reason in the reader's words, its stage by name (of a case
    the reader sees; else the item is "not found" and named by its number only)."""
    lines = []
    for r in exc.refusals:
        name = None
        stage = r.item.stage
        case = svc.find_case(s, r.item.case) if stage else None
        if stage and case is not None and visibility.may_see_case(s, viewer.user, case,
                                                               viewer.org):
            defn = svc.definition_of(s, ctx, case)
            name = defn.stage_name(stage.split(":", 1)[0], t.language)
        lines.append({"item": r.item.value, "case": r.item.case,
                      "stage": r.item.stage, "stage_name": name,
                      "error": r.error.key, "message": r.error.render(t)})
    return lines


@router.post("/bulk", response_class=HTMLResponse)
async def bulk_form(request: Request, pc: PageContext = Depends(page)):
    uploads.check_length(request)  # the one confirming document (as the case page's form)
    data = await request.form(max_files=uploads.MAX_PARTS)
    token = data.get("csrf")
    await run_in_threadpool(check_csrf, pc, token if isinstance(token, str) else None)
    form = {k: str(v) for k, v in data.items() if isinstance(v, str) and k not in ("csrf",
                                                                                    "item")}
    values = [str(v) for v in data.getlist("item") if isinstance(v, str)]
    files = uploads.uploads_of(data.getlist("files"))
    return await run_in_threadpool(_bulk, request, pc, form, values, files)


def _bulk(request: Request, pc: PageContext, form: dict[str, str], values: list[str],
          files) -> Response:
    action, back = form.get("action", ""), _back(form.get("back"))
    t = pc.t
    items: list[bulk.Item] = []
    try:
        if action not in ACTIONS:
            raise UsageError(key="bulk.bad_action", value=action[:32])
        items = bulk.parse_items(values)
        if action in ("xlsx", "csv"):
            rows = bulk.selection_rows(pc.s, pc.ctx, items, guard(pc.s, pc.viewer, False))
            header, body = bulk.selection_table(rows, t)
            tx.audited(pc.s, pc.ctx.actor, "export.selection", "case", "*",
                       {"format": action, "items": [i.value for i in items]})
            return export(action, f"selection-{pc.ctx.today.isoformat()}", t("bulk.title"),
                          header, body)
        if action == "assign":
            typed = form.get("login", "").strip()
            if not typed:  # nothing typed
                raise UsageError(key="error.empty_field", field=t("bulk.assign_to"))
            found = views.assignees_named(pc.s, pc.viewer, form.get("org") or None, typed)
            if not found:
                nobody = people.staffless(pc.s, [i.case for i in items])
                if nobody:  # no officer there at all: said so, and how one comes
                    raise RuleViolation(f"{', '.join(nobody)}: no active officer",
                                        key="rule.responsible_none", subject=", ".join(nobody))
                raise UsageError(f"no one to hand over to as {typed!r}",
                                 key="bulk.assign_nobody", name=typed[:200])
            if len(found) > 1:  # several of that name: she chooses, nothing is changed
                return render(request, pc, "bulk_result.html", status=409, ok=False,
                              choose=views.assignee_choices(
                                  pc.s, found[:views.ASSIGNEE_SUGGEST], t.language),
                              more=max(0, len(found) - views.ASSIGNEE_SUGGEST),
                              typed=typed[:200], items=values, org=form.get("org", "")[:100],
                              back=back, refusals=[])
            form["login"] = found[0][0]
        with tx.transaction(pc.s):
            if action == "record":
                on = form_day(pc, form.get("date", "").strip())
                not_in_future(on, pc.ctx.today)
                done = bulk.record_all(pc.s, pc.ctx, items, on, evidence_of(form) or None,
                                       form.get("event") or None,
                                       guard(pc.s, pc.viewer, True), uploads.store_of(request),
                                       uploads.limits_of(request), files)
                message = t.n("bulk.recorded", len(done), date=on.isoformat())
            else:
                login = form["login"]
                cases = bulk.assign_all(pc.s, pc.ctx, items, login,
                                        guard(pc.s, pc.viewer, True, assign=True),
                                        by=pc.viewer.user)
                # the person by her name (her login only should she have none)
                name = svc.display_names(pc.s, [login]).get(login) or login
                message = t.n("bulk.handed_to", len(cases), name=name)
    except MerzimError as exc:
        lines = (refusal_lines(pc.s, pc.ctx, pc.viewer, exc, t)
                 if isinstance(exc, bulk.BulkRefused) else [])
        tx.refused(pc.s, pc.ctx.actor, f"refused.bulk_{action}" if action in ACTIONS
                   else "refused.bulk", "case", "*",
                   {"key": exc.key, "items": [i.value for i in items],
                    **({"refused": [(x["item"], x["error"]) for x in lines]} if lines else {})})
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, RuleViolation) \
            else 422
        return render(request, pc, "bulk_result.html", status=status,
                      ok=False, message=exc.render(t), refusals=lines, back=back)
    return render(request, pc, "bulk_result.html", ok=True, message=message, refusals=[],
                  back=back, cases=sorted({i.case for i in items}))


# -- the API --------------------------------------------------------------------------------------


class ItemIn(BaseModel):
    case: int = Field(gt=0, lt=2**63)
    stage: str | None = Field(default=None, max_length=100,
                              description="A stage of the case (its key, as the case's stages "
                              "list it); absent: the case itself.")


class BulkRecordIn(BaseModel):
    """One event, date and evidence recorded on every item: each stage by the event that
    completes it, each case by `event`."""

    items: list[ItemIn] = Field(min_length=1, max_length=bulk.MAX_ITEMS)
    event: str | None = Field(default=None, max_length=64)
    date: date
    number: str | None = Field(default=None, max_length=500)
    signed_by: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=500)
    evidence: dict[str, str] = Field(default_factory=dict)


class BulkAssignIn(BaseModel):
    """Every item's case handed over to the officer `login`."""

    items: list[ItemIn] = Field(min_length=1, max_length=bulk.MAX_ITEMS)
    login: str = Field(max_length=64)


def _api(a: ApiContext, action: str, items: list[bulk.Item], do) -> dict[str, Any] | Response:
    try:
        with tx.transaction(a.s):
            return do()
    except bulk.BulkRefused as exc:
        from workflow.i18n import Translator

        t = Translator(a.ctx.language)
        lines = refusal_lines(a.s, a.ctx, a.viewer, exc, t)
        tx.refused(a.s, a.ctx.actor, f"refused.bulk_{action}", "case", "*",
                   {"key": exc.key, "items": [i.value for i in items],
                    "refused": [(x["item"], x["error"]) for x in lines]})
        return JSONResponse({"error": exc.key, "message": exc.render(t), "refused": lines},
                            status_code=409)
    except MerzimError as exc:
        tx.refused(a.s, a.ctx.actor, f"refused.bulk_{action}", "case", "*",
                   {"key": exc.key, "items": [i.value for i in items]})
        exc.audited = True
        raise


class Recorded(Shape):
    """The records made, one per item: its case, record number and event."""

    recorded: list[dict[str, Any]]


class Assigned(Shape):
    """The cases handed over and to whom."""

    assigned: list[int]
    to: str


@api_router.post("/bulk/record", response_model=Recorded)
def api_bulk_record(body: BulkRecordIn, a: ApiContext = Depends()):
    """Record on every item; all or nothing: 409 with `refused` (each item, its error key and
    message) and nothing stored when any item is refused."""
    items = bulk.checked(list(dict.fromkeys(bulk.Item(i.case, i.stage) for i in body.items)))
    evidence = {**builtin_evidence(dict(body)), **body.evidence}

    def do():
        records = bulk.record_all(a.s, a.ctx, items, body.date, evidence or None, body.event,
                                  guard(a.s, a.viewer, True))
        return {"recorded": [{"case": r.case_id, "record": r.id, "event": r.event}
                             for r in records]}

    return _api(a, "record", items, do)


@api_router.post("/bulk/assign", response_model=Assigned)
def api_bulk_assign(body: BulkAssignIn, a: ApiContext = Depends()):
    """Hand every item's case over to `login`; all or nothing, as /bulk/record."""
    items = bulk.checked(list(dict.fromkeys(bulk.Item(i.case, i.stage) for i in body.items)))

    def do():
        cases = bulk.assign_all(a.s, a.ctx, items, body.login,
                                guard(a.s, a.viewer, True, assign=True), by=a.viewer.user)
        return {"assigned": [c.id for c in cases], "to": body.login}

    return _api(a, "assign", items, do)


"""Opening a case of any process from its form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from web.kit import recording, views
from web.kit.access import visible_org
from web.kit.deps import PageContext
from web.kit.error_pages import web_message
from web.kit.page import MAX_FIELD, check_csrf, form_day, page, render
from workflow import services as svc
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.services import obligations, visibility
from workflow.services import transactions as tx
from workflow.services.opening import opened_by

router = APIRouter(include_in_schema=False)


# -- opening a case of any process ----------------------------------------------------------------


# GET /cases, the list and its search: web/cases_page.py


def _open_form(request: Request, pc: PageContext, process: str,
               problems: list[recording.Problem] | None = None,
               form: dict[str, str] | None = None, status: int = 200,
               duplicate: int | None = None, duplicate_case: bool = False) -> HTMLResponse:
    """The open-a-case form, like the recording forms: required fields marked, every
    problem at once at the top and next to its field; `duplicate`: the analysis
    (`duplicate_case`: the case of the same person and dates) a refused one duplicates, linked,
    with the confirmation (a reason) that opens it anyway."""
    defn = pc.ctx.registry.get(process)
    orgs = views.org_choices(pc.s, pc.viewer)
    problems = problems or []
    # a recurring obligation's case is opened for a period (its dates come from it), the
    # current one chosen unless the form says otherwise
    choices, current = (obligations.periods_to_record(pc.ctx, defn) if defn.recurring
                        else ([], None))
    form = form or ({"period": current.label} if current is not None else {})
    return render(request, pc, "case_new.html", status=status, definition=defn,
                  problems=problems, field_errors={p.field: p.message for p in problems
                                                   if p.field},
                  form=form, orgs=orgs, duplicate=duplicate, duplicate_case=duplicate_case,
                  periods=choices,
                  given=[] if defn.recurring else [(k, d) for k, d in defn.dates.items()
                                                   if d.given != "none"])


# the refusals of a repeat, offered to open the first or confirm a second with a reason: an
# analysis's, a case's, a probable repeat of a register entry (B-26)
REPEATS = ("rule.duplicate_analysis", "rule.duplicate_case", "rule.probable_repeat")


def _named_parties(pc: PageContext, exc: MerzimError) -> None:
    """A duplicate's organisations by their names in the reader's language, not their codes."""
    if exc.key not in REPEATS:
        return
    for param in ("subject", "object"):
        code = exc.params.get(param)
        if isinstance(code, str) and code and param not in exc.labels:
            org = svc.find_org(pc.s, code)
            if org is not None:
                exc.labels[param] = {lang: svc.org_name(org, lang) for lang in LANGUAGES}


def _open_message(defn: Any, exc: MerzimError, t: Translator) -> str:
    """A refusal of the open-a-case form in the page's words: the procedure and its dates by
    their names."""
    if exc.params.get("process") == defn.key and "process" not in exc.labels:
        exc.labels["process"] = dict(defn.names)  # the process by its name, not its key
    date = exc.params.get("name")
    if exc.key == "error.date_required" and date in defn.dates and defn.dates[date].names:
        exc.labels["name"] = dict(defn.dates[date].names)  # the date by its name
    return web_message(defn.name_keys(exc), t)


def _open_problems(pc: PageContext, defn: Any, form: dict[str, str]) -> list[recording.Problem]:
    """Every empty required input and malformed date of the open-a-case form at once, in the
    service's own words (it checks them again, one at a time)."""
    found: list[tuple[str, MerzimError]] = []
    if defn.recurring:  # its period alone: the dates come from it
        if not form.get("period", "").strip():
            found.append(("period", UsageError(key="error.period_required")))
        return [recording.Problem(_open_message(defn, exc, pc.t), exc.key, name, True)
                for name, exc in found]
    if defn.parties.object == "required" and not form.get("object", "").strip():
        found.append(("object", UsageError(key="error.object_required", process=defn.key)))
    if defn.parties.person == "required" and not form.get("person", "").strip():
        found.append(("person", UsageError(key="error.person_required", process=defn.key)))
    for key, spec in defn.dates.items():
        text = form.get(f"date_{key}", "").strip()
        if spec.given == "required" and not text:
            found.append((f"date_{key}", UsageError(key="error.date_required", name=key)))
        elif text and spec.given != "none":
            try:
                form_day(pc, text)
            except UsageError as exc:
                found.append((f"date_{key}", exc))
    given = {k[6:]: v.strip() for k, v in form.items() if k.startswith("field_") and v.strip()}
    for key, spec in defn.fields.items():  # `required_when`: for the kind chosen
        if spec.required_for(given) and not form.get(f"field_{key}", "").strip():
            found.append((f"field_{key}", UsageError(key="error.field_required", field=key)))
    return [recording.Problem(_open_message(defn, exc, pc.t), exc.key, name, True)
            for name, exc in found]


@router.get("/cases/new/{process}", response_class=HTMLResponse)
def case_new(request: Request, process: str, pc: PageContext = Depends(page)):
    return _open_form(request, pc, process)


@router.post("/cases/new/{process}", response_class=HTMLResponse)
async def case_create(request: Request, process: str, pc: PageContext = Depends(page)):
    data = await request.form()
    return await run_in_threadpool(_create_case, request, pc, process, data)


def _create_case(request: Request, pc: PageContext, process: str, data) -> Response:
    check_csrf(pc, data.get("csrf"))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}
    defn = pc.ctx.registry.get(process)
    # an officer opens her own organisation's cases, an admin any she sees
    subject = visibility.opened_for(pc.viewer.user, pc.viewer.org.code, form.get("subject", ""))
    try:
        # hidden first (404), as the API and the records; then who opens for it (the API's)
        responsible = opened_by(pc.viewer.user, visible_org(pc.s, pc.viewer, subject))
        for name, value in form.items():
            if len(value) > MAX_FIELD:
                raise RuleViolation(key="rule.too_long", field=name, limit=MAX_FIELD)
        problems = _open_problems(pc, defn, form)
        if problems:
            raise recording.FormProblems(problems)
        dates = {k[5:]: form_day(pc, v) for k, v in form.items() if k.startswith("date_") and v}
        fields = {k[6:]: v for k, v in form.items() if k.startswith("field_")}
        reason = form.get("duplicate_reason", "").strip() or None  # the confirmation
        # a recurring obligation's case of the period chosen, opened as the sync opens it
        period = form.get("period", "").strip() if defn.recurring else None
        with tx.transaction(pc.s):
            case = svc.open_checked(pc.s, pc.ctx, defn.key, subject, form.get("object") or None,
                                    form.get("person") or None, form.get("position") or None,
                                    fields, dates,
                                    # the officer who opens it answers for it (a whistleblower's
                                    # case shows the person to its responsible officer only)
                                    responsible=responsible,
                                    duplicate_reason=reason, period=period).analysis
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.open", "process", defn.key,
                   {"subject": subject[:64], "key": exc.key})
        _named_parties(pc, exc)
        problems = (exc.problems if isinstance(exc, recording.FormProblems)
                    else [recording.Problem(_open_message(defn, exc, pc.t), exc.key)])
        return _open_form(request, pc, process, problems=problems, form=form,
                          status=exc.status if isinstance(exc, recording.FormProblems)
                          else 404 if isinstance(exc, NotFound)
                          else 409 if isinstance(exc, RuleViolation) else 422,
                          duplicate=exc.params.get("id")
                          if exc.key in REPEATS else None,
                          duplicate_case=exc.key in REPEATS[1:])
    return RedirectResponse(f"/cases/{case.id}", status_code=303)

"""What is recorded on a case from its page: an event, a stage not done, a record voided, a
withdrawal and its undoing, links, corrections; a refusal answers with the case page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from web.case_page import show_case
from web.kit import recording, uploads
from web.kit.access import require_recorder, visible_case
from web.kit.deps import PageContext
from web.kit.page import MAX_FIELD, check_csrf, page, render, secure
from workflow import services as svc
from workflow.core.dates import parse_day
from workflow.core.errors import MerzimError, RuleViolation
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


# A refused form is answered with the case page itself (409/422), the problems at its top and
# the form open with what was typed, rather than redirected: the input stays on the server
# side (it may hold a document number or a person's note, which has no place in a cookie, and
# up to 500 characters a field would not fit one), and there is nothing to show twice — only a
# success is redirected (303) to the page that shows its confirmation once.


def write(request: Request, pc: PageContext, case_id: str, action: str, form: dict[str, str],
           do, opened: str, confirm: str | None = None) -> Response:
    """Run a recording action for the case (every form of the case page uses it, the files'
    too: web/files_page.py): refused, the page again with every problem and
    nothing stored (the refusal audited); `confirm` (a template), the use case only tried and
    rolled back, and the confirmation step shown; else saved, and 303 to the case page with
    the one-time confirmation `do` returned."""
    case = visible_case(pc.s, pc.viewer, case_id)
    try:
        require_recorder(pc.viewer, case)
        for name, value in form.items():
            if len(value) > MAX_FIELD and not (action == "event" and recording.is_evidence(name)):
                # (an event's evidence: every problem at once, by recording.check_form)
                raise RuleViolation(key="rule.too_long", field=name, limit=MAX_FIELD)
        if confirm:
            with tx.trial(pc.s):
                do(case)
            return _confirm_page(request, pc, case, confirm, form)
        with tx.transaction(pc.s):
            flash = do(case)
    except MerzimError as exc:
        problems = recording.problems_of(exc, pc.t)
        tx.refused(pc.s, pc.ctx.actor, f"refused.{action}", "case", case.id,
                   {k: v[:64] for k, v in form.items() if k in ("event", "stage", "record")}
                   | {"key": exc.key}
                   | ({"keys": [p.key for p in problems]} if len(problems) > 1 else {}))
        status = exc.status if isinstance(exc, recording.FormProblems) \
            else 409 if isinstance(exc, RuleViolation) else 422
        return show_case(request, pc, case_id, problems=problems, form=form, status=status,
                          opened=opened)
    resp = RedirectResponse(f"/cases/{case.id}", status_code=303)
    recording.set_flash(resp, secure(request), pc.session_row.csrf, case.id, **flash)
    return resp


def _confirm_page(request: Request, pc: PageContext, case, action: str,
                  form: dict[str, str]) -> HTMLResponse:
    """The step before closing a stage as not done or voiding a record: what will happen, the
    reason, Confirm (the same form again, confirmed) or Cancel (back to the case)."""
    defn = svc.definition_of(pc.s, pc.ctx, case)
    view = svc.case_view(pc.s, pc.ctx, case, show_person=False)  # the title only
    if action == "not_done":
        what = defn.stage_name(form["stage"], pc.t.language)
    elif action == "withdraw":
        what = f"#{view.id} {view.process_name}"
    else:
        record = recording.standing_record(view.records, form["record"])
        what = f"#{record.id} {recording.record_name(defn, record, pc.t.language)} " \
               f"({record.on.isoformat()})" if record else form["record"]
    entries = [e.id for e in svc.opened_by_record(pc.s, pc.ctx, case.id, form["record"])] \
        if action == "void" else []  # the entries the record opened: withdrawn too?
    return render(request, pc, "record_confirm.html", view=view, action=action, what=what,
                  form=form, void_entries=entries)


@router.post("/analyses/{case_id}/events", response_class=HTMLResponse)
@router.post("/cases/{case_id}/events", response_class=HTMLResponse)
async def record_event(request: Request, case_id: str, pc: PageContext = Depends(page)):
    uploads.check_length(request)  # the files confirming the record
    data = await request.form(max_files=uploads.MAX_PARTS)
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}
    event = form.get("event", "")
    files = uploads.uploads_of(data.getlist("files"))

    def do(case):
        defn = svc.definition_of(pc.s, pc.ctx, case)
        on, evidence = recording.check_form(defn, form, pc.ctx.today, pc.t)
        uploads.record_with_files(request, pc, case, event, on, evidence, files,
                                  repeat=form.get("repeat") == "yes")  # confirmed
        return {"kind": "event", "what": event, "on": on.isoformat()}

    return await run_in_threadpool(write, request, pc, case_id, "event", form, do,
                                   f"event:{event}")


@router.post("/cases/{case_id}/not-done", response_class=HTMLResponse)
def record_not_done(request: Request, case_id: str, stage: str = Form(""), note: str = Form(""),
                    confirm: str = Form(""), csrf: str = Form(""),
                    pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)

    def do(case):
        svc.record_not_done(pc.s, pc.ctx, case.id, stage, note)
        return {"kind": "not_done", "what": stage}

    return write(request, pc, case_id, "not_done", {"stage": stage, "note": note}, do,
                  "not_done", confirm=None if confirm == "yes" else "not_done")


@router.post("/cases/{case_id}/void", response_class=HTMLResponse)
def void_record(request: Request, case_id: str, record: str = Form(""), note: str = Form(""),
                confirm: str = Form(""), csrf: str = Form(""), withdraw_linked: str = Form(""),
                pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)

    def do(case):
        svc.void_with_linked(pc.s, pc.ctx, case.id, record, note, withdraw_linked == "yes",
                             lambda entry: require_recorder(pc.viewer, entry))
        return {"kind": "void", "what": record}

    return write(request, pc, case_id, "void", {"record": record, "void_note": note}, do,
                  "void", confirm=None if confirm == "yes" else "void")


@router.post("/cases/{case_id}/withdraw", response_class=HTMLResponse)
def withdraw_case(request: Request, case_id: str, reason: str = Form(""),
                  confirm: str = Form(""), csrf: str = Form(""), with_linked: str = Form(""),
                  pc: PageContext = Depends(page)):
    """Withdraw a case opened by mistake: who may record on it, with a reason,
    confirmed on a page of its own; it leaves every list and stays in the history. With
    `with_linked`, the cases linked to it (P-22) go with it (the reader records on each)."""
    check_csrf(pc, csrf)
    both = with_linked == "yes"

    def do(case):
        if both:
            for other in svc.standing_linked(pc.s, case):
                require_recorder(pc.viewer, other)
        svc.withdraw_case(pc.s, pc.ctx, case.id, reason, with_linked=both)
        return {"kind": "withdraw", "what": str(case.id)}

    form = {"withdraw_note": reason, **({"with_linked": "yes"} if both else {})}
    return write(request, pc, case_id, "withdraw", form, do, "withdraw",
                  confirm=None if confirm == "yes" else "withdraw")


@router.post("/cases/{case_id}/restore", response_class=HTMLResponse)
def restore_case(request: Request, case_id: str, reason: str = Form(""),
                 csrf: str = Form(""), pc: PageContext = Depends(page)):
    """Undo a withdrawal within the year it was made in: who may record on the case, with a
    reason; the case is re-planned and back in every list."""
    check_csrf(pc, csrf)

    def do(case):
        svc.restore_case(pc.s, pc.ctx, case.id, reason)
        return {"kind": "restore", "what": str(case.id)}

    return write(request, pc, case_id, "restore", {"restore_note": reason}, do, "restore")


@router.post("/cases/{case_id}/linked", response_class=HTMLResponse)
async def open_linked(request: Request, case_id: str, pc: PageContext = Depends(page)):
    """Open the register entry the case's outcome is, linked to it (P-22): one confirmation,
    with the entry's fields the case does not give (`f.KEY`)."""
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}

    def do(case):
        link_to = (form.get("link_to") or "").strip().lstrip("#").strip() or None
        if link_to is not None:
            require_recorder(pc.viewer, visible_case(pc.s, pc.viewer, link_to))
        entry = svc.open_linked(pc.s, pc.ctx, case.id, form.get("process") or None,
                                {k[2:]: v for k, v in form.items() if k.startswith("f.")},
                                link_to=link_to,
                                duplicate_reason=form.get("duplicate_reason") or None)
        if link_to is not None:
            return {"kind": "linked", "what": str(entry.id)}
        return {"kind": "link_opened", "what": str(entry.id)}

    return await run_in_threadpool(write, request, pc, case_id, "link", form, do, "link")


@router.post("/cases/{case_id}/links", response_class=HTMLResponse)
def link_case(request: Request, case_id: str, other: str = Form(""), csrf: str = Form(""),
              pc: PageContext = Depends(page)):
    """Link the case to another after the fact (a register entry and the procedure's case it
    is the fact of): the other must be visible to the reader and recorded on by her."""
    check_csrf(pc, csrf)

    def do(case):
        found = visible_case(pc.s, pc.viewer, other.strip().lstrip("#").strip() or "0")
        require_recorder(pc.viewer, found)
        svc.link_cases(pc.s, pc.ctx, case.id, found.id)
        return {"kind": "linked", "what": str(found.id)}

    return write(request, pc, case_id, "link", {"link_other": other}, do, "link")


@router.post("/cases/{case_id}/unlink", response_class=HTMLResponse)
def unlink_case(request: Request, case_id: str, other: str = Form(""), reason: str = Form(""),
                csrf: str = Form(""), pc: PageContext = Depends(page)):
    """Undo the link between the case and another, with a reason (the reader records on
    both): both histories keep the link and its undoing."""
    check_csrf(pc, csrf)

    def do(case):
        found = visible_case(pc.s, pc.viewer, other.strip().lstrip("#").strip() or "0")
        require_recorder(pc.viewer, found)
        svc.unlink_cases(pc.s, pc.ctx, case.id, found.id, reason)
        return {"kind": "unlinked", "what": str(found.id)}

    return write(request, pc, case_id, "unlink", {"unlink_note": reason, "unlink_other": other},
                  do, "unlink")


@router.post("/cases/{case_id}/edit", response_class=HTMLResponse)
async def edit_case(request: Request, case_id: str, pc: PageContext = Depends(page)):
    """Correct a case's opening values: who may record on it, with a reason; the
    form sends every value as it stands, and what differs is changed, checked as an
    opening, re-planned and audited."""
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}

    def do(case):
        defn = svc.definition_of(pc.s, pc.ctx, case)
        fields = {k[len("field_"):]: v for k, v in form.items() if k.startswith("field_")}
        dates = {k[len("date_"):]: parse_day(v, k[len("date_"):])
                 for k, v in form.items() if k.startswith("date_") and v.strip()}
        version = form.get("version", "").strip()
        revision = form.get("revision", "").strip()
        has_person = defn.parties.person != "none"
        try:
            svc.edit_case(pc.s, pc.ctx, case.id, form.get("person") if has_person else None,
                          form.get("position") if has_person else None, fields, dates,
                          form.get("reason"), int(version) if version.isdigit() else None,
                          int(revision) if revision.isdigit() else -1)
        except RuleViolation as exc:
            if exc.key == "rule.edit_stale":  # the form again with the values as they are now
                for key in [k for k in shown if k != "edit_reason"]:
                    del shown[key]
            if exc.key == "rule.edit_linked":  # the link's undoing offered, its reason asked
                shown.update(unlink_other=str(exc.params.get("other", "")), unlink_note="")
            raise
        return {"kind": "edit", "what": str(case.id)}

    shown = {**{k: v for k, v in form.items() if k != "reason"},
             "edit_reason": form.get("reason", "")}
    return await run_in_threadpool(write, request, pc, case_id, "edit", shown, do, "edit")

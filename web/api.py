"""REST API /api/v1 over the service layer: personal tokens, JSON errors, pagination."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field

from web.kit import shapes, views
from web.kit.access import require_recorder, visible_case
from web.kit.api import (
    AFTER,
    LIMIT,
    NOT_BLANK,
    OFFSET,
    ApiContext,
    Page,
    api_routes,
    in_one_thread,
    next_page,
    page_answer,
    paginate,
)
from web.kit.page import audited_refusal
from workflow import services as svc
from workflow.core import limits
from workflow.core.links import links_evidence
from workflow.core.machine import builtin_evidence
from workflow.i18n.describe import describe
from workflow.services import transactions as tx
from workflow.services import visibility
from workflow.services.opening import opened_by
from workflow.services.views import as_dicts

router = api_routes()


class LinkIn(BaseModel):
    """A link to a publication with its channel (I-15)."""

    channel: str = Field(max_length=64, examples=["site"],
                         description="One of the channels of the definition's links field "
                         "(the internal analysis: site, media, social).")
    url: str = Field(max_length=500)


class EventIn(BaseModel):
    """An event to record, with its date and confirming document."""

    event: str = Field(max_length=64, description="An event key of the case's process "
                       "(GET /api/v1/processes/{key} lists them; the case's next_events says "
                       "which may come now).")
    date: date
    number: str | None = Field(default=None, max_length=500)
    signed_by: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=500)
    period: str | None = Field(default=None, max_length=16, examples=["2025Q4"],
                               description="Monitoring period of a report or review event.")
    evidence: dict[str, str] = Field(default_factory=dict,
                                     description="Other evidence fields the definition declares.")
    links: list[LinkIn] = Field(default_factory=list, max_length=10,
                                description="Links to the publication, each with its channel: "
                                "the definition's field of type links.")
    repeat: bool = Field(default=False, description="A repeatable event (work_done, "
                         "event_held…) that the same user recorded on the case in the last "
                         "minute with the same date, evidence and files is refused (409 "
                         "rule.repeat_event, naming that record) unless this is true: it is "
                         "another one, not the same sent twice.")


class NotDoneIn(BaseModel):
    """A stage closed as not done, with the reason."""

    model_config = {"populate_by_name": True}

    stage: str = Field(max_length=64)
    note: str = Field(max_length=500, json_schema_extra=NOT_BLANK)
    on: date | None = Field(default=None, alias="date")


class VoidIn(BaseModel):
    """A wrong record to void: its event key (or stage not done, or record number);
    `withdraw_linked`: the register entry it opened withdrawn with it, for the same reason."""

    record: str = Field(max_length=64)
    note: str = Field(max_length=500, json_schema_extra=NOT_BLANK)
    withdraw_linked: bool = False


class WithdrawIn(BaseModel):
    """A case opened by mistake, withdrawn: the reason (required); `with_linked`: the cases
    linked to it (one fact, P-22) withdrawn with it."""

    reason: str = Field(max_length=500, json_schema_extra=NOT_BLANK)
    with_linked: bool = False


class RestoreIn(BaseModel):
    """A withdrawal undone within the year it was made in: the reason (required)."""

    reason: str = Field(max_length=500, json_schema_extra=NOT_BLANK)


class OpenLinkedIn(BaseModel):
    """The register entry a case's outcome is, opened and linked (P-22): the register (when
    the outcomes open several) and the entry's fields the case does not give."""

    process: str | None = Field(default=None, max_length=64)
    fields: dict[str, str] = Field(default_factory=dict)
    link_to: int | None = Field(default=None, description="An existing entry that is this fact "
                                "(409 rule.link_duplicate names it): linked instead.")
    duplicate_reason: str | None = Field(default=None, max_length=500,
                                         description="Open a second entry of the same person, "
                                                     "kind and dates anyway, with the reason.")


class CaseLinkIn(BaseModel):
    """Another case to link to this one after the fact (a register entry and the procedure's
    case it is the fact of)."""

    other: int


class CaseUnlinkIn(BaseModel):
    """A linked case whose link to this one is undone, with the reason (required)."""

    other: int
    reason: str = Field(max_length=500)


class CaseEditIn(BaseModel):
    """A case's opening values corrected, with the reason: only what is given changes."""

    person: str | None = Field(default=None, max_length=limits.PERSON_NAME,
                               description="The person (\"\" clears an optional one).")
    position: str | None = Field(default=None, max_length=limits.PERSON_POSITION)
    fields: dict[str, str] = Field(default_factory=dict,
                                   description="Fields of the definition; an empty value "
                                   "clears one.")
    dates: dict[str, date] = Field(default_factory=dict, description="Given named dates.")
    reason: str = Field(max_length=500, json_schema_extra=NOT_BLANK)
    version: int | None = Field(
        default=None, description="The definition version the values were edited against "
        "(the case's process_version): another one is refused (409 rule.edit_version).")
    revision: int | None = Field(
        default=None, ge=0, lt=2**63,
        description="The case's revision the values were read at (the ETag of GET "
        "/api/v1/cases/{id}: its last correction's audit record, 0 before any): another one is "
        "refused (409 "
        "rule.edit_stale), someone having corrected the case since. The person and position "
        "are changed only by those who see them (else 409 rule.edit_person_hidden, whatever "
        "the name).")


class CaseIn(BaseModel):
    """A case to open: the process, its parties, fields and named dates."""

    process: str = Field(max_length=64, examples=["conflict_of_interest"])
    subject: str = Field(max_length=limits.ORG_CODE)
    object: str | None = Field(default=None, max_length=limits.ORG_CODE)
    person: str | None = Field(default=None, max_length=limits.PERSON_NAME)
    position: str | None = Field(default=None, max_length=limits.PERSON_POSITION)
    fields: dict[str, str] = Field(default_factory=dict)
    dates: dict[str, date] = Field(default_factory=dict)
    responsible: str | None = Field(
        default=None, max_length=64,
        description="Login of the responsible officer (an officer of the subject); by default "
                    "the officer who opens it, or the subject's first officer.")
    duplicate_reason: str | None = Field(
        default=None, max_length=500,
        description="The reason to open it although a case repeats it: an analysis of the "
                    "same subject and object overlapping its period, or a case of the same "
                    "process, subject, object, person and dates (refused without it, 409 "
                    "rule.duplicate_analysis / rule.duplicate_case naming the first; an entry of "
                    "the same kind and year whose person's name differs only by initials, "
                    "word order, a missing patronymic or Kazakh letters: 409 "
                    "rule.probable_repeat naming it). A case "
                    "whose person the caller may not see is never named nor a reason to "
                    "refuse: the case is opened, and shown as a possible repeat to those who "
                    "see that person.")
    period: str | None = Field(
        default=None, max_length=16, examples=["2026Q2"],
        description="A recurring obligation's period (2026Q2, 2026H1, 2026M05, 2026), from the "
                    "calendar's first year up to the next period: its case is opened as "
                    "`obligations sync` opens it, its dates and due date from the period (give "
                    "no dates, fields, object or person with it), or the one already open is "
                    "returned. Refused, nothing stored: 422 error.not_recurring, "
                    "error.bad_period, error.period_kind, error.year_outside; 409 "
                    "rule.period_later, rule.obligation_not_for_kind.")


@router.get("/organisations", response_model=shapes.page_of(shapes.Organisation))
def organisations(limit: int = LIMIT, offset: int = OFFSET, a: ApiContext = Depends()):
    """Organisations the caller may see."""
    orgs = [o for o in svc.list_orgs(a.s, a.viewer.org.code) if a.viewer.sees_org(o)]
    by_id: dict[int | None, str] = {o.id: o.code for o in orgs}
    items = [{"code": o.code, "name": o.name, "name_kk": o.name_kk, "name_ru": o.name_ru,
              "kind": o.kind, "parent": by_id.get(o.parent_id)} for o in orgs]
    return paginate(items, limit, offset)


@router.get("/processes", response_model=list[shapes.Process])
def processes(a: ApiContext = Depends()) -> list[dict[str, Any]]:
    """Every process definition: key, version, names."""
    return [{"key": d.key, "version": d.version, "names": d.names,
             "recurring": d.recurrence is not None} for d in a.ctx.registry.all()]


@router.get("/processes/{key}", response_model=shapes.ProcessDescription)
def process(key: str, a: ApiContext = Depends()) -> dict[str, Any]:
    """One definition in words (stages, events, due rules, sources)."""
    return describe(a.ctx.registry.get(key), a.ctx.language)


@router.get("/cases", response_model=shapes.cursor_page_of(shapes.CaseRow))
async def cases(request: Request, org: str | None = None, state: str | None = None,
                year: int | None = None, process: str | None = None, limit: int = LIMIT,
                offset: int = OFFSET, after: int = AFTER):
    """Cases whose organisation the caller may see (filters: subtree, process, state, year),
    by number; `total` counts them all. Page by `next` (`?after=` the last number of the page
    before: every page costs as much as the first); `offset` skips that many from there (a
    page far into the list by offset alone reads every case before it)."""
    def page(a: ApiContext) -> Response:
        rows, total = views.case_page(a.s, a.ctx, a.viewer, org, process, state, year, limit,
                                      offset, after)
        items = as_dicts(rows)
        return page_answer(items, total, limit, offset, after=after,
                           next=next_page(request, items, total, limit, offset, after))
    return await in_one_thread(request, page)


@router.post("/cases", response_model=shapes.Case)
def open_case(body: CaseIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Open a case of a process for the caller's organisation (officers) or any visible one
    (admins); with `period`, a recurring obligation's case of that period (an earlier one the
    sync did not open); refused with the rule's message and nothing stored."""
    responsible = opened_by(a.viewer.user, views.visible_org(a.s, a.viewer, body.subject),
                            body.responsible)
    with tx.transaction(a.s):
        case = svc.open_checked(a.s, a.ctx, body.process, body.subject, body.object,
                                body.person, body.position, body.fields, body.dates,
                                responsible,
                                duplicate_reason=body.duplicate_reason,
                                period=body.period).analysis
    return views.case_for(a.s, a.ctx, a.viewer, case).as_dict()


def _revision(a: ApiContext, response: Response, case_id: int) -> None:
    """The case's revision (`svc.case_revision`) as the answer's ETag, for a correction's
    `revision`."""
    response.headers["ETag"] = \
        f'"{svc.case_revision(a.s, visible_case(a.s, a.viewer, case_id))}"'


@router.get("/cases/{case_id}", response_model=shapes.Case)
def case(case_id: int, response: Response, a: ApiContext = Depends()) -> dict[str, Any]:
    """One case with its dates, stages (due date, projected, status, completion) and records;
    a case linked to others (P-22) has `links`: number, process, role, a person only where
    the caller sees it. Its ETag is the revision of its opening values (PATCH's
    `revision`)."""
    found = visible_case(a.s, a.viewer, case_id)
    links = _links(a, found)
    _revision(a, response, case_id)
    return {**views.case_for(a.s, a.ctx, a.viewer, found).as_dict(),
            **({"links": links} if links else {})}


def _links(a: ApiContext, found) -> list[dict[str, Any]]:
    return [lk.as_dict() for lk in svc.linked_cases(a.s, a.ctx, found, lambda other, d:
                                                    visibility.may_see_person(a.viewer.user,
                                                                              other, d))]


def _write(a: ApiContext, case_id: int, action: str, detail: dict[str, Any], do) -> dict:
    an = visible_case(a.s, a.viewer, case_id)
    with audited_refusal(a, action, "case", an.id, detail):
        require_recorder(a.viewer, an)
        with tx.transaction(a.s):
            do(an)
    return views.case_for(a.s, a.ctx, a.viewer, an).as_dict()


@router.post("/cases/{case_id}/events", response_model=shapes.Case)
def record_case_event(case_id: int, body: EventIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Record an event; refused with the rule's message (409) and nothing stored."""
    evidence = {**builtin_evidence(dict(body)), **body.evidence}

    def do(an):
        links = links_evidence(svc.definition_of(a.s, a.ctx, an),
                               [(link.channel, link.url) for link in body.links], "links")
        svc.record_event(a.s, a.ctx, an.id, body.event, body.date, {**evidence, **links},
                         repeat=body.repeat)

    return _write(a, case_id, "event", {"event": body.event}, do)


@router.post("/cases/{case_id}/not-done", response_model=shapes.Case)
def not_done(case_id: int, body: NotDoneIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Close an open stage as not done, with the reason."""
    return _write(a, case_id, "not_done", {"stage": body.stage},
                  lambda an: svc.record_not_done(a.s, a.ctx, an.id, body.stage, body.note,
                                                 body.on))


@router.post("/cases/{case_id}/void", response_model=shapes.Case)
def void(case_id: int, body: VoidIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Void a wrong record (it stays in the audit chain); dates are re-planned. A register
    entry the record opened is withdrawn with it when `withdraw_linked` says so (the caller
    records on it); else it stands, named in the answer's `links`."""
    out = _write(a, case_id, "void", {"record": body.record},
                 lambda an: svc.void_with_linked(
                     a.s, a.ctx, an.id, body.record, body.note, body.withdraw_linked,
                     lambda entry: require_recorder(a.viewer, entry)))
    links = _links(a, visible_case(a.s, a.viewer, case_id))
    return {**out, **({"links": links} if links else {})}


@router.patch("/cases/{case_id}", response_model=shapes.Case)
def edit(case_id: int, body: CaseEditIn, response: Response,
         a: ApiContext = Depends()) -> dict[str, Any]:
    """Correct a case's opening values (person, position, fields, given dates) with a reason
    (who may record on it): checked as an opening, the due dates re-planned, the old and new
    values audited (`case.edit`); refused (422, 409) with nothing stored."""
    out = _write(a, case_id, "edit", {},
                 lambda an: svc.edit_case(a.s, a.ctx, an.id, body.person, body.position,
                                          body.fields, body.dates, body.reason,
                                          body.version, body.revision))
    _revision(a, response, case_id)
    return out


@router.post("/cases/{case_id}/withdraw", response_model=shapes.Case)
def withdraw(case_id: int, body: WithdrawIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Withdraw a case opened by mistake, with the reason (who may record on it): it leaves
    every list, reminder and score and stays in the history (`withdrawn`, `history`)."""
    def do(an):
        if body.with_linked:
            for other in svc.standing_linked(a.s, an):
                require_recorder(a.viewer, other)
        svc.withdraw_case(a.s, a.ctx, an.id, body.reason, with_linked=body.with_linked)

    return _write(a, case_id, "withdraw", {}, do)


@router.post("/cases/{case_id}/restore", response_model=shapes.Case)
def restore(case_id: int, body: RestoreIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Undo a withdrawal until the end of the year it was made in, with the reason (who may
    record on it): the case is re-planned and back in every list; later, 409
    `rule.restore_year_over` and nothing stored."""
    return _write(a, case_id, "restore", {},
                  lambda an: svc.restore_case(a.s, a.ctx, an.id, body.reason))


@router.post("/cases/{case_id}/linked", response_model=shapes.Case)
def open_linked(case_id: int, body: OpenLinkedIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Open the register entry the case's recorded outcome is, linked to it (P-22), with its
    person, dates, kind and files; answers the case with its `links` (the entry's number)."""
    out = _write(a, case_id, "link",
                 {}, lambda an: svc.open_linked(a.s, a.ctx, an.id, body.process, body.fields,
                                                link_to=_linked_entry(a, body.link_to),
                                                duplicate_reason=body.duplicate_reason))
    return {**out, "links": _links(a, visible_case(a.s, a.viewer, case_id))}


@router.post("/cases/{case_id}/links", response_model=shapes.Case)
def link(case_id: int, body: CaseLinkIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Link another case to this one after the fact (a register entry and the procedure's
    case it is the fact of; the caller records on both)."""
    def do(an):
        other = visible_case(a.s, a.viewer, body.other)
        require_recorder(a.viewer, other)
        svc.link_cases(a.s, a.ctx, an.id, other.id)

    out = _write(a, case_id, "link", {"other": body.other}, do)
    return {**out, "links": _links(a, visible_case(a.s, a.viewer, case_id))}


def _linked_entry(a: ApiContext, entry: int | None) -> int | None:
    """An existing entry to link instead: one the caller sees and records on."""
    if entry is None:
        return None
    found = visible_case(a.s, a.viewer, entry)
    require_recorder(a.viewer, found)
    return found.id


@router.post("/cases/{case_id}/unlink", response_model=shapes.Case)
def unlink(case_id: int, body: CaseUnlinkIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Undo the link between this case and another, with the reason (the caller records on
    both): audited in both histories; 409 `rule.link_not_linked` and nothing stored when they
    are not linked."""
    def do(an):
        other = visible_case(a.s, a.viewer, body.other)
        require_recorder(a.viewer, other)
        svc.unlink_cases(a.s, a.ctx, an.id, other.id, body.reason)

    out = _write(a, case_id, "unlink", {"other": body.other}, do)
    links = _links(a, visible_case(a.s, a.viewer, case_id))
    return {**out, **({"links": links} if links else {})}


@router.get("/analyses/{analysis_id}", response_model=shapes.Case)
def analysis(analysis_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """One analysis with its stages (due date, projected, status, completion)."""
    return views.case_for(a.s, a.ctx, a.viewer,
                          visible_case(a.s, a.viewer, analysis_id)).as_dict()


@router.post("/analyses/{analysis_id}/events", response_model=shapes.Case)
def record(analysis_id: int, body: EventIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Record an event; refused with the rule's message (409) and nothing stored."""
    return record_case_event(analysis_id, body, a)


@router.get("/overdue", response_model=shapes.page_of(shapes.OverdueRow))
def overdue(org: str | None = None, stage: str | None = None, year: int | None = None,
            sort: Literal["due", "days", "organisation", "stage"] | None = None,
            process: str | None = None, limit: int = LIMIT, offset: int = OFFSET,
            a: ApiContext = Depends()):
    """Overdue stages in the caller's subtree (or a visible organisation's)."""
    # counted and cut in SQL, in any order (ORDER BY … LIMIT … OFFSET)
    total, items = views.overdue_page(a.s, a.ctx, a.viewer, org, stage, year, limit, offset,
                                      process, sort=sort)
    return Page(items=as_dicts(items), total=total, limit=limit, offset=offset)


@router.get("/due", response_model=shapes.page_of(shapes.StageRow))
def due(within: int = Query(5, ge=0, le=250), org: str | None = None, process: str | None = None,
        limit: int = LIMIT, offset: int = OFFSET, a: ApiContext = Depends()):
    """Open stages due within N working days."""
    total, items = views.due_page(a.s, a.ctx, a.viewer, within, org, limit, offset, process)
    return Page(items=as_dicts(items), total=total, limit=limit, offset=offset)

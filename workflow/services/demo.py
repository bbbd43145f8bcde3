"""Demo data (`demo.toml`): a realistic organisation tree and users, and what the installed
features add to them (their declarations' `demo`: the planning's programme of internal analyses,
workflow/planning/demo.py), dated relative to today, loaded through the service layer so the demo
obeys the same rules as an officer. The recurring obligations of the demo's organisations are
opened too, and the registers of projects No. 2-4 get a year of entries (`[[entry]]`: a case
opened by `open_checked`; `[[obligation_record]]`: records on a recurring case of a period of
this year), so every
indicator of projects No. 2-4 and every report form has something to show. Every kind of case
is there: the ministry standard's procedures and the enterprise policy's cases are `[[entry]]`
too, linked to the register entries they are (`[[case_link]]`, or `linked` on the entry); an
item of the Concept's action plan (`[[plan_item]]`); and an organisation that joined mid-year,
its earlier periods back-filled (`[[backfill]]`).

Dates of the registers are relative to today and kept in the current year and not after today,
so the demo loads on any day: a past day before 1 January is moved to 1 January (clamped, not
skipped: the order of an entry's dates is kept, and an entry never fails); a record on a
recurring case is moved into its period, and a period that is not of this year (early in the
year, the previous quarters or months) is skipped. On 1 January the year's entries are therefore
all dated that day and the earlier periods' cases are not there."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlmodel import Session

from workflow import services as svc
from workflow.core import feature as features
from workflow.core import periods
from workflow.services import action_plan, links, obligations
from workflow.storage.models import Case
from workflow.storage.queries.organisations import org_by_code

DEMO = tomllib.loads((Path(__file__).parent / "demo.toml").read_text(encoding="utf-8"))
# code, kind, parent, en, ru, kk (the tests read the tree)
ORGS = [(o["code"], o["kind"], o.get("parent"), *o["names"]) for o in DEMO["org"]]
# each organisation's staff (the consolidated shares' headcount, B-20)
HEADCOUNTS = {o["code"]: o["headcount"] for o in DEMO["org"] if "headcount" in o}
USERS = [(u["login"], u["name"], u["role"], u["org"], u["language"]) for u in DEMO["user"]]
# `merzim init --demo` gives the demo's people addresses of the reserved top-level domain
# .invalid (RFC 2606): no mail server serves it, so their reminders are written to the worker's
# log instead of being tried again and again against a mail server that is not there
# (notifications/email.py). Loaded in-process, the demo keeps deliverable-looking addresses
# (`login@example.kz`), which the e-mail tests deliver to a real local SMTP server.
MAIL_DOMAIN = "merzim-demo.invalid"


def accounts(language: str) -> list[dict[str, str]]:
    """Each demo account with its role and its organisation's name in `language`, in the order
    of demo.toml (officers, managers, the administrator)."""
    names = {o[0]: {"en": o[3], "ru": o[4], "kk": o[5]} for o in ORGS}
    return [{"login": login, "name": name, "role": role, "org": org,
             "organisation": names[org].get(language) or names[org]["en"]}
            for login, name, role, org, _lang in USERS]


def day(ctx: svc.Context, stages: dict, spec: dict[str, Any]) -> date:
    """{ wd = N }: N working days from today; { due = STAGE[, wd = N] }: after a due date."""
    base = stages[spec["due"]].due_date if "due" in spec else ctx.today
    return ctx.calendar.add_working_days(base, int(spec.get("wd", 0)))


def _when(ctx: svc.Context, spec: dict[str, Any]) -> date:
    """{ days = N } calendar days or { wd = N } working days from today; a past day is moved no
    earlier than 1 January of this year (the registers' entries are this year's)."""
    if "days" in spec:
        day = ctx.today + timedelta(days=int(spec["days"]))
    else:
        day = ctx.calendar.add_working_days(ctx.today, int(spec.get("wd", 0)))
    return max(day, date(ctx.today.year, 1, 1)) if day <= ctx.today else day


def _evidence(spec: Any) -> dict[str, str]:
    """A record's evidence: a table of the file by its name ("doc", "link") or inline."""
    raw = DEMO[spec] if isinstance(spec, str) else (spec or {})
    return {k: str(v) for k, v in raw.items()}


def _record(s: Session, ctx: svc.Context, case_id: int, records: list[dict[str, Any]],
            first: date, last: date) -> None:
    """Record each event on its day, moved into [first, last] (the case's year or period, up
    to today)."""
    for rec in records:
        day = min(max(_when(ctx, rec["on"]), first), last)
        svc.record_event(s, ctx, case_id, rec["event"], day, _evidence(rec.get("evidence")))


def _entries(s: Session, ctx: svc.Context) -> dict[str, int]:
    """Open each case of `[[entry]]` (a register's entry, or a procedure's case) as an officer
    would, record what happened, and open the register entry its outcome is when it says so
    (`linked`, one confirmation as `merzim case open-linked`). Returns the cases' ids by their
    `name`, when they have one."""
    first = date(ctx.today.year, 1, 1)
    named: dict[str, int] = {}
    items = [i for i in DEMO.get("entry", []) if i["process"] in ctx.registry.loaded]
    for item in items:  # a register not loaded (a narrower registry) is left out
        dates = {k: _when(ctx, v) for k, v in item.get("dates", {}).items()}
        fields = {k: str(v) for k, v in item.get("fields", {}).items()}
        case = svc.open_checked(s, ctx, item["process"], item["subject"], item.get("object"),
                                item.get("person"), item.get("position"), fields, dates,
                                item.get("responsible")).analysis
        _record(s, ctx, case.id, item.get("records", []), first, ctx.today)
        if "linked" in item:
            links.open_linked(s, ctx, case.id, fields={
                k: str(v) for k, v in item["linked"].get("fields", {}).items()})
        if "name" in item:
            named[item["name"]] = case.id
    return named


def _case_links(s: Session, ctx: svc.Context, named: dict[str, int]) -> int:
    """Link each procedure's case to the register entry typed by hand that is its fact
    (`[[case_link]]`, as `merzim case link` links them); a pair not loaded is left out."""
    done = 0
    for pair in DEMO.get("case_link", []):
        if pair["case"] in named and pair["entry"] in named:
            links.link_cases(s, ctx, named[pair["case"]], named[pair["entry"]])
            done += 1
    return done


def _action_plan(s: Session, ctx: svc.Context) -> int:
    """The items of the Concept's action plan opened for their bodies (`[[plan_item]]`, as
    `merzim case action-plan` opens them), and what was recorded on them."""
    if action_plan.load_plan().process not in ctx.registry.loaded:
        return 0
    done = 0
    for item in DEMO.get("plan_item", []):
        for _code, case, _item, _new in action_plan.open_items(s, ctx, [item["org"]],
                                                                [item["item"]]):
            _record(s, ctx, case.id, item.get("records", []),
                    date(ctx.today.year, 1, 1), ctx.today)
            done += 1
    return done


def _backfill(s: Session, ctx: svc.Context) -> list[dict[str, Any]]:
    """The earlier periods of an organisation that adopted merzim mid-year (`[[backfill]]`),
    opened in one step as `merzim obligations sync --from DAY --org CODE` opens them."""
    opened: list[dict[str, Any]] = []
    for item in DEMO.get("backfill", []):
        opened += obligations.sync(s, ctx, since=_when(ctx, item["from"]),
                                   org_code=item["org"])
    return opened


def _period_case(s: Session, ctx: svc.Context, process: str, subject: str,
                 period: periods.Period) -> Case:
    """The recurring case of a period (`obligations.sync` opens the current and the next
    ones; an earlier period's is opened as an officer opens one, as sync opens it)."""
    return obligations.open_period(s, ctx, process, subject, period.label)[0]


def _obligation_records(s: Session, ctx: svc.Context) -> int:
    """Records on recurring cases (`[[obligation_record]]`): `period` 0 is the current period,
    -1 the one before; a period of another year is skipped."""
    done = 0
    for item in DEMO.get("obligation_record", []):
        if item["process"] not in ctx.registry.loaded:
            continue
        recurrence = ctx.registry.get(item["process"]).recurrence
        if recurrence is None:  # (a demo record of a procedure that is not recurring)
            continue
        kind = recurrence.period
        period = periods.period_of(ctx.today, kind)
        for _ in range(-int(item.get("period", 0))):
            period = periods.period_of(period.start - timedelta(days=1), kind)
        if period.start.year != ctx.today.year or period.start > ctx.today:
            continue
        case = _period_case(s, ctx, item["process"], item["subject"], period)
        _record(s, ctx, case.id, item.get("records", []), period.start,
                min(period.end, ctx.today))
        done += 1
    return done


@runtime_checkable
class Reporting(Protocol):
    """A feature's table of periodic reports on a case (the monitoring's): the dynamic stage of
    a period's report and the events recording the report and its review."""

    report_stage: str
    report_event: str
    review_event: str


def monitor_until_today(s: Session, ctx: svc.Context, aid: int) -> None:
    """Record every quarterly report already due, on time, and its review two days later
    (nothing when no installed feature of the case's definition reports)."""
    case = svc.get_case(s, aid)
    keys = next((v for v in svc.definition_of(s, ctx, case).features.values()
                 if isinstance(v, Reporting)), None)
    if keys is None:
        return
    prefix = keys.report_stage + ":"
    for key, stage in sorted(svc.stages_of(s, case).items()):
        if not key.startswith(prefix) or stage.due_date is None or stage.due_date >= ctx.today:
            continue
        period = key.split(":", 1)[1]
        svc.record_event(s, ctx, aid, keys.report_event, stage.due_date, {"period": period})
        review = ctx.calendar.add_working_days(stage.due_date, 2)
        if review <= ctx.today:
            svc.record_event(s, ctx, aid, keys.review_event, review, {"period": period})


def load_demo(s: Session, ctx: svc.Context, mail_domain: str = "example.kz") -> dict[str, Any]:
    """Load the demo once (a second call changes nothing); its people's e-mail addresses are
    `login@mail_domain`."""
    if org_by_code(s, ORGS[0][0]):
        return {"already": True}
    for code, kind, parent, en, ru, kk in ORGS:
        svc.add_org(s, ctx, code, en, kind, parent, name_kk=kk, name_ru=ru,
                    headcount=HEADCOUNTS.get(code))
    for login, name, role, org, lang in USERS:
        svc.add_user(s, ctx, login, name, role, org, f"{login}@{mail_domain}", lang)
    parts: dict[str, Any] = {}
    for feature in features.installed():  # the features' parts: the planned analyses
        if feature.demo is not None:
            parts.update(feature.demo()(s, ctx, DEMO))
    opened = obligations.sync(s, ctx)
    backfilled = _backfill(s, ctx)
    named = _entries(s, ctx)
    linked = _case_links(s, ctx, named)
    items = _action_plan(s, ctx)
    recorded = _obligation_records(s, ctx)
    entries = sum(1 for i in DEMO.get("entry", []) if i["process"] in ctx.registry.loaded)
    return {"organisations": len(ORGS), "users": [u[0] for u in USERS], **parts,
            "obligations": len(opened), "backfilled": len(backfilled), "entries": entries,
            "case_links": linked, "action_plan_items": items, "obligation_records": recorded}

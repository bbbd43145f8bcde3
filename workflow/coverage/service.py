"""Coverage read from what was recorded (the scorecard's facts, `workflow.scorecard.service`),
with the subdivisions' names in the reader's language; and the reminders of B-14: from the
setting's first day, once in each period, one message per officer of a subject with uncovered
subdivisions and per channel, written to the outbox (delivered, retried and kept by the
reminder worker's outbox like every digest).

B-18: `submissions`, the final reporting form each unit under a central body or an akimat
presents to it (the register whose `[scorecard]` says `final_report`), read from the registers'
entries; and its reminder to the subject's officers from `[coverage] submissions_remind_days`
working days before the subject's own deadline, once a week, while some unit has not submitted."""

from __future__ import annotations

import dataclasses
import html
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from calendars.errors import CalendarRangeError
from workflow.core import periods
from workflow.core.definition import Definition
from workflow.core.errors import UsageError
from workflow.coverage import rules
from workflow.coverage.rules import CoverageSettings, Submissions, UnitSubmission
from workflow.i18n import Translator
from workflow.registers.reader import read_entries
from workflow.registers.scope import consolidates, reporting_units
from workflow.reminders import planner
from workflow.scorecard import rules as sc
from workflow.scorecard import service as scoring
from workflow.scorecard.evaluation import QSE, below
from workflow.scorecard.kept import kept_facts
from workflow.scorecard.words import number
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.storage.models import OFFICER, Organisation, OutboxMessage
from workflow.storage.queries.organisations import orgs_in_path_order

DIGEST = "coverage-"  # the outbox key's prefix: coverage-2026-09 (a period, rules.period)


def check_year(ctx: Context, year: int) -> None:
    """A year of the calendar (the programmes' years), else a refusal naming the range."""
    cal = ctx.calendar
    if not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)


def _named(s: Session, result: dict[str, Any], language: str) -> dict[str, Any]:
    codes = [r["code"] for r in result["rows"]]
    orgs = {o.code: o for o in s.exec(select(Organisation).where(
        col(Organisation.code).in_(codes or [""])))}
    for r in result["rows"]:
        org = orgs[r["code"]]
        r["name"] = org_name(org, language)
        r["kind"] = org.kind
    result["uncovered"] = [r for r in result["rows"] if r["state"] != rules.COVERED]
    return result


def coverage(s: Session, ctx: Context, org_code: str, year: int,
             settings: sc.ScoreSettings) -> dict[str, Any]:
    """The coverage of the subject `org_code` in `year` as of `ctx.today`, with its name and
    every subdivision's name in the context's language."""
    check_year(ctx, year)
    root = get_org(s, org_code)
    # from the subtree's parts kept for their paths' versions (scorecard/kept.py)
    org, facts = kept_facts(s, ctx, root, year, settings)
    result = _named(s, rules.coverage(facts, settings), ctx.language)
    result["subject_name"] = org_name(org, ctx.language)
    return in_words(result, Translator(ctx.language))


def in_words(result: dict[str, Any], t: Translator) -> dict[str, Any]:
    """The result with its sentences in the reader's language (the page, the overview, the
    command and the reminder say the same): `summary`, `points_text`, and each row's
    `state_text` and `points_text` (numbers with a decimal comma in kk and ru)."""
    def n(x: float) -> str:
        return number(x, t.language)

    result["summary"] = t("coverage.summary", covered=result["covered"],
                          total=result["subdivisions"], percent=n(result["percent"]),
                          year=result["year"])
    result["points_text"] = t("coverage.points_line", points=n(result["points"]),
                              maximum=n(result["maximum"]), each=n(result["points_each"]),
                              all=n(result["points_all"])) if result["evaluated"] \
        else t("coverage.not_evaluated")
    for r in result["rows"]:
        r["state_text"] = t(f"coverage.state_{r['state']}",
                            until=r["until"].isoformat() if r["until"] else "")
        r["points_text"] = "" if r["points"] is None else "+" + n(r["points"])
    return result


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    """The coverage as the API and `merzim coverage --json` give it: the figures and the
    uncovered subdivisions by code and name, with their state and the points each would add."""
    keys = ("subject", "subject_name", "year", "as_of", "evaluated", "subdivisions", "covered",
            "percent", "points", "maximum", "points_each", "points_all")
    return {**{k: result[k] for k in keys},
            "uncovered": [{"code": r["code"], "name": r["name"], "kind": r["kind"],
                           "state": r["state"], "note_due": r["until"],
                           "analyses": r["analyses"], "points": r["points"]}
                          for r in result["uncovered"]]}


# -- the reminders (B-14) -------------------------------------------------------------------------


def _render(t: Translator, result: dict[str, Any], names: dict[str, str], person: str
            ) -> tuple[str, str, str]:
    """The message's subject, text and HTML in the reader's language."""
    in_words(result, t)
    subject = t.n("coverage.remind_subject", len(result["uncovered"]),
                  org=names[result["subject"]], year=result["year"])
    lines = [t("coverage.remind_greeting", name=person), result["summary"],
             result["points_text"]]
    items = [f"{names[r['code']]} ({r['code']}): {r['state_text']}, {r['points_text']}"
             for r in result["uncovered"]]
    closing = t("coverage.remind_closing")
    text = "\n".join([*lines, "", *(f"- {i}" for i in items), "", closing]) + "\n"
    body = "".join(f"<p>{html.escape(ln)}</p>" for ln in lines)
    body += "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    body += f"<p>{html.escape(closing)}</p>"
    return subject, text, f"<html><body>{body}</body></html>"


def plan_reminders(s: Session, ctx: Context, settings: sc.ScoreSettings, st: CoverageSettings,
                   channels: tuple[str, ...]) -> list[OutboxMessage]:
    """Queue, on `ctx.today`, the coverage reminder of this period to every active officer of a
    subject with uncovered subdivisions in this year, per channel with an address: written once
    per officer, channel and period (the outbox key `coverage-PERIOD`, whatever the day), so a
    worker that was stopped on the first day sends it on the next planning, and a second
    planning writes nothing. Nothing before the setting's first day, nor on a day off."""
    key = rules.period(ctx.today, st)
    if key is None or not ctx.calendar.is_working_day(ctx.today):
        return []
    digest = DIGEST + key
    officers = [r for r in planner.recipients(s) if r.role == OFFICER]
    sent = set(s.exec(select(OutboxMessage.recipient_id, OutboxMessage.channel)
                      .where(OutboxMessage.digest == digest)).all())
    waiting = [(r, ch) for r in officers for ch in channels
               if planner.address_for(r, ch) and (r.id, ch) not in sent]
    if not waiting:
        return []
    paths = {r.org_path for r, _ch in waiting}
    subjects = sorted((o for o in s.exec(select(Organisation).where(
        col(Organisation.path).in_(paths))) if o.kind in settings.subject_kinds),
        key=lambda o: o.path)
    written: list[OutboxMessage] = []
    for org in subjects:
        (_org, facts), = scoring.subject_facts(s, ctx, org, ctx.today.year, settings)
        result = rules.coverage(facts, settings)
        result["uncovered"] = [r for r in result["rows"] if r["state"] != rules.COVERED]
        if not result["uncovered"] or not result["evaluated"]:
            continue
        codes = [org.code, *(r["code"] for r in result["uncovered"])]
        named = {o.code: o for o in s.exec(select(Organisation).where(
            col(Organisation.code).in_(codes)))}
        for person, channel in waiting:
            if person.org_path != org.path:
                continue
            names = {c: org_name(o, person.language) for c, o in named.items()}
            subject, text, body = _render(Translator(person.language), result, names,
                                          person.name)
            address = planner.address_for(person, channel) or ""
            row = planner.enqueue(s, person.id, channel, ctx.today, digest, address, subject,
                                  text, body)
            if row is not None:
                written.append(row)
    return written



def remind(s: Session, ctx: Context, settings: Any, ns: Any) -> list[OutboxMessage]:
    """The reminder worker's entry (its declaration's `remind`, workflow/coverage/feature.py): the coverage
    reminders and the final reports' reminders (B-18) of `ctx.today` with the configured
    settings and channels."""
    channels = tuple(ns.channels)
    score, own = settings.of(sc.ScoreSettings), settings.of(CoverageSettings)
    return [*plan_reminders(s, ctx, score, own, channels),
            *plan_submission_reminders(s, ctx, score, own, channels)]


# -- B-18: the units' final reporting forms to the subject ------------------------------------------

SUB_DIGEST = "submissions-"  # the outbox key's prefix: submissions-2025-0 (the year, the week)


def final_report(ctx: Context) -> Definition | None:
    """The register whose `[scorecard]` marks it as the final reporting form (None: none is)."""
    return next((d for d in ctx.registry.all() if d.scorecard is not None
                 and d.scorecard.final_report and d.recurrence is not None), None)


def _completing(d: Definition) -> str | None:
    """The event that completes the register's counted stage (its record: the submission)."""
    counted = d.scorecard.counted if d.scorecard is not None else None
    return next((e.key for e in d.events.values() if counted and e.completes == counted), None)


def rule_deadline(ctx: Context, d: Definition, year: int) -> date:
    """The day the register's rule gives for `year`'s report (31 January of the next year, on
    a day off the next working day): a subject's deadline when it has no case of its own."""
    assert d.recurrence is not None
    cal = ctx.calendar
    try:
        return periods.due_date(cal, periods.parse(str(year)), d.recurrence.due)
    except CalendarRangeError:  # due in a year the calendar's data does not reach yet
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year - 1) from None


def submissions(s: Session, ctx: Context, org_code: str, year: int,
                settings: sc.ScoreSettings) -> Submissions:
    """The final reporting form of `year` of every unit that presents one to the subject
    `org_code` (workflow.registers.scope.reporting_units: a central body's or an akimat's
    consolidated members but the apparatus parts and the quasi-state entities; anyone else has
    none), as of `ctx.today`, with the subject's own deadline; names in the context's language.
    One query of the subtree and one reading of the register, whatever the tree's size."""
    check_year(ctx, year)
    d = final_report(ctx)
    if d is None:
        raise UsageError(key="coverage.sub_no_register")
    root = get_org(s, org_code)
    orgs = orgs_in_path_order(s, root)
    code_of: dict[int | None, str] = {o.id: o.code for o in orgs}
    tree = [sc.Org(o.code, o.kind, code_of.get(o.parent_id)) for o in orgs]
    kinds = settings.consolidating_kinds
    codes = set(reporting_units(root.code, root.kind, tree, kinds))
    units = [o for o in orgs if o.code in codes]  # in tree (path) order
    # the quasi-state entities it supervises report to it too (000:L104-106), for project 3
    supervised = set(below(root.code, tree, QSE, settings.qse_scope))
    entities = [o for o in orgs if o.code in supervised]
    read = {o.id: o.code for o in (root, *units, *entities) if o.id is not None}
    entries = read_entries(s, ctx.registry.all(), read, year, keys=[d.key])
    lang = ctx.language
    return rules.submissions((root.code, org_name(root, lang), root.kind),
                             [(o.code, org_name(o, lang), o.kind) for o in units], entries,
                             _completing(d), year, ctx.today, d.key, rule_deadline(ctx, d, year),
                             [(o.code, org_name(o, lang), o.kind) for o in entities])


def reports_to_it(ctx: Context, org: Any, settings: sc.ScoreSettings) -> bool:
    """Whether units present their final report to `org` (its kind consolidates) and a register
    is the final report: the pages show the list only then."""
    return consolidates(org.kind, settings.consolidating_kinds) and final_report(ctx) is not None


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def unit_text(u: UnitSubmission, t: Translator) -> str:
    """A unit's status in words: submitted on a day (on time or late), not yet (until its due
    date), missing, or no case."""
    key = u.status
    if u.due is None and u.status in (rules.SUB_NOT_YET, rules.SUB_MISSING):
        key += "_undated"
    return t(f"coverage.sub_state_{key}", day=_day(u.submitted_on), due=_day(u.due))


def submission_lines(result: Submissions, t: Translator) -> list[str]:
    """The summary, the subject's own deadline and the counts in words (the page, the command
    and the reminder say the same)."""
    lines = [t.n("coverage.sub_summary", result.total, submitted=result.submitted,
                 year=result.year),
             t("coverage.sub_deadline" if result.deadline_from_case else
               "coverage.sub_deadline_rule", org=result.subject_name,
               deadline=result.deadline.isoformat())]
    if result.total:
        lines.append(t("coverage.sub_counts", submitted=result.submitted, late=result.late,
                       not_yet=result.not_yet, missing=result.missing, no_case=result.no_case))
    return lines


def _render_submissions(t: Translator, result: Submissions, person: str
                        ) -> tuple[str, str, str]:
    """The reminder's subject, text and HTML in the reader's language."""
    waiting = result.waiting
    subject = t.n("coverage.sub_remind_subject", len(waiting), org=result.subject_name,
                  year=result.year, deadline=result.deadline.isoformat())
    lines = [t("coverage.remind_greeting", name=person), *submission_lines(result, t)]
    items = [f"{u.name} ({u.code}): {unit_text(u, t)}" for u in waiting]
    closing = t("coverage.sub_remind_closing", deadline=result.deadline.isoformat())
    text = "\n".join([*lines, "", *(f"- {i}" for i in items), "", closing]) + "\n"
    body = "".join(f"<p>{html.escape(ln)}</p>" for ln in lines)
    body += "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    body += f"<p>{html.escape(closing)}</p>"
    return subject, text, f"<html><body>{body}</body></html>"


def plan_submission_reminders(s: Session, ctx: Context, settings: sc.ScoreSettings,
                              st: CoverageSettings, channels: tuple[str, ...]
                              ) -> list[OutboxMessage]:
    """Queue, on `ctx.today`, the final reports' reminder (B-18) to every active officer of a
    subject (a consolidating kind) whose units have not all submitted their report of a year,
    from `st.submissions_remind_days` working days before the subject's own deadline to the
    deadline itself: one message per officer, channel and week of that window (the outbox key
    `submissions-YEAR-WEEK`), so a second planning writes nothing. Nothing on a day off."""
    days = st.submissions_remind_days
    if days <= 0 or not ctx.calendar.is_working_day(ctx.today):
        return []
    d = final_report(ctx)
    if d is None:
        return []
    officers = [r for r in planner.recipients(s) if r.role == OFFICER]
    reachable = [(r, ch) for r in officers for ch in channels if planner.address_for(r, ch)]
    if not reachable:
        return []
    subjects = sorted((o for o in s.exec(select(Organisation).where(
        col(Organisation.path).in_({r.org_path for r, _ch in reachable})))
        if consolidates(o.kind, settings.consolidating_kinds)), key=lambda o: o.path)
    cal = ctx.calendar
    years = [y for y in (ctx.today.year - 1, ctx.today.year)  # a year's report is due after it
             if cal.first_year <= y < cal.last_year]
    if not subjects or not years:
        return []
    # the subjects' own cases (their deadlines), in one reading
    own = {(e.org, e.period): e for e in read_entries(
        s, ctx.registry.all(), {o.id: o.code for o in subjects if o.id is not None},
        years[0], years[-1], keys=[d.key])}
    written: list[OutboxMessage] = []
    for org in subjects:
        for year in years:
            entry = own.get((org.code, str(year)))
            due = entry.case.stage_due if entry is not None and entry.case else None
            deadline = due or rule_deadline(ctx, d, year)
            first = cal.sub_working_days(deadline, days)
            week = rules.submissions_week(ctx.today, first, deadline)
            if week is None:
                continue
            digest = f"{SUB_DIGEST}{year}-{week}"
            sent = set(s.exec(select(OutboxMessage.recipient_id, OutboxMessage.channel)
                              .where(OutboxMessage.digest == digest)).all())
            waiting = [(r, ch) for r, ch in reachable
                       if r.org_path == org.path and (r.id, ch) not in sent]
            if not waiting:
                continue
            read: dict[str, Submissions] = {}  # the names in each reader's language
            for person, channel in waiting:
                if person.language not in read:
                    read[person.language] = submissions(
                        s, dataclasses.replace(ctx, language=person.language), org.code,
                        year, settings)
                result = read[person.language]
                if not result.waiting:
                    break  # every unit has submitted: no reminder
                subject, text, body = _render_submissions(Translator(person.language),
                                                          result, person.name)
                address = planner.address_for(person, channel) or ""
                row = planner.enqueue(s, person.id, channel, ctx.today, digest, address,
                                      subject, text, body)
                if row is not None:
                    written.append(row)
    return written

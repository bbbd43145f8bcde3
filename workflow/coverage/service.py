"""Coverage read from what was recorded (the scorecard's facts, `workflow.scorecard.service`),
with the subdivisions' names in the reader's language; and the reminders of B-14: from the
setting's first day, once in each period, one message per officer of a subject with uncovered
subdivisions and per channel, written to the outbox (delivered, retried and kept by the
reminder worker's outbox like every digest)."""

from __future__ import annotations

import html
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.errors import UsageError
from workflow.coverage import rules
from workflow.coverage.rules import CoverageSettings
from workflow.i18n import Translator
from workflow.reminders import planner
from workflow.scorecard import rules as sc
from workflow.scorecard import service as scoring
from workflow.scorecard.words import number
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.storage.models import Organisation, OutboxMessage

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
    (org, facts), = scoring.subject_facts(s, ctx, root, year, settings)
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
    officers = [r for r in planner.recipients(s) if r.role == "officer"]
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
    """The reminder worker's entry (workflow/cli/reminders.py FEATURE_REMINDERS): the coverage
    reminders of `ctx.today` with the configured settings and channels."""
    return plan_reminders(s, ctx, settings.score, settings.coverage, tuple(ns.channels))

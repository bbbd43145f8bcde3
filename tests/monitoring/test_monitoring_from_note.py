"""Monitoring counted from the note by default (I-8; 000:L493-501).

Version 5 of the internal analysis counts the reporting periods from the day the note was
signed: [N, N + 3 months), ... up to N + 1 year; each report is due by the 5th of the month
after the period's last month (a calendar date, moved to the next working day, I-1); after the
year (the day after the last report's due date) the monitoring result note closes the analysis
even when a period's report never came. Analyses opened under version 4 keep calendar quarters.

Every date below was counted by hand on the Kazakh production calendar (`merzim calendar show
YEAR`): 2026: Sun 5 Jul and Mon 6 Jul (Capital Day) off, Sat 5 Sep, Sat 5 Dec; 2027 (no
transfer decree yet): 5 Jan Tue, 5 Feb Fri, 5 Apr Mon, 5 May Wed, 5 Aug Thu are working days.
Periods end the day before N + 3k months; a day the month lacks is its last day (31 March +
3 months = 30 June).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.support.databases import dump_tables
from tests.support.features import module_of
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.definitions import DEFINITIONS, load_definition
from workflow.monitoring import service as ms
from workflow.storage.db import session as open_session

planning_svc = module_of("planning", "service")  # the analyses are planned by it

DOC = {"number": "АН-1", "signed_by": "Akim"}


def d(text: str) -> date:
    return date.fromisoformat(text)


def _world(db, ctx) -> None:
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education department", "department", "AK")
        s.commit()


def _noted(db, ctx, note: date, start: date) -> int:
    with open_session(db) as s:
        aid = planning_svc.plan_analysis(s, ctx, "AK", "AK-EDU", start).analysis.id
        svc.record_event(s, ctx, aid, "analytic_note", note, dict(DOC))
        s.commit()
    return aid


def _periods(db, ctx, aid) -> list[tuple[str, date | None]]:
    with open_session(db) as s:
        return [(p["period"], p["report_due"]) for p in ms.periods_of(s, ctx, aid)]


def _record(db, ctx, aid, event, on, evidence) -> None:
    with open_session(db) as s:
        svc.record_event(s, ctx, aid, event, on, dict(evidence))
        s.commit()


def _close_after_the_year(db, make_ctx, aid, last_due: date, free: date, periods: str) -> None:
    """The result note is refused on the last report's due date while `periods` are open (and
    nothing is stored), accepted the day after; the open periods are then not done."""
    before = dump_tables(db)
    with open_session(db) as s, pytest.raises(RuleViolation) as refused:
        svc.record_event(s, make_ctx(last_due), aid, "monitoring_note", last_due, dict(DOC))
    assert dump_tables(db) == before
    assert refused.value.key == "rule.periods_open"
    assert (refused.value.params["periods"], refused.value.params["until"]) == (
        periods, free.isoformat())
    ctx = make_ctx(free)
    _record(db, ctx, aid, "monitoring_note", free, DOC)
    with open_session(db) as s:
        view = svc.case_view(s, ctx, svc.get_case(s, aid))
    assert view.state == "closed"
    status = {st.key: st.status for st in view.stages}
    for period in periods.split(", "):
        assert status[f"monitoring_report:{period}"] == "not_done"


def test_the_shipped_definition_counts_from_the_note():
    assert load_definition().interpretations["monitoring_periods"] == "from_note"
    older = load_definition(path=DEFINITIONS / "versions" / "internal_risk_analysis.v4.toml")
    assert (older.version, older.interpretations["monitoring_periods"]) == (4, "calendar")


def test_acceptance_a_note_of_20_november_2025_on_a_fresh_database(merzim_db):
    """No configuration at all: four periods, reports due Thu 5 Mar, Fri 5 Jun, Mon 7 Sep
    (Sat 5 Sep) and Mon 7 Dec (Sat 5 Dec) 2026."""
    day = {"today": "2025-11-20"}
    for args in (("org", "add", "AK", "--name", "Akimat", "--kind", "akimat"),
                 ("org", "add", "AK-EDU", "--name", "Education", "--kind", "department",
                  "--parent", "AK"),
                 ("analysis", "plan", "--subject", "AK", "--object", "AK-EDU",
                  "--start", "2025-09-01"),
                 ("record", "1", "analytic_note", "--date", "2025-11-20", "--number", "7",
                  "--signed-by", "Akim")):
        result = merzim_db(*args, **day)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    result = merzim_db("monitoring", "periods", "1", "--json", **day)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["periods"]
    assert [(r["period"], r["report_due"]) for r in rows] == [
        ("2025N1", "2026-03-05"), ("2025N2", "2026-06-05"), ("2025N3", "2026-09-07"),
        ("2025N4", "2026-12-07")]



def _noted_in_a_world(db, make_ctx, signed: date, started: date):
    """The world on the day `signed` with an analysis started on `started` whose note was
    signed that day: (that day's context, the analysis)."""
    ctx = make_ctx(signed)
    _world(db, ctx)
    return ctx, _noted(db, ctx, signed, started)


def _reported_and_reviewed(db, make_ctx, aid: int, period: str, on: date) -> None:
    """The period's monitoring report and its review recorded on the day `on`."""
    _record(db, make_ctx(on), aid, "monitoring_report", on, {"period": period})
    _record(db, make_ctx(on), aid, "monitoring_review", on, {"period": period})

def test_a_note_signed_on_31_march(db, make_ctx):
    """N = Tue 31 Mar 2026: [31 Mar, 29 Jun], [30 Jun, 29 Sep], [30 Sep, 30 Dec 2026],
    [31 Dec 2026, 30 Mar 2027] (no one-day first quarter); reports: Sun 5 Jul, Mon 6 Jul off
    -> Tue 7 Jul; Mon 5 Oct 2026; Tue 5 Jan 2027; Mon 5 Apr 2027. Four reports, not five;
    closing from Tue 6 Apr 2027."""
    ctx, aid = _noted_in_a_world(db, make_ctx, d("2026-03-31"), d("2026-02-02"))
    assert _periods(db, ctx, aid) == [
        ("2026N1", d("2026-07-07")), ("2026N2", d("2026-10-05")), ("2026N3", d("2027-01-05")),
        ("2026N4", d("2027-04-05"))]
    # a period's report may not come before the period starts: 2026N2 starts on 30 June
    before = dump_tables(db)
    with open_session(db) as s, pytest.raises(RuleViolation) as refused:
        svc.record_event(s, make_ctx(d("2026-07-01")), aid, "monitoring_report",
                         d("2026-06-29"), {"period": "2026N2"})
    assert refused.value.params["start"] == "2026-06-30"
    assert dump_tables(db) == before
    for period, on in (("2026N1", "2026-07-03"), ("2026N2", "2026-10-02"),
                       ("2026N3", "2027-01-05")):
        _reported_and_reviewed(db, make_ctx, aid, period, d(on))
    _close_after_the_year(db, make_ctx, aid, d("2027-04-05"), d("2027-04-06"), "2026N4")


def test_a_note_signed_on_8_july(db, make_ctx):
    """N = Wed 8 Jul 2026: [8 Jul, 7 Oct], [8 Oct 2026, 7 Jan 2027], [8 Jan, 7 Apr],
    [8 Apr, 7 Jul 2027]; reports: Thu 5 Nov 2026, Fri 5 Feb, Wed 5 May, Thu 5 Aug 2027; the
    analysis may close from Fri 6 Aug 2027 (with calendar quarters: not before 6 Oct 2027)."""
    ctx, aid = _noted_in_a_world(db, make_ctx, d("2026-07-08"), d("2026-05-04"))
    assert _periods(db, ctx, aid) == [
        ("2026N1", d("2026-11-05")), ("2026N2", d("2027-02-05")), ("2026N3", d("2027-05-05")),
        ("2026N4", d("2027-08-05"))]
    for period, on in (("2026N1", "2026-11-02"), ("2026N2", "2027-02-01")):
        _reported_and_reviewed(db, make_ctx, aid, period, d(on))
    _close_after_the_year(db, make_ctx, aid, d("2027-08-05"), d("2027-08-06"),
                          "2026N3, 2026N4")


def test_an_analysis_opened_under_version_4_keeps_calendar_quarters(db, calendar):
    """Opened under version 4, noted after version 5 shipped: N = Wed 8 Jul 2026 gives the
    calendar quarters 2026Q3 ... 2027Q3 (five reports: Mon 5 Oct 2026, Tue 5 Jan, Mon 5 Apr,
    Mon 5 Jul 2027 (no decree yet: Capital Day 6 Jul is a Tuesday), Tue 5 Oct 2027)."""
    from workflow.definitions import Loaded, Registry, load_registry

    path = DEFINITIONS / "versions" / "internal_risk_analysis.v4.toml"
    old = Registry({"internal_risk_analysis": Loaded(load_definition(path=path),
                                                     path.read_text("utf-8"), path)})
    then = svc.Context(calendar, old, d("2026-05-04"), actor="test", language="en")
    _world(db, then)
    with open_session(db) as s:
        aid = planning_svc.plan_analysis(s, then, "AK", "AK-EDU", d("2026-05-04")).analysis.id
        s.commit()
    now = svc.Context(calendar, load_registry(), d("2026-07-08"), actor="test", language="en")
    _record(db, now, aid, "analytic_note", d("2026-07-08"), DOC)
    with open_session(db) as s:
        assert svc.get_case(s, aid).process_version == 4
    assert _periods(db, now, aid) == [
        ("2026Q3", d("2026-10-05")), ("2026Q4", d("2027-01-05")), ("2027Q1", d("2027-04-05")),
        ("2027Q2", d("2027-07-05")), ("2027Q3", d("2027-10-05"))]

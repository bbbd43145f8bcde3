"""The points still to win, first: the score page and the overview list every open stage of
the year that can still win or lose points, overdue ones included, each with the points
recording it is worth (the evaluation with it done less the evaluation without it), ranked by
points and then by deadline, each linking to where it is recorded; the badge counts points.

The world is tests/support/registers_world.py's on 15 December 2026: the akimat AK (officer aida)
with its internal analysis of its education department AK-EDU, whose analytic note is overdue
(no note: 1.2.3's −5; the department, AK's one subdivision, not covered: 1.3.3's 30 lost).
Recording the note here changes the world: this module has its own."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from tests.support.cli_runner import answer
from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    D2026,
    web_fixture,
    world_fixture,
)
from tests.support.web_helpers import page_in as get
from workflow.storage.models import Case

RISK = re.compile(r'<li data-risk="([^"]+)" data-deadline="([\d-]+)"(?: data-case="(\d+)")?'
                  r'(?: data-points="([^"]+)")?( data-overdue)?>(.*?)</li>', re.S)


def risks(page: str) -> tuple[list[tuple[str, ...]], str]:
    part = page.split('data-testid="score-risks"', 1)[1].split("</section>", 1)[0]
    return RISK.findall(part), part


def analysis_id(web) -> int:
    with Session(web.engine) as s:
        found = s.exec(select(Case).where(Case.process == "internal_risk_analysis")).one()
    assert found.id is not None
    return found.id


def scorecard(web) -> dict:
    r = web.api("aida").get("/api/v1/scores?org=AK&year=2026")
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


@needs("planning")
def test_the_overdue_analytic_note_is_first_with_its_points(web):
    note = analysis_id(web)
    found, part = risks(get(web, "aida", "/score/AK?year=2026"))
    key, deadline, case, points, overdue, text = found[0]
    # first: worth the most, 1.2.3's −5 saved and 1.3.3's 30 won, though its day has passed
    assert (key, int(case), float(points), bool(overdue)) == ("1.2.3", note, 35.0, True)
    assert deadline < D2026
    assert "+35 points" in text and "overdue" in text and "Sign the analytic note" in text
    assert "1.3.3" in text  # both indicators it counts in
    # it links to where it is recorded: the case's record form with the note's event
    assert f'href="/cases/{note}?event=analytic_note#record"' in text
    # ranked by points, then by deadline; the lines without a figure last
    figures = [(-float(p), d) for _k, d, _c, p, _o, _t in found if p]
    assert figures == sorted(figures) and len(figures) >= 3
    assert all(p for _k, _d, _c, p, _o, _t in found[:len(figures)])
    # an overdue stage of a register is there too, with its points, and nothing worth 0
    assert all(float(p) != 0 for _k, _d, _c, p, _o, _t in found if p)
    # the badge counts the points, not the lines
    badge = re.search(r'data-testid="score-risks-count">([^<]+)<', part)
    worth = sum(float(p) for _k, _d, _c, p, _o, _t in found if p)
    more = int(re.search(r"(\d+) more", part).group(1)) if " more" in part else 0
    assert badge is not None and badge.group(1) == f"{worth:g} points", (badge, more)
    # the overview shows the same first line and the same badge
    overview, opart = risks(get(web, "aida", "/overview?org=AK"))
    assert overview[0][:5] == found[0][:5]
    assert re.search(r'data-testid="score-risks-count">([^<]+)<', opart).group(1) == badge.group(1)
    # and so does My work, for the officer's own akimat
    work, _wpart = risks(get(web, "aida", "/work"))
    assert work[0][:5] == found[0][:5]


@needs("planning")
def test_the_points_are_in_the_readers_language_with_plurals(web):
    for lang, words in (("ru", ("+35 баллов", "просрочено", "+3 балла")),
                        ("kk", ("+35 ұпай", "мерзімі өтті", "+3 ұпай"))):
        _found, part = risks(get(web, "aida", "/score/AK?year=2026", lang))
        for w in words:
            assert w in part, (lang, w)
        assert "score.atrisk" not in part


@needs("planning")
def test_the_notes_points_are_the_score_difference_after_recording_it(world, web):
    note = analysis_id(web)
    found, _part = risks(get(web, "aida", "/score/AK?year=2026"))
    listed = next(float(p) for _k, _d, c, p, _o, _t in found if c == str(note) and p
                  and _k == "1.2.3")
    before = scorecard(web)
    answer(world["m"]("record", str(note), "analytic_note", "--date", D2026,
                      "--evidence", "number=AN-1", "--evidence", "signed_by=Head",
                      today=D2026))
    after = scorecard(web)
    was = {i["key"]: i for i in before["indicators"]}
    changed = {i["key"]: round(i["points"] - was[i["key"]]["points"], 2)
               for i in after["indicators"] if i["points"] != was[i["key"]]["points"]}
    # the note's own indicators gained exactly what its line said: 1.2.3's −5 gone, 1.3.3's 30
    assert changed.pop("1.2.3") + changed.pop("1.3.3") == listed == 35
    # anything else that moved is a stage whose deadline the note set (the action plan is due
    # 10 working days after it): provisional again, its points still at risk, listed
    now = {i["key"]: i for i in after["indicators"]}
    assert all(now[k]["pending_until"] for k in changed), changed
    assert round(after["total"] - before["total"], 2) == 35 + sum(changed.values())
    found, _part = risks(get(web, "aida", "/score/AK?year=2026"))
    assert not any(k == "1.2.3" and c == str(note) for k, _d, c, _p, _o, _t in found)
    assert all(any(k == key for k, *_rest in found) for key in changed)


def _random_years_world(departments: int):
    """(the day, an akimat with `departments` departments, a district with one and a
    quasi-state company, every kind of step a stage may be at) for the random years below."""
    from datetime import date

    from workflow.scorecard import rules as sc

    tree = (sc.Org("AK", "akimat"),
            *(sc.Org(f"D{i}", "department", "AK") for i in range(departments)),
            sc.Org("R1", "district_akimat", "AK"), sc.Org("R1-D1", "department", "R1"),
            sc.Org("Q1", "quasi_state", "AK"))
    kinds = (sc.Step(done=True), sc.Step(done=True, unlinked=True),
             sc.Step(done=True, missing=("telegram",)), sc.Step(open=True, due=date(2026, 10, 1)),
             sc.Step(open=True, due=date(2026, 12, 28)), sc.Step(open=True), sc.NO_STEP)
    return date(2026, 12, 15), tree, kinds


def test_stages_alike_are_worth_what_each_evaluation_says():
    """The points of each open stage, computed once for stages alike, equal the evaluation's
    own difference for every stage, over random years of analyses."""
    import random
    from datetime import date

    from workflow.scorecard import rules as sc
    from workflow.scorecard.service import ROLE_OF, _analysis_risks, _open, _stage_worth

    today, tree, kinds = _random_years_world(4)
    settings = sc.ScoreSettings()
    rng = random.Random(7)
    worth = set()
    for _year in range(25):
        analyses = tuple(sc.AnalysisFacts(
            id=n, subject=rng.choice(("AK", "AK", "D0", "R1")),
            object=rng.choice(("D0", "D1", "D2", "D3", "R1", "R1-D1", "Q1")),
            start=date(2026, 3, 1), cancelled=rng.random() < 0.1,
            steps={r: rng.choice(kinds) for r in dict.fromkeys(ROLE_OF.values())})
            for n in range(1, rng.randint(2, 12)))
        facts = sc.SubjectFacts("AK", "akimat", 2026, today, tree, analyses)
        got = {(r["case"], r["stage"]): r["points"]
               for r in _analysis_risks(facts, settings, "irr", {v: v for v in ROLE_OF.values()})}
        want = {}
        for a in analyses:
            for role in dict.fromkeys(ROLE_OF.values()):
                if _open(a.step(role)):
                    points, keys = _stage_worth(facts, settings, a.id, role, a.step(role))
                    if keys:
                        want[(a.id, role)] = points
        assert got == want
        worth |= set(want.values())
    assert len(worth) >= 4  # stages worth different points, some of them nothing (not listed)


def test_register_cases_alike_are_worth_what_each_evaluation_says():
    """A register case's points, computed once for cases alike, equal the evaluation's own
    difference for every case."""
    from datetime import date

    from workflow.registers.entries import CaseRow, Entry, Record, RecordRow
    from workflow.scorecard import evaluation as ev
    from workflow.scorecard import rules as sc
    from workflow.scorecard.catalogue import catalogue
    from workflow.scorecard.service import _entry_risks, _entry_worth

    today, end = date(2026, 12, 15), date(2026, 12, 31)
    tree = (sc.Org("AK", "akimat"), sc.Org("D1", "department", "AK"))
    settings = sc.ScoreSettings()

    def entry(n: int, indicator: str, counted: str, due: date | None, stage: str,
              **values: str) -> Entry:
        row = CaseRow(id=n, process="p", process_version=1, subject_id=1, org="AK",
                      state="open", fields={}, given={}, period=None,
                      case_date=date(2026, 5, 1), created_on=date(2026, 5, 1),
                      stage_status=stage, stage_due=due)
        return Entry(register="p", indicator=indicator, org="AK", first_year=2026,
                     last_year=2026, counted=counted, due=due, values=values, case=row,
                     records=(Record(date(2026, 5, 2), {}, RecordRow(n, "e", date(2026, 5, 2),
                                                                     {})),))

    cases = [entry(1, "2.3.1", "pending", date(2026, 12, 20), "open", independent="yes"),
             entry(2, "2.3.1", "pending", date(2026, 12, 28), "open", independent="yes"),
             entry(3, "2.3.1", "pending", date(2026, 12, 20), "open", independent="no"),
             entry(4, "2.3.1", "missing", date(2026, 11, 2), "open", independent="yes"),
             entry(5, "2.3.2", "missing", date(2026, 11, 2), "open", independent="yes"),
             entry(6, "2.3.1", "done", None, "done_on_time", independent="yes")]

    def evaluate(entries, only=None, kept=None, apart=()):
        return ev.evaluate("AK", "akimat", tree, 2026, today, entries, settings, catalogue(),
                           None, only, kept, apart)

    def whole(entries, only=None):  # every indicator, whatever the case feeds
        return evaluate(entries)

    listed = ev.behind("AK", "akimat", tree, 2026, today, cases, settings, catalogue(), None)
    got = {r["case"]: r["points"] for r in _entry_risks(listed, evaluate, cases,
                                                        {"p": "stage"}, today, end)}
    want = {}
    for e in cases[:5]:
        points, keys = _entry_worth(evaluate, cases, e.case.id, e.counted == "missing")
        # the indicators the case feeds alone are worth what the whole evaluation says
        assert (points, keys) == _entry_worth(whole, cases, e.case.id, e.counted == "missing")
        if keys:
            want[e.case.id] = points
    assert got == want and got[1] == got[2] == got[4] > 0 and 3 not in got


def test_a_stage_is_worth_the_whole_scores_difference():
    """What a stage is worth, from the indicators that read its role alone, is the difference
    of the whole score (every indicator) with the stage done and never done, over random
    years of analyses with subordinate bodies and cartogram sections."""
    import random
    from datetime import date

    from workflow.scorecard import rules as sc
    from workflow.scorecard.service import (
        ROLE_OF,
        _difference,
        _open,
        _points_by_key,
        _stage_worth,
        _with_step,
    )

    today, tree, kinds = _random_years_world(3)
    settings = sc.ScoreSettings()
    rng = random.Random(11)
    compared = worth = 0
    for _year in range(30):
        analyses = tuple(sc.AnalysisFacts(
            id=n, subject=rng.choice(("AK", "AK", "D0", "R1")),
            object=rng.choice(("D0", "D1", "D2", "R1", "R1-D1", "Q1")),
            start=date(2026, 3, 1), cancelled=rng.random() < 0.1,
            steps={r: rng.choice(kinds) for r in sc.STEP_ROLES})
            for n in range(1, rng.randint(2, 10)))
        facts = sc.SubjectFacts("AK", "akimat", 2026, today, tree, analyses,
                                schedule_approved=rng.random() < 0.5, cartogram_recorded=True)
        for a in analyses:
            for role in (*dict.fromkeys(ROLE_OF.values()), sc.CARTOGRAM_ROLE):
                step = a.step(role)
                if not _open(step):
                    continue
                done = sc.score(_with_step(facts, a.id, role, sc.Step(done=True, due=step.due)),
                                settings)["indicators"]
                missed = sc.score(_with_step(facts, a.id, role, sc.NO_STEP),
                                  settings)["indicators"]
                whole = _difference(_points_by_key(done), _points_by_key(missed))
                assert _stage_worth(facts, settings, a.id, role, step) == whole, (a, role)
                compared += 1
                worth += whole[0] != 0
    assert compared > 100 and worth > 20


def test_register_cases_of_organisations_taken_in_are_worth_what_each_evaluation_says():
    """At a subject that takes in its subdivisions (an akimat: projects No. 2's acts and facts
    and project No. 4's trained staff of every department), a case's points, computed once
    for cases alike in different departments, equal the evaluation's own difference for
    every case: random acts with random offences, facts detected independently or not,
    figures of staff, done, pending or overdue, some departments with two entries, some with
    a headcount of their own, the subject's own among them."""
    import random
    from datetime import date

    from workflow.registers.entries import CaseRow, Entry, Record, RecordRow
    from workflow.registers.scope import members
    from workflow.scorecard import evaluation as ev
    from workflow.scorecard import rules as sc
    from workflow.scorecard.catalogue import catalogue
    from workflow.scorecard.service import _entry_risks, _entry_worth

    today, end = date(2026, 12, 15), date(2026, 12, 31)
    departments = [f"D{i}" for i in range(12)]
    rng = random.Random(5)
    tree = (sc.Org("AK", "akimat", None, 30), *(sc.Org(d, "department", "AK", rng.choice((10, 20, 40)))
                                      for d in departments))
    settings = sc.ScoreSettings()
    states = (("pending", date(2026, 12, 20), "open"), ("pending", date(2026, 12, 28), "open"),
              ("missing", date(2026, 11, 2), "open"), ("done", None, "done_on_time"))

    def entry(n: int, org: str, indicator: str, **values: str) -> Entry:
        counted, due, stage = rng.choice(states)
        row = CaseRow(id=n, process="p", process_version=1, subject_id=1, org=org,
                      state="open", fields={}, given={}, period=None,
                      case_date=date(2026, 5, 1), created_on=date(2026, 5, 1),
                      stage_status=stage, stage_due=due)
        records = tuple(Record(date(2026, 5, 2), {"category": rng.choice(
            ("administrative", "criminal", "discrediting"))}, RecordRow(n, "e", date(2026, 5, 2), {}))
            for _ in range(rng.choice((0, 1, 3, 8, 30))))
        return Entry(register="p", indicator=indicator, org=org, first_year=2026,
                     last_year=2026, counted=counted, due=due, values=values, case=row,
                     records=records)

    for _round in range(4):
        cases = []
        for org in ("AK", *departments):
            for _ in range(rng.choice((1, 1, 2))):
                cases.append(entry(len(cases) + 1, org, "2.2.1"))
            cases.append(entry(len(cases) + 1, org, "2.3.1",
                               independent=rng.choice(("yes", "no"))))
            for _ in range(rng.choice((0, 1, 1, 2))):
                cases.append(entry(len(cases) + 1, org, "4.2.1",
                                   numerator=str(rng.choice((2, 4))), denominator="50"))
            cases.append(entry(len(cases) + 1, org, "4.2.3"))  # its records count
            cases.append(entry(len(cases) + 1, org, "2.5.4"))  # the subject's own report
            cases.append(entry(len(cases) + 1, org, "4.3.1"))  # the subject's own, others' events
        taken = members("AK", "akimat", tree, settings.consolidating_kinds)
        assert set(departments) <= set(taken)
        tree_members = {o.code: (o.kind, o.headcount) for o in tree if o.code in taken}

        def evaluate(entries, only=None, kept=None, apart=()):
            return ev.evaluate("AK", "akimat", tree, 2026, today, entries, settings,
                               catalogue(), None, only, kept, apart)

        listed = ev.behind("AK", "akimat", tree, 2026, today, cases, settings, catalogue(),
                           None)
        got = {r["case"]: r["points"] for r in _entry_risks(
            listed, evaluate, cases, {"p": "stage"}, today, end, "AK", tree_members)}
        want = {}
        for e in cases:
            if e.counted == "done":
                continue
            points, keys = _entry_worth(evaluate, cases, e.case.id, e.counted == "missing")
            if keys:
                want[e.case.id] = points
        assert got == want
        assert len(set(want.values())) >= 2

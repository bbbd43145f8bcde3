"""The day an entry was typed in is merzim's today (`MERZIM_TODAY`, the services' today), not
the wall clock of the machine: a fact of 2026 typed in once merzim's today is in 2027 is
"entered late" in the score's inputs and words, whatever the clock said; one typed in within
2026 is not, even when the clock is already in 2027 (a rehearsal run ahead of time). Through
the command line (`case open`, `record`) and a register import (`case import`); every case
and record row keeps the day it was typed in. On each backend."""

from __future__ import annotations

import json
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.features import installed, module_of, needs
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.services import obligations
from workflow.storage.db import make_engine
from workflow.storage.db import session as open_session
from workflow.storage.models import Case, EventRecord, Organisation

LATE = "2027-02-10"  # merzim's today after 2026's end
WITHIN = "2026-12-15"  # merzim's today within 2026
CLOCK_WITHIN = "2026-12-01 06:00:00"  # a wall clock within 2026
CLOCK_LATE = "2027-02-20 06:00:00"  # a wall clock after 2026's end
REGISTRY = load_registry()


@pytest.fixture
def cli(merzim_db):
    def run(*args: str, today: str, clock: str, json_out: bool = True):
        with freeze_time(clock):  # the wall clock, on purpose not merzim's today
            result = merzim_db(*args, *(("--json",) if json_out else ()), today=today)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return json.loads(result.stdout) if json_out else result.stdout
    assert merzim_db("init").returncode == 0
    for code, kind, parent in (("MF", "central_body", None), ("MJ", "central_body", None),
                               ("Q1", "quasi_state", "MF"), ("Q2", "quasi_state", "MJ")):
        run("org", "add", code, "--name", code, "--kind", kind,
            *(("--parent", parent) if parent else ()), json_out=False, today="2024-01-10",
            clock="2024-01-10 06:00:00")
    return run


def gift(cli, subject: str, today: str, clock: str) -> int:
    """An independently detected gift not handed over (2.5.4), detected on 10 November 2026."""
    return cli("case", "open", "restriction_breach", "--subject", subject,
               "--person", "A. Person", "--position", "Specialist",
               "--field", "kind=reward_or_gift", "--field", "detected_independently=yes",
               "--date", "detected=2026-11-10", today=today, clock=clock)["id"]


def indicator(card, key: str) -> dict:
    return next(i for i in card["indicators"] if i["key"] == key)


def text_of(card, key: str) -> str:
    from workflow.scorecard.words import in_words

    words = in_words(card, Translator("en"))
    return next(i["text"] for i in words["indicators"] if i["key"] == key)


def score(cli, subject: str) -> dict:
    return cli("score", subject, "--year", "2026", today="2027-03-01", clock=CLOCK_LATE)


def at(day: date) -> svc.Context:
    """The services' context on merzim's today `day`."""
    return svc.Context(KazakhstanCalendar(), REGISTRY, day, actor="test", language="en")


def typed_days(url: str) -> dict[str, tuple[set[str], set[str]]]:
    """Each organisation's days its cases and its records were typed in."""
    engine = make_engine(url)
    out: dict[str, tuple[set[str], set[str]]] = {}
    try:
        with engine.connect() as conn:
            for code, case_day, record_day in conn.execute(
                    select(Organisation.code, Case.typed_on, EventRecord.typed_on)
                    .join(Case, Case.subject_id == Organisation.id)
                    .outerjoin(EventRecord, EventRecord.case_id == Case.id)):
                cases, records = out.setdefault(code, (set(), set()))
                cases.add(str(case_day))
                records.add(str(record_day))
    finally:
        engine.dispose()
    return out


@needs("scorecard")  # read back in the score
def test_a_case_typed_in_after_the_year_is_entered_late_by_merzims_today(cli):
    """MF's gift typed in on merzim's 10 February 2027 (the clock still in 2026): entered
    late; MJ's typed in on merzim's 15 December 2026 (the clock already in 2027): not."""
    gift(cli, "MF", LATE, CLOCK_WITHIN)
    gift(cli, "MJ", WITHIN, CLOCK_LATE)

    late = score(cli, "MF")
    assert indicator(late, "2.5.4")["points"] == 3  # counted in 2026 all the same (B-17)
    assert indicator(late, "2.5.4")["inputs"]["entered_late"] == 1
    assert "entered after the year's end: 1" in text_of(late, "2.5.4")

    in_time = score(cli, "MJ")
    assert indicator(in_time, "2.5.4")["points"] == 3
    assert "entered_late" not in indicator(in_time, "2.5.4")["inputs"]
    assert "entered after the year's end" not in text_of(in_time, "2.5.4")


@needs("scorecard")
def test_a_record_typed_in_after_the_year_is_entered_late_by_merzims_today(cli):
    """A regulation approved on 10 November 2026 (3.2.1), its case opened in March 2026: Q1's
    approval recorded on merzim's 10 February 2027 is entered late; Q2's recorded on merzim's
    15 December 2026 is not, whatever the clock said."""
    for entity, today, clock in (("Q1", LATE, CLOCK_WITHIN), ("Q2", WITHIN, CLOCK_LATE)):
        case = cli("case", "open", "compliance_regulation", "--subject", entity,
                   today="2026-03-02", clock="2026-03-02 06:00:00")["id"]
        cli("record", str(case), "document_approved", "--date", "2026-11-10",
            "--number", "7", today=today, clock=clock)

    late = score(cli, "MF")
    assert indicator(late, "3.2.1")["inputs"]["done"] == 1
    assert indicator(late, "3.2.1")["inputs"]["entered_late"] == 1
    assert "entered after the year's end: 1" in text_of(late, "3.2.1")

    in_time = score(cli, "MJ")
    assert indicator(in_time, "3.2.1")["inputs"]["done"] == 1
    assert "entered_late" not in indicator(in_time, "3.2.1")["inputs"]
    assert "entered after the year's end" not in text_of(in_time, "3.2.1")


@needs("scorecard")
def test_an_imported_entry_is_entered_late_by_merzims_today(cli, tmp_path, db_url):
    """A register file imported on merzim's 10 February 2027 (the clock in 2026): its gift is
    entered late; imported on merzim's 15 December 2026 (the clock in 2027): not. Every case
    and record row keeps merzim's today of its import."""
    rows = ("subject,person,position,kind,detected_independently,detected,event,on,number\n"
            "{org},A. Person,Specialist,reward_or_gift,yes,2026-11-10,measures_taken,"
            "2026-11-20,12\n")
    late_file = tmp_path / "late.csv"
    late_file.write_text(rows.format(org="MF"), encoding="utf-8")
    in_time_file = tmp_path / "in_time.csv"
    in_time_file.write_text(rows.format(org="MJ"), encoding="utf-8")
    cli("case", "import", "restriction_breach", str(late_file), today=LATE, clock=CLOCK_WITHIN)
    cli("case", "import", "restriction_breach", str(in_time_file), today=WITHIN,
        clock=CLOCK_LATE)

    late = score(cli, "MF")
    assert indicator(late, "2.5.4")["inputs"]["entered_late"] == 1
    assert "entered after the year's end: 1" in text_of(late, "2.5.4")
    in_time = score(cli, "MJ")
    assert indicator(in_time, "2.5.4")["points"] == 3
    assert "entered_late" not in indicator(in_time, "2.5.4")["inputs"]
    assert typed_days(db_url) == {"MF": ({LATE}, {LATE}), "MJ": ({WITHIN}, {WITHIN})}


def test_every_way_a_case_or_record_is_made_keeps_merzims_today(db):
    """Opening, recording, a void, `open-linked`, the obligations' sync and the planned
    analyses' bulk each write their rows with the day merzim's today was, whatever the clock."""
    days = [date(2027, 1, 11 + i) for i in range(7)]
    opened, recorded, linked, voided, synced, planned, _ = days
    with freeze_time("2026-10-01 06:00:00"):  # the clock, never merzim's today here
        commit(db, lambda s: (svc.add_org(s, at(opened), "MF", "Ministry", "central_body"),
                              svc.add_user(s, at(opened), "asel", "Asel", "officer", "MF")))
        gift = commit(db, lambda s: svc.open_case(
            s, at(opened), "gift", "MF", person="E. Sadykov", position="Head of unit",
            dates={"received": date(2026, 12, 1)}).id)
        commit(db, lambda s: svc.record_event(s, at(recorded), gift, "not_handed_over",
                                              date(2026, 12, 20)))
        entry = commit(db, lambda s: svc.open_linked(
            s, at(linked), gift, fields={"detected_independently": "yes"}).id)
        commit(db, lambda s: svc.record_event(s, at(linked), entry, "measures_taken",
                                              date(2027, 1, 12), {"number": "5"}))
        commit(db, lambda s: svc.void_record(s, at(voided), entry, "measures_taken",
                                             "wrong order number"))
        before = commit(db, lambda s: {c.id for c in s.scalars(select(Case)).all()})
        assert commit(db, lambda s: obligations.sync(s, at(synced)))  # some were opened
        after_sync = commit(db, lambda s: {c.id for c in s.scalars(select(Case)).all()})
        if installed("planning"):  # the planned analyses' bulk is the planning feature's
            bulk = module_of("planning", "bulk")
            commit(db, lambda s: bulk.plan_analyses(
                s, at(planned), [bulk.AnalysisRow(2, "MF", "MF", date(2027, 3, 1))]))

    with open_session(db) as s:
        cases = {c.id: c for c in s.scalars(select(Case)).all()}
        records = s.scalars(select(EventRecord).order_by(EventRecord.id)).all()
    assert (cases[gift].typed_on, cases[entry].typed_on) == (opened, linked)
    assert [(r.event, r.kind, r.typed_on) for r in records] == [
        ("not_handed_over", "event", recorded), ("measures_taken", "event", linked),
        ("measures_taken", "void", voided)]
    assert {cases[i].typed_on for i in after_sync - before} == {synced}
    made_by_plan = set(cases) - after_sync
    if installed("planning"):
        assert made_by_plan and {cases[i].typed_on for i in made_by_plan} == {planned}

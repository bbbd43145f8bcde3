"""Entries linked before a procedure declared the day of its fact (B-27; services/link_follow.py
`carry_fact_days`, run when the schema is prepared: `merzim init`, `serve`, `worker`): a gift's
version 3 carried the outcome's day into the entry's day of detection, so a December gift
recorded in January counted in January's year. Stored that way, such an entry takes its
gift's day of receipt -- its year, its fact identity -- audited on both trails; a second run
changes nothing; an entry dated otherwise by hand is left alone; one whose fact HR's entry
already holds is left as it was and named. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from tests.support.bulk_helpers import commit
from tests.support.databases import dump_tables
from tests.support.fact_counts import counted, listed
from tests.support.features import needs
from tests.support.gift_world import BREACH, GIFT, PERSON, ctx_of
from workflow import services as svc
from workflow.i18n import Translator
from workflow.services import facts
from workflow.services.link_follow import FOLLOW, carry_fact_days
from workflow.storage.db import session as open_session
from workflow.storage.models import Case

pytestmark = needs("scorecard")

DECEMBER = date(2026, 12, 10)  # the gift received
HR_TYPED = date(2026, 12, 15)  # the day HR detected it
JANUARY = date(2027, 1, 14)  # the outcome: not handed over
LATER = date(2027, 1, 25)  # the day the upgrade runs


def ctx():
    return ctx_of(LATER)


@pytest.fixture
def linked(db) -> tuple[int, int]:
    """(the gift's case, its entry) as version 3 left them: the entry detected on the day the
    outcome was recorded, its fact key of that year, its case_date that day."""
    def world(s):
        svc.add_org(s, ctx(), "MF", "Ministry of Finance", "central_body")
        svc.add_user(s, ctx(), "asel", "Asel", "officer", "MF")
        gift = svc.open_case(s, ctx(), GIFT, "MF", person=PERSON, position="Head of unit",
                             dates={"received": DECEMBER}).id
        svc.record_event(s, ctx(), gift, "not_handed_over", JANUARY)
        entry = svc.open_linked(s, ctx(), gift, fields={"detected_independently": "yes"}).id
        return gift, entry
    gift, entry = commit(db, world)
    _as_version_3_left_it(db, gift, entry)
    return gift, entry


def _as_version_3_left_it(db, gift: int, entry: int) -> None:
    """The stored state of an entry linked by version 3 (`carry = { detected = "on" }`),
    written past the services as an older merzim left it."""
    with open_session(db) as s:
        case = s.get(Case, entry)
        dates = {**(case.dates or {}), "detected": JANUARY.isoformat()}
        case.dates = dates
        key = facts.key_for(ctx().registry.get(BREACH), case)
        s.expunge_all()
        s.execute(text("UPDATE process_case SET process_version = 3 WHERE id = :g"), {"g": gift})
        s.execute(text("UPDATE process_case SET dates = :d, case_date = :c, fact_key = :k "
                       "WHERE id = :e"), {"d": json.dumps(dates), "c": JANUARY, "k": key,
                                          "e": entry})
        s.commit()


def _detected(db, entry: int) -> str:
    with open_session(db) as s:
        return s.get(Case, entry).dates["detected"]


def _follows(db, case_id: int) -> list[dict]:
    with open_session(db) as s:
        rows = s.execute(text("SELECT payload FROM audit_log WHERE action = :a AND entity = "
                              "'case' AND entity_id = :i"), {"a": FOLLOW, "i": str(case_id)})
        return [json.loads(r[0]) for r in rows]


def test_an_entry_linked_before_the_fact_day_counts_in_its_facts_year_after_the_upgrade(
        db, linked):
    gift, entry = linked
    # as stored: the December gift counts in January's year
    assert listed(db, 2027, LATER) == [entry]
    counted(db, 0, year=2026, today=LATER)

    done = commit(db, lambda s: carry_fact_days(s, ctx()))
    assert done.moved == (entry,) and done.held == ()
    assert _detected(db, entry) == DECEMBER.isoformat()
    counted(db, 1, year=2026, today=LATER)
    assert listed(db, 2027, LATER) == []
    with open_session(db) as s:
        moved = s.get(Case, entry)
        assert moved.case_date == DECEMBER
        assert moved.fact_key == facts.key_for(ctx().registry.get(BREACH), moved)
    (said,) = _follows(db, entry)
    assert said["old"]["dates"] == {"detected": JANUARY.isoformat()}
    assert said["new"]["dates"] == {"detected": DECEMBER.isoformat()}
    assert [p["other"] for p in _follows(db, gift)] == [entry]
    with open_session(db) as s:
        assert facts.verify(s, ctx()) == []

    # a second run changes nothing
    before = dump_tables(db)
    assert commit(db, lambda s: carry_fact_days(s, ctx())).moved == ()
    assert dump_tables(db) == before


def test_an_entry_dated_otherwise_by_hand_is_left_alone(db, linked):
    _gift, entry = linked
    with open_session(db) as s:
        s.execute(text("UPDATE process_case SET dates = :d WHERE id = :e"), {
            "d": json.dumps({**s.get(Case, entry).dates, "detected": "2027-01-05"}),
            "e": entry})
        s.commit()
    before = dump_tables(db)
    assert commit(db, lambda s: carry_fact_days(s, ctx())).moved == ()
    assert dump_tables(db) == before


def test_an_entry_whose_fact_hr_already_holds_is_left_as_it_was_and_named(db, linked):
    gift, entry = linked
    hand = commit(db, lambda s: svc.open_checked(
        s, ctx(), BREACH, "MF", person=PERSON,
        fields={"kind": "reward_or_gift", "detected_independently": "yes"},
        dates={"detected": HR_TYPED})).analysis.id
    before = dump_tables(db)
    done = commit(db, lambda s: carry_fact_days(s, ctx()))
    assert done.moved == () and done.held == ((entry, gift, hand),)
    assert dump_tables(db) == before
    assert _detected(db, entry) == JANUARY.isoformat()


def test_the_upgrade_carries_them_and_says_so(db, linked, merzim_db):
    """`merzim init` (the upgrade; `serve` and `worker` prepare the same way) carries them and
    says how many, in the reader's language; run again, it says nothing of them."""
    _gift, entry = linked
    for lang, n in (("ru", 1), ("kk", 0), ("en", 0)):
        done = merzim_db("init", today=LATER.isoformat(), lang=lang)
        assert done.returncode == 0, done.stderr
        said = Translator(lang).n("facts.carried", 1, ids=f"#{entry}")
        assert done.stdout.replace("\n", " ").count(said) == n, done.stdout
    counted(db, 1, year=2026, today=LATER)

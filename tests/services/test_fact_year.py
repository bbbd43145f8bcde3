"""The year of a procedure's fact (B-27; `[process] fact_day`, core/case_links.py
`_check_fact_day`, services/links.py `_carried`): an entry opened from, or linked to, a
procedure counts in the year its fact occurred -- the gift received -- not the day its outcome
was recorded. A gift received in December whose outcome is recorded in January counts once,
in December's year, whichever of HR's entry and the linked one came first; a definition whose
link carries another day into the register's counting date is refused when it loads. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.support.bulk_helpers import commit
from tests.support.databases import refused_unchanged
from tests.support.fact_counts import counted, listed
from tests.support.features import needs
from tests.support.gift_world import BREACH, GIFT, PERSON, ctx_of
from workflow import services as svc
from workflow.core.case_links import OUTCOME_DAY, check_target
from workflow.core.errors import DefinitionError
from workflow.i18n import Translator

pytestmark = needs("scorecard")

DECEMBER = date(2026, 12, 10)  # the gift received
HR_TYPED = date(2026, 12, 15)  # the day HR detected it
JANUARY = date(2027, 1, 14)  # the outcome: not handed over
LATER = date(2027, 1, 25)  # the day the officers work on


def ctx():
    return ctx_of(LATER)


@pytest.fixture
def gift(db) -> int:
    def world(s):
        svc.add_org(s, ctx(), "MF", "Ministry of Finance", "central_body")
        svc.add_user(s, ctx(), "asel", "Asel", "officer", "MF")
        return svc.open_case(s, ctx(), GIFT, "MF", person=PERSON, position="Head of unit",
                             dates={"received": DECEMBER}).id
    return commit(db, world)


def _typed(db) -> int:
    return commit(db, lambda s: svc.open_checked(
        s, ctx(), BREACH, "MF", person=PERSON,
        fields={"kind": "reward_or_gift", "detected_independently": "yes"},
        dates={"detected": HR_TYPED})).analysis.id


def _not_handed_over(db, gift: int) -> None:
    commit(db, lambda s: svc.record_event(s, ctx(), gift, "not_handed_over", JANUARY))


def test_the_definitions_declare_the_day_of_each_procedures_fact():
    registry = ctx().registry
    assert registry.get(GIFT).fact_day == "received"
    assert registry.get("conflict_of_interest").fact_day == "notified"
    assert registry.get("foreign_account").fact_day == "found"
    for key in (GIFT, "conflict_of_interest", "foreign_account"):
        for link in registry.get(key).links:
            if link.opens == BREACH:
                assert link.carry["detected"] == (registry.get(key).fact_day,), (key, link.on)


def test_a_link_carrying_the_outcomes_day_into_the_counting_date_is_refused():
    registry = ctx().registry
    gift_defn, breach = registry.get(GIFT), registry.get(BREACH)
    link = next(sp for sp in gift_defn.links if sp.on == "not_handed_over")
    with pytest.raises(DefinitionError) as refused:
        check_target(replace(link, carry={"detected": (OUTCOME_DAY,)}), gift_defn, breach,
                     "gift.toml: link 1")
    assert refused.value.labels["reason"] == "definition.reason.link_fact_day"
    for lang in ("kk", "ru", "en"):
        said = refused.value.render(Translator(lang))
        assert "fact_day = received" in said and "{" not in said, said
    with pytest.raises(DefinitionError):  # a procedure that declares no fact day
        check_target(link, replace(gift_defn, fact_day=None), breach, "gift.toml: link 1")


def test_the_linked_entry_of_a_december_gift_counts_in_december_s_year(db, gift):
    _not_handed_over(db, gift)
    entry = commit(db, lambda s: svc.open_linked(
        s, ctx(), gift, fields={"detected_independently": "yes"}).id)
    with _session(db) as s:
        assert svc.get_case(s, entry).given()["detected"] == DECEMBER
    counted(db, 1, year=2026, today=LATER)
    assert listed(db, 2027, LATER) == []
    # HR types it afterwards with the day she detected it: the same fact
    refused = refused_unchanged(db, lambda s: svc.open_checked(
        s, ctx(), BREACH, "MF", person=PERSON,
        fields={"kind": "reward_or_gift", "detected_independently": "yes"},
        dates={"detected": HR_TYPED}))
    assert (refused.key, refused.params["id"]) == ("rule.duplicate_case", entry)
    counted(db, 1, year=2026, today=LATER)


def test_hr_s_december_entry_is_the_january_outcome_s_fact(db, gift):
    hand = _typed(db)
    _not_handed_over(db, gift)
    with _session(db) as s:
        (offer,) = svc.offers(s, ctx(), svc.get_case(s, gift))
        assert offer.same == (hand,)
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx(), gift))
    assert (refused.key, refused.params["entry"]) == ("rule.link_duplicate", hand)
    assert commit(db, lambda s: svc.open_linked(s, ctx(), gift, link_to=hand).id) == hand
    counted(db, 1, year=2026, today=LATER)
    assert listed(db, 2027, LATER) == []


def _session(db):
    from workflow.storage.db import session as open_session

    return open_session(db)

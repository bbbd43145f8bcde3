"""One fact once, enforced by the database (B-23, P-22; workflow/core/facts.py,
services/facts.py, migration 0028): a register entry carries the identity of the fact it
records (the procedure's case that opened it; organisation, person, kind and counting year)
under partial unique indexes over standing entries.

* Restoring in any order never doubles a gift: withdraw the entry, open it again from the
  gift, withdraw the gift, restore the entry (refused: the other stands), restore the gift.
* A repeat is the same organisation, person (case, spacing and punctuation aside), kind and
  counting year, whatever the dates typed (HR types the day detected, the outcome's entry
  carries the outcome's day): refused or offered on the service, the CLI, the API and the
  register import; a second stands with a reason.
* The database itself refuses a second standing entry written past the services.

Each scenario leaves the fact counted once in the score (when installed), appendix 2 (when
the forms are), the national input and the register list. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from tests.support.bulk_helpers import commit
from tests.support.databases import refused_unchanged
from tests.support.fact_counts import counted, listed, opened, typed
from tests.support.features import needs
from tests.support.gift_world import BREACH, NOT_HANDED, PERSON, RECEIVED, ctx_of, not_handed_over
from workflow import services as svc
from workflow.core.facts import FactRule, person_key
from workflow.i18n import Translator
from workflow.storage.db import session as open_session
from workflow.storage.models import Case

# a register's kinds and counting year are the scorecard's tables (registers/spec): without
# it a breach has no typed identity, only its procedure's (fact_source)
pytestmark = needs("scorecard")

# -- the identity ------------------------------------------------------------------------------


@pytest.mark.unit
def test_a_person_is_compared_without_case_spacing_or_punctuation():
    assert person_key(" Erlan  SADYKOV.") == person_key("erlan sadykov") == "erlansadykov"
    assert person_key("Ахметов А.Б.") == person_key("ахметов  а б")
    assert person_key("Erlan Sadykov") != person_key("Erlan Sadykova")
    rule = FactRule.of(ctx_of().registry.get(BREACH))
    assert rule is not None and (rule.year_of, rule.kind) == ("detected", "kind")
    fact = rule.fact("Erlan Sadykov", {"kind": "reward_or_gift"}, {"detected": RECEIVED})
    assert fact == rule.fact("erlan  sadykov", {"kind": "reward_or_gift"},
                             {"detected": "2026-12-31"}) == "erlansadykov|reward_or_gift|2026"
    # registers whose year is not known when an entry is typed have none (the notice's letter)
    assert FactRule.of(ctx_of().registry.get("offence_notice")) is None


# -- restoring in another order ----------------------------------------------------------------


def _opened_again(db, gift: int) -> tuple[int, int]:
    """The gift recorded as not handed over, its linked entry opened and withdrawn ("opened by
    mistake"), and opened again: (the withdrawn entry, the standing one)."""
    not_handed_over(db, gift)
    first = opened(db, gift)
    commit(db, lambda s: svc.withdraw_case(s, ctx_of(), first, "opened by mistake"))
    return first, opened(db, gift)


def test_restoring_in_another_order_does_not_double_a_gift(db, ids):
    ctx, gift = ctx_of(), ids["gift"]
    first, second = _opened_again(db, gift)
    commit(db, lambda s: svc.withdraw_case(s, ctx, gift, "the wrong person"))
    counted(db, 1)  # the second entry stands by itself
    refused = refused_unchanged(db, lambda s: svc.restore_case(s, ctx, first, "it was right"))
    assert (refused.key, refused.params["entry"]) == ("rule.fact_standing", second)
    text = refused.render(Translator("ru"))
    assert f"№{second}" in text and "--duplicate-reason" in text
    assert f"№{second}" in refused.render(Translator("kk"))
    commit(db, lambda s: svc.restore_case(s, ctx, gift, "the right person after all"))
    counted(db, 1)
    assert listed(db) == [second]


def test_restoring_both_after_withdrawing_both_leaves_one(db, ids):
    ctx, gift = ctx_of(), ids["gift"]
    first, second = _opened_again(db, gift)
    commit(db, lambda s: svc.withdraw_case(s, ctx, gift, "wrong", with_linked=True))
    counted(db, 0)
    commit(db, lambda s: svc.restore_case(s, ctx, first, "it was right"))
    commit(db, lambda s: svc.restore_case(s, ctx, gift, "it was right"))
    counted(db, 1)
    refused = refused_unchanged(db, lambda s: svc.restore_case(s, ctx, second, "this one too"))
    assert (refused.key, refused.params["other"]) == ("rule.restore_linked_elsewhere", first)
    counted(db, 1)


# -- a repeat, whatever the dates typed --------------------------------------------------------


def test_an_entry_typed_with_the_day_detected_is_the_outcomes_fact(db, ids):
    ctx, gift = ctx_of(), ids["gift"]
    hand = typed(db, person="erlan  SADYKOV.").analysis.id  # the day received, not the outcome's
    not_handed_over(db, gift)
    with open_session(db) as s:
        (offer,) = svc.offers(s, ctx, svc.get_case(s, gift))
        assert offer.same == (hand,)
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, gift))
    assert (refused.key, refused.params["entry"]) == ("rule.link_duplicate", hand)
    counted(db, 1)
    assert commit(db, lambda s: svc.open_linked(s, ctx, gift, link_to=hand).id) == hand
    counted(db, 1)


def test_an_entry_typed_after_the_outcomes_is_a_repeat_and_a_second_needs_a_reason(db, ids):
    ctx, gift = ctx_of(), ids["gift"]
    not_handed_over(db, gift)
    entry = opened(db, gift)
    refused = refused_unchanged(db, lambda s: svc.open_checked(
        s, ctx, BREACH, "MF", person="Erlan Sadykov",
        fields={"kind": "reward_or_gift", "detected_independently": "no"},
        dates={"detected": date(2026, 1, 12)}))
    assert (refused.key, refused.params["id"]) == ("rule.duplicate_case", entry)
    counted(db, 1)
    # another year is another fact; a second with a reason stands beside it
    other_year = typed(db, detected=date(2025, 12, 20)).analysis.id
    second = typed(db, detected=date(2026, 1, 12), reason="a second gift, from another giver")
    assert second.warnings[0]["duplicate_of"] == [entry]
    assert other_year not in listed(db)
    assert listed(db) == [entry, second.analysis.id]
    # the same second again is refused by its reason
    refused = refused_unchanged(db, lambda s: svc.open_case(
        s, ctx, BREACH, "MF", person="Erlan Sadykov", fields={"kind": "reward_or_gift"},
        dates={"detected": date(2026, 2, 1)}, fact_reason="a second gift, from another giver"))
    assert (refused.key, refused.params["entry"]) == ("rule.fact_standing", second.analysis.id)


def test_a_second_opened_from_another_gift_of_that_year_needs_a_reason(db, ids):
    ctx, gift = ctx_of(), ids["gift"]
    not_handed_over(db, gift)
    entry = opened(db, gift)
    other = commit(db, lambda s: svc.open_case(s, ctx, "gift", "MF", person=PERSON,
                                               dates={"received": date(2026, 2, 9)}).id)
    commit(db, lambda s: svc.record_event(s, ctx, other, "not_handed_over", NOT_HANDED))
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, other))
    assert (refused.key, refused.params["entry"]) == ("rule.fact_standing", entry)
    second = commit(db, lambda s: svc.open_linked(
        s, ctx, other, duplicate_reason="another gift, from another giver").id)
    assert sorted(listed(db)) == sorted([entry, second])


def test_the_register_import_recognises_the_repeat_whatever_its_date(db, ids):
    from workflow.core.errors import MerzimError
    from workflow.imports import registers as register_import

    ctx, gift = ctx_of(), ids["gift"]
    not_handed_over(db, gift)
    entry = opened(db, gift)
    row = {"subject": "MF", "person": "ERLAN SADYKOV", "kind": "reward_or_gift",
           "detected": "2026-01-28", "detected_independently": "yes"}
    refused = refused_unchanged(db, lambda s: register_import.import_file(s, ctx, BREACH, [row]),
                                MerzimError)
    assert f"#{entry}" in str(refused) or entry in getattr(
        getattr(refused, "refused", [None])[0], "error", refused).params.values()
    counted(db, 1)


def test_the_cli_refuses_the_repeat_typed_with_another_day(db, ids, cli):
    code, _out, err = cli("record", str(ids["gift"]), "not_handed_over", "--date",
                          NOT_HANDED.isoformat())
    assert code == 0, err
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--json")
    assert code == 0, err
    entry = json.loads(out)["id"]
    code, out, err = cli("case", "open", BREACH, "--subject", "MF", "--person", "Erlan Sadykov.",
                         "--field", "kind=reward_or_gift", "--date",
                         f"detected={RECEIVED.isoformat()}")
    assert code != 0 and f"#{entry}" in err and "Traceback" not in err
    counted(db, 1, points=0)  # (not said to be detected independently)


# -- past the services -------------------------------------------------------------------------


def test_the_database_refuses_a_second_standing_entry_written_past_the_services(db, ids):
    gift = ids["gift"]
    first, second = _opened_again(db, gift)
    with open_session(db) as s:
        row = s.get(Case, second)
        assert row.fact_source == gift and row.fact_key
        assert row.fact_key.endswith("|erlansadykov|reward_or_gift|2026")
        values = {k: v for k, v in row.model_dump().items() if k != "id"}
        copy = Case(**values)
        copy.fact_source = None
        s.add(copy)  # the same fact typed again, past the duplicate rule
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        copy = Case(**values)
        copy.fact_key = None
        s.add(copy)  # a second entry of the same gift's case
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        with pytest.raises(IntegrityError):  # the first restored past restore_case
            s.execute(update(Case).where(Case.id == first).values(withdrawn_at=None))
            s.commit()
        s.rollback()
        # a withdrawn copy is no standing entry: the database takes it (written as a
        # statement: through the ORM a case written with no audit record is refused,
        # storage/audited.py)
        s.execute(insert(Case).values(**{**values,
                                         "withdrawn_at": "2026-03-02T10:00:00+00:00"}))
        s.commit()
    counted(db, 1)

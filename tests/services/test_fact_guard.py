"""The database holds the fact key itself (B-23, B-26; migration 0038, services/facts.py
`verify` and `check_restore`): a direct write of a second entry of one fact with its key
empty or not of its organisation is refused by the database (a CHECK constraint on
PostgreSQL, triggers on SQLite); one with its key left NULL, altered, or its person renamed is
named by `merzim audit verify`, which computes every standing entry's key again by the one
normaliser; a withdrawn second is not restored beside a second typed again, whatever the
reasons' words. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from tests.support.bulk_helpers import commit
from tests.support.databases import refused_unchanged
from tests.support.fact_counts import counted, listed, opened, typed
from tests.support.features import needs
from tests.support.gift_world import ctx_of, not_handed_over
from workflow import services as svc
from workflow.storage.db import session as open_session
from workflow.storage.models import Case

pytestmark = needs("scorecard")


def _copy(db, entry: int, **changed) -> int:
    """A copy of the entry written straight into the table, past the services (and past the
    session's audit guard: a statement, not an object, as a hand-edit of the table would be)."""
    with open_session(db) as s:
        values = {k: v for k, v in s.get(Case, entry).model_dump().items() if k != "id"}
        copy = s.execute(insert(Case).values(**{**values, **changed})
                         .returning(Case.id)).scalar_one()  # type: ignore[arg-type]
        s.commit()
        return int(copy)


def _verify(cli) -> tuple[int, dict, str]:
    code, out, err = cli("audit", "verify", "--json")
    return code, json.loads(out) if out.strip() else {}, err


@pytest.mark.parametrize("key", ["", "999|erlansadykov|reward_or_gift|2026"])
def test_the_database_refuses_a_key_empty_or_of_another_organisation(db, ids, key):
    entry = typed(db).analysis.id
    with open_session(db) as s:
        values = {k: v for k, v in s.get(Case, entry).model_dump().items() if k != "id"}
        s.add(Case(**{**values, "fact_key": key}))
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        with pytest.raises(IntegrityError):
            s.execute(update(Case).where(Case.id == entry).values(fact_key=key))
            s.commit()
        s.rollback()
    counted(db, 1)


def test_audit_verify_is_clean_on_entries_written_by_merzim(db, ids, cli):
    typed(db)
    not_handed_over(db, ids["gift"])
    code, found, err = _verify(cli)
    assert code == 0, err
    assert found["facts"] == [] and found["ok"] is True


def test_audit_verify_names_a_second_written_with_its_key_left_empty(db, ids, cli):
    entry = typed(db).analysis.id
    copy = _copy(db, entry, fact_key=None)
    code, found, err = _verify(cli)
    assert code != 0 and "Traceback" not in err
    named = {tuple(f["cases"]) for f in found["facts"]}
    assert (copy,) in named and (entry, copy) in named, found["facts"]
    for lang in ("ru", "kk"):
        code, out, err = cli("audit", "verify", lang=lang)
        assert code != 0 and f"#{entry}, #{copy}" in out + err, out + err


def test_audit_verify_names_an_altered_key_and_a_person_renamed(db, ids, cli):
    entry = typed(db).analysis.id
    with open_session(db) as s:
        key = s.get(Case, entry).fact_key
    altered = _copy(db, entry, fact_key=key.replace("erlansadykov", "erlan-sadykov"))
    renamed = typed(db, person="Aigerim Bekova").analysis.id
    with open_session(db) as s:
        s.execute(update(Case).where(Case.id == renamed).values(person_name="Erlan Sadykov"))
        s.commit()
    code, found, err = _verify(cli)
    assert code != 0, err
    named = {tuple(f["cases"]) for f in found["facts"]}
    assert {(altered,), (renamed,), (entry, altered, renamed)} <= named, found["facts"]


def test_a_withdrawn_second_is_not_restored_beside_a_second_typed_again(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    first = opened(db, ids["gift"])
    second = typed(db, reason="a second gift, from another giver").analysis.id
    commit(db, lambda s: svc.withdraw_case(s, ctx, second, "typed twice"))
    again = typed(db, reason="another gift: from a second giver").analysis.id
    assert listed(db) == [first, again]
    refused = refused_unchanged(db, lambda s: svc.restore_case(s, ctx, second, "it was right"))
    assert (refused.key, refused.params["entry"]) == ("rule.fact_standing", again)
    assert listed(db) == [first, again]

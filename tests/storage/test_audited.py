"""Nothing changes a stage behind the audit's back (workflow/kept/guard.py): a transaction
that writes a `Stage` or a `Case` row through the ORM commits only when it appended a record
naming that case, its organisation or every organisation; otherwise the commit raises and
nothing is stored. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.support.databases import dump_tables
from tests.support.gift_world import ctx_of
from workflow import services as svc
from workflow.kept import counts as kept
from workflow.kept.guard import Unaudited
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import COMMENT, HANDOVER, OPEN, Case, Organisation, Stage


@pytest.fixture
def world(db):
    """Two organisations, a gift case in each (their stages planned, audited)."""
    ctx = ctx_of(actor="cli:setup")
    with open_session(db) as s:
        svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
        svc.add_org(s, ctx, "MF-A", "Department A", "apparatus_department", "MF")
        first = svc.open_case(s, ctx, "gift", "MF", person="Erlan Sadykov", position="Head",
                              dates={"received": date(2026, 2, 2)})
        other = svc.open_case(s, ctx, "gift", "MF-A", person="Aliya Nurova", position="Head",
                              dates={"received": date(2026, 2, 3)})
        s.commit()
        return {"first": first.id, "other": other.id}


def _stage(s, case_id: int) -> Stage:
    return s.exec(select(Stage).where(Stage.case_id == case_id, Stage.status == OPEN)
                  .order_by(Stage.id)).first()


def test_a_stage_written_without_its_record_is_refused_and_nothing_stored(db, world):
    before = dump_tables(db)
    with open_session(db) as s:
        stage = _stage(s, world["first"])
        stage.due_date = date(2026, 12, 31)
        with pytest.raises(Unaudited, match=f"stage '{stage.key}' of case {world['first']}"):
            s.commit()
        s.rollback()
    assert dump_tables(db) == before
    with open_session(db) as s:  # a case's own row alike
        case = s.get(Case, world["first"])
        case.withdrawn_at = "2026-03-02T10:00:00+00:00"
        with pytest.raises(Unaudited, match=f"case {world['first']}"):
            s.commit()
        s.rollback()
    assert dump_tables(db) == before


def test_a_record_of_another_case_does_not_cover_a_stage(db, world):
    before = dump_tables(db)
    with open_session(db) as s:
        _stage(s, world["first"]).due_date = date(2026, 12, 31)
        audit.append(s, "test", "case.edit", "case", world["other"], {})
        with pytest.raises(Unaudited):
            s.commit()
        s.rollback()
    assert dump_tables(db) == before


@pytest.mark.parametrize("named", ["case", "organisation", "organisation_code", "everything"])
def test_a_record_naming_the_case_its_organisation_or_everything_lets_it_commit(db, world,
                                                                             named):
    with open_session(db) as s:
        stage = _stage(s, world["first"])
        stage.due_date = date(2026, 12, 31)
        org = s.exec(select(Organisation).where(Organisation.code == "MF")).one()
        entity, entity_id = {"case": ("case", world["first"]),
                             "organisation": ("organisation", org.id),
                             "organisation_code": ("organisation", "MF"),
                             "everything": ("obligation", "sync")}[named]
        audit.append(s, "test", "test.write", entity, entity_id, {})
        s.commit()
    with open_session(db) as s:
        assert _stage(s, world["first"]).due_date == date(2026, 12, 31)
        assert kept.differences(s) == []  # the counts moved with it


def test_a_comment_alone_covers_no_stage(db, world):
    """A record that changes no stage (a comment) does not name a stage written beside it."""
    with open_session(db) as s:
        _stage(s, world["first"]).due_date = date(2026, 12, 31)
        audit.append(s, "test", COMMENT, "case", world["first"], {})
        with pytest.raises(Unaudited):
            s.commit()
        s.rollback()


def test_what_a_rolled_back_savepoint_wrote_is_forgotten(db, world):
    with open_session(db) as s:
        with pytest.raises(RuntimeError, match="item refused"), s.begin_nested():
            _stage(s, world["first"]).due_date = date(2026, 12, 31)
            s.flush()
            raise RuntimeError("item refused")
        s.commit()  # nothing of the savepoint stands: nothing to name
    with open_session(db) as s:
        assert _stage(s, world["first"]).due_date != date(2026, 12, 31)


def test_the_services_writes_pass(db, world):
    """Recording, voiding and withdrawing through the services name their cases."""
    ctx = ctx_of()
    with open_session(db) as s:
        svc.record_event(s, ctx, world["first"], "not_handed_over", date(2026, 2, 16))
        svc.withdraw_case(s, ctx, world["other"], "opened by mistake")
        s.commit()
    with open_session(db) as s:
        assert kept.differences(s) == []


def test_a_hand_over_is_named_by_any_record_of_its_case(db, world):
    """Who answers for a case is no kept count's: the hand-over's own record names it."""
    with open_session(db) as s:
        svc.add_user(s, ctx_of(actor="cli:setup"), "dana", "Dana", "officer", "MF")
        s.commit()
    with open_session(db) as s:
        case = s.get(Case, world["first"])
        case.responsible_id = svc.get_user(s, "dana").id
        audit.append(s, "test", HANDOVER, "case", world["first"], {})
        s.commit()
    with open_session(db) as s:  # but the case's other columns need a record of a write
        case = s.get(Case, world["first"])
        case.withdrawn_at = "2026-03-02T10:00:00+00:00"
        audit.append(s, "test", HANDOVER, "case", world["first"], {})
        with pytest.raises(Unaudited):
            s.commit()
        s.rollback()


def test_a_row_set_to_the_values_it_had_is_not_written_and_needs_no_record(db, world):
    """The guard asks what a flush changes, not what was assigned: a stage or a case given
    its own values again writes nothing and commits without a record; a value that differs,
    even back and forth within the transaction, is refused when it stays different."""
    before = dump_tables(db)
    with open_session(db) as s:
        stage = _stage(s, world["first"])
        stage.due_date = date(stage.due_date.year, stage.due_date.month, stage.due_date.day)
        stage.status = OPEN
        case = s.get(Case, world["first"])
        case.person_name = str(case.person_name)
        case.fields = None if case.fields is None else dict(case.fields)
        s.commit()
    assert dump_tables(db) == before
    with open_session(db) as s:
        stage = _stage(s, world["first"])
        kept_due = stage.due_date
        stage.due_date = date(2026, 12, 31)
        s.flush()  # written, then set back: the second flush writes it again
        stage.due_date = kept_due
        with pytest.raises(Unaudited, match=f"stage '{stage.key}'"):
            s.commit()
        s.rollback()
    assert dump_tables(db) == before

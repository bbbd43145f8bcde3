"""The year so far opened twice at once (two writers on two nodes, one PostgreSQL database): the
officer and her manager both open a joining district's year so far, released together by a
barrier, with sessions of their own (`obligations.open_year_so_far`, what the web's "open the
year so far" and `merzim obligations sync --from --org` call), repeated. Each try ends with
one back-fill (each obligation's period opened once, as one writer alone opens it), neither
writer refused, one `obligations.sync` record and one `organisation.joined` record for the
district and one for its department, which joins with it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from calendars import KazakhstanCalendar
from tests.support.races import at_once, opened_for
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.services import obligations
from workflow.storage.models import AuditRecord, Case, Organisation

TRIES = 10
JOINED = date(2026, 7, 14)
CAL = KazakhstanCalendar()
REGISTRY = load_registry()


def ctx(actor: str = "test") -> svc.Context:
    return svc.Context(CAL, REGISTRY, JOINED, actor=actor, language="en")


def test_the_year_so_far_opened_twice_at_once_is_opened_once(db):
    if db.dialect.name != "postgresql":
        pytest.skip("a race of two writers on one PostgreSQL database")
    with Session(db) as s:
        svc.add_org(s, ctx(), "AK", "Region", "akimat", None)
        svc.add_org(s, ctx(), "AK-D0", "Alone", "district_akimat", "AK")
        # what one writer alone opens: the number each try must find
        alone = len(obligations.open_year_so_far(s, ctx(), "AK-D0", date(2026, 1, 1)))
        s.commit()
    assert alone > 20
    for n in range(1, TRIES + 1):
        code = f"AK-D{n}"
        with Session(db) as s:
            svc.add_org(s, ctx(), code, f"District {n}", "district_akimat", "AK")
            svc.add_org(s, ctx(), f"{code}-EDU", f"Department {n}", "district_department",
                        code)
            s.commit()
        def open_year(s, actor: str, code: str = code) -> None:
            obligations.open_year_so_far(s, ctx(actor), code, date(2026, 1, 1))
            s.commit()

        failed = at_once(db, [lambda s: open_year(s, "web:officer"),
                              lambda s: open_year(s, "web:manager")])
        assert failed == []
        with Session(db) as s:
            org, opened, periods = opened_for(s, code)
            joined = s.exec(select(func.count()).select_from(AuditRecord).where(
                AuditRecord.action == "organisation.joined",
                AuditRecord.entity_id == code)).one()
            synced = [r for r in s.exec(select(AuditRecord.payload).where(
                AuditRecord.action == "obligations.sync")) if f'"org":"{code}"' in r]
        assert (opened, periods) == (alone, alone), n
        assert org.joined_on == JOINED
        assert joined == 1, n
        with Session(db) as s:  # its department joined with it, once
            unit = s.exec(select(Organisation).where(Organisation.code == f"{code}-EDU")).one()
            unit_joined = s.exec(select(func.count()).select_from(AuditRecord).where(
                AuditRecord.action == "organisation.joined",
                AuditRecord.entity_id == f"{code}-EDU")).one()
            unit_cases = s.exec(select(func.count()).select_from(Case).where(
                Case.subject_id == unit.id)).one()
        assert unit.joined_on == JOINED and unit_joined == 1 and unit_cases > 0, n
        assert len(synced) == 1, synced

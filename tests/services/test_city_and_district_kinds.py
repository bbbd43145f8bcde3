"""The two kinds an office's list names that the tree had no word for: the akimat of a city of
republican significance gets every recurring obligation a regional akimat gets, and a district
akimat's department (отдел) every one a department gets (000:L59-61, L92-98;
workflow/core/kinds.py, COUNTS_AS), opened by the shipped definitions' real sync; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from calendars import KazakhstanCalendar
from workflow import services as svc
from workflow.core.kinds import COUNTS_AS, widened
from workflow.definitions import load_registry
from workflow.services import obligations

TODAY = date(2026, 3, 2)


def test_widened_adds_each_kind_that_counts_as_one_named():
    assert widened(("akimat",)) == ("akimat", "city_akimat")
    assert widened(("department", "district_akimat")) == (
        "department", "district_akimat", "district_department")
    assert widened(("central_body",)) == ("central_body",)
    assert set(COUNTS_AS) == {"city_akimat", "district_department"}


def test_a_city_akimat_and_a_district_department_get_what_their_kinds_get(db):
    registry = load_registry()
    ctx = svc.Context(KazakhstanCalendar(), registry, TODAY, actor="test", language="en")
    with Session(db) as s:
        svc.add_org(s, ctx, "OBL", "Region", "akimat")
        svc.add_org(s, ctx, "OBL-EDU", "Education department", "department", "OBL")
        svc.add_org(s, ctx, "CITY", "Akimat of the city", "city_akimat")
        svc.add_org(s, ctx, "CITY-D1", "District akimat", "district_akimat", "CITY")
        svc.add_org(s, ctx, "CITY-D1-EDU", "District education department",
                    "district_department", "CITY-D1")
        opened = obligations.sync(s, ctx)
        s.commit()

    def of(org: str) -> set[tuple[str, str]]:
        return {(o["process"], o["period"]) for o in opened if o["org"] == org}

    assert of("OBL") and of("OBL-EDU")
    assert of("CITY") == of("OBL")
    assert of("CITY-D1-EDU") == of("OBL-EDU")

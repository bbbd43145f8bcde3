"""Sheets of done work (B-25) as an office writes them, and what they leave recorded
(tests/imports/test_done_work_batches.py, tests/imports/test_done_work_race.py): the monthly
explanatory events with the ethics commissioner, whose event may be recorded many times a
month, one topic a row; and `district_cli`, the command line of a district's officer they are
imported by."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlmodel import Session, func, select

from calendars import KazakhstanCalendar
from tests.support.cli_runner import dated_cli, init_with_orgs
from workflow.definitions import load_registry
from workflow.storage.models import EVENT, Case, EventRecord, Organisation, Stage

ETHICS = "ethics_explanatory_event"  # monthly; its event may be recorded many times a month
JOINED = date(2026, 7, 14)
DISTRICT = "AK-D9"
CAL = KazakhstanCalendar()
REGISTRY = load_registry()
HEADER = ["subject", "event", "on", "topic", "audience", "commissioner"]


def sheet_rows(org: str, year: int, months: int, n: int) -> list[dict[str, str]]:
    """`n` events of `org` held in the first `months` months of `year`, each its own topic."""
    return [{"subject": org, "event": "event_held",
             "on": date(year, 1 + i % months, 1 + i % 28).isoformat(), "topic": f"Topic {i}",
             "audience": str(10 + i % 50), "commissioner": "A. Commissioner"}
            for i in range(n)]


def as_csv(rows: list[dict[str, str]]) -> bytes:
    lines = [",".join(HEADER), *(",".join(r[k] for k in HEADER) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


def written(tmp_path: Path, rows: list[dict[str, str]], name: str = "done.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def standing(eng, org: str) -> list[tuple]:
    """The standing events of the organisation's monthly cases: (case, day, topic), sorted
    (a row recorded twice would be there twice)."""
    with Session(eng) as s:
        found = s.exec(select(EventRecord.case_id, EventRecord.on, EventRecord.evidence).join(
            Case, Case.id == EventRecord.case_id).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == org, Case.process == ETHICS, EventRecord.kind == EVENT,
            EventRecord.voided_by_id.is_(None))).all()
    return sorted((c, on, (ev or {}).get("topic")) for c, on, ev in found)


def stages(eng, org: str) -> list[tuple]:
    with Session(eng) as s:
        return sorted(s.exec(select(Case.period, Stage.key, Stage.status, Stage.done_on).join(
            Case, Case.id == Stage.case_id).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == org, Case.process == ETHICS)).all())


def case_count(eng) -> int:
    with Session(eng) as s:
        return s.exec(select(func.count()).select_from(Case)).one()


def district_cli(merzim_db, *units: tuple[str, str, str, str]):
    """The command line on JOINED (`merzim_db`, today pinned) over the akimat AK, its district
    DISTRICT and `units` ((code, name, kind, parent) each), with aida, the district's officer,
    whose back-fill from 1 January opened her district's year (and its units')."""
    init_with_orgs(merzim_db, (("AK", "AK", "akimat", None),
                               (DISTRICT, "District nine", "district_akimat", "AK"), *units))
    run = dated_cli(merzim_db, JOINED.isoformat())
    code, _out, err = run("user", "add", "aida", "--name", "Aida", "--role", "officer", "--org",
                          DISTRICT, "--email", "aida@example.kz")
    assert code == 0, err
    run.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT, "--as", "aida")
    return run


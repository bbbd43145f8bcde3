"""The world and the rows of the register import's tests: three akimats of four departments
with their officers (the `codes` fixture: their codes), random rows of the restriction-breach
register, batches of 100 rows (the `small_batches` fixture) and an import interrupted in a batch,
or stopped after its first with its writer gone (tests/registers/test_register_bulk.py,
tests/registers/test_register_bulk_stored.py, tests/registers/test_analysis_register_bulk.py,
tests/imports/test_interrupted_truth.py, tests/services/test_import_hidden.py)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.imports import registers as ri
from workflow.storage.db import session as open_session
from workflow.storage.models import ImportPending

TODAY = date(2026, 6, 1)
SEED = 20261207
KINDS = ("incompatible_activity", "conflict_of_interest", "insider_information",
         "reward_or_gift", "foreign_account")
REGISTRY = load_registry()


def needed_by(kind: str) -> dict[str, str]:
    """The fields an entry of this kind requires besides the kind (000:L1108-1110, L1127-1129)."""
    return {"additional_activity": "Paid consulting" if kind == "incompatible_activity" else "",
            "circumstances": "A relative's company audited" if kind == "conflict_of_interest"
            else ""}


def context(today: date = TODAY, actor: str = "cli:importer") -> svc.Context:
    return svc.Context(KazakhstanCalendar(), REGISTRY, today, actor=actor, language="en")


def world(s, ctx) -> list[str]:
    """Three akimats of four departments; every department but the last of each has an
    officer (the last: a case with no responsible). The subjects' codes."""
    codes = []
    for a in range(3):
        akimat = f"AK{a}"
        svc.add_org(s, ctx, akimat, f"Akimat {a}", "akimat")
        svc.add_user(s, ctx, f"off-{akimat}", f"Officer {akimat}", "officer", akimat)
        codes.append(akimat)
        for d in range(4):
            dept = f"{akimat}-D{d}"
            svc.add_org(s, ctx, dept, f"Department {a}.{d}", "department", akimat)
            if d < 3:
                svc.add_user(s, ctx, f"off-{dept}", f"Officer {dept}", "officer", dept)
            codes.append(dept)
    return codes


def breach_rows(codes: list[str], n: int, seed: int = SEED) -> list[dict[str, str]]:
    """Random rows of the restriction-breach register: one in five names an event (measures
    taken, a gift handed over with its act, an entry cancelled), some name the officer; a
    cancelled entry is typed again below it (not a repeat: the first is cancelled)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for i in range(n):
        subject = rng.choice(codes)
        detected = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
        row = {"subject": subject, "person": f"Person {i}",
               "position": rng.choice(("Expert", "Chief expert", "")),
               "kind": (kind := rng.choice(KINDS)), "detected": detected.isoformat(),
               **needed_by(kind),
               "measures": rng.choice(("", "Reprimand")), "responsible": "",
               "event": "", "on": "", "receipt_act": "", "note": ""}
        if rng.random() < 0.1 and not subject.endswith("D3"):
            row["responsible"] = f"off-{subject}"
        roll = rng.random()
        if roll < 0.1:
            row.update(event="measures_taken",
                       on=(detected + timedelta(days=rng.randrange(30))).isoformat())
        elif roll < 0.15:
            row.update(event="gift_handed_over", on=detected.isoformat(),
                       receipt_act=f"AP-{i}")
        elif roll < 0.2:
            row.update(event="cancel", on=detected.isoformat(), note="Entered by mistake")
            rows.append(row)
            row = {**row, "event": "", "on": "", "note": ""}
        rows.append(row)
    return [r for r in rows if not (r["on"] and r["on"] > TODAY.isoformat())]


@pytest.fixture(name="codes")
def codes_fixture(db) -> list[str]:
    """The `codes` fixture: the small world written to the test database, its organisations'
    codes."""
    return commit(db, lambda s: world(s, context()))


@pytest.fixture(name="small_batches")
def small_batches_fixture(monkeypatch):
    """The `small_batches` fixture: batches of 100 rows, so that a few hundred rows make an
    import of several batches."""
    monkeypatch.setattr(ri, "BATCH", 100)


def interrupted_import(eng, rows, process: str, monkeypatch, after: int,
                       ctx: svc.Context | None = None) -> dict:
    """An import of `rows` to `process` (as `ctx`, else `context()`) that fails in its batch
    number `after` + 1: the parameters of its `ImportUnfinished` (its "id", the rows
    "written")."""
    real, calls = ri._batch, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise OSError("the machine went down")
        return real(*args, **kwargs)

    monkeypatch.setattr(ri, "_batch", failing)
    with open_session(eng) as s, pytest.raises(ri.ImportUnfinished) as stopped:
        ri.import_file(s, ctx or context(), process, rows)
    monkeypatch.setattr(ri, "_batch", real)
    return stopped.value.params


class WriterGone(Exception):
    """An import's writer went down after a batch."""


def stopped_after_a_batch(eng, ctx: svc.Context, process: str, rows: list[dict]) -> str:
    """`rows` of `process` checked and written as `ctx` by an import whose writer goes down
    after its first batch: the id of the import it left unfinished."""
    def stop(_id, _done, _total):
        raise WriterGone

    with Session(eng) as s:
        checked = ri.check_file(s, ctx, process, rows)
        with pytest.raises(WriterGone):
            ri.write_file(s, ctx, checked, stop)
        return s.exec(select(ImportPending.import_id)).first()

"""A register file of the analysis schedule (`internal_risk_analysis`: its feature plans each
row) and of the yearly contract-concentration analysis (an event of a row opens a follow-up
case) imported in batches: checked whole without writing, written a batch per short
transaction, the same as opening the rows one by one; an interrupted import hidden with its
follow-ups, resumed or rolled back — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import MetaData
from sqlalchemy import select as select_of
from sqlmodel import col, select

from tests.support.bulk_helpers import another_database, commit
from tests.support.bulk_helpers import stored as planned_stored
from tests.support.databases import dump_tables
from tests.support.features import module_of, needs
from tests.support.import_helpers import context, stored, world
from tests.support.register_rows import (
    codes_fixture,  # noqa: F401 - the `codes` fixture
    interrupted_import,
)
from tests.support.sql_trace import statements
from workflow.core.errors import MerzimError
from workflow.imports import registers as ri
from workflow.services import registers
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import Case, Stage
from workflow.storage.queries import live_case

ANALYSIS = "internal_risk_analysis"
YEARLY = "contract_concentration_analysis"


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(ri, "BATCH", 40)


def analysis_rows(codes: list[str], n: int) -> list[dict[str, str]]:
    """`n` analyses: each subject analyses itself or one of the others, a start on a weekday
    of 2026 and now and then an end; one in seven has its order approved. No two overlap."""
    rows = []
    for i in range(n):
        subject = codes[i % len(codes)]
        obj = codes[(i // len(codes)) % len(codes)]
        start = date(2026, 1, 5) + timedelta(days=7 * (i // (len(codes) ** 2)))
        row = {"subject": subject, "object": obj, "start": start.isoformat(), "end": "",
               "responsible": "", "event": "", "on": "", "number": "", "signed_by": ""}
        if i % 5 == 0:
            row["end"] = (start + timedelta(days=2)).isoformat()
        if i % 7 == 0:
            row.update(event="order", on=start.isoformat(), number=f"{i}-ө",
                       signed_by="Head")
        rows.append(row)
    return rows


def pending(eng, import_id: str) -> list[int]:
    with open_session(eng) as s:
        return ri.pending_ids(s, import_id)


def interrupted(eng, rows, process, monkeypatch, after: int = 1) -> str:
    """An import that fails in its batch number `after` + 1; its id."""
    return interrupted_import(eng, rows, process, monkeypatch, after)["id"]


@needs("planning")  # it plans the analysis register's rows
def test_the_analysis_register_is_imported_in_batches_as_its_rows_one_by_one(
        db, db_url, tmp_path, codes, small_batches):
    rows = analysis_rows(codes, 130)
    assert ri.in_bulk(context().registry.get(ANALYSIS), context())
    seen: list[int] = []
    done = commit(db, lambda s: ri.import_file(s, context(), ANALYSIS, rows,
                                               lambda _id, n, total: seen.append(n)))
    assert seen == [40, 80, 120, 130]  # four transactions
    assert [d.row for d in done] == list(range(2, len(rows) + 2))
    with another_database(db_url, tmp_path) as other:
        commit(other, lambda s: world(s, context()))
        commit(other, lambda s: registers.import_cases(s, context(), ANALYSIS, rows))
        one_by_one, programmes = stored(other), planned_stored(other)["programmes"]
    in_batches = stored(db)
    assert len(in_batches["cases"]) == len(rows)
    for what in ("cases", "stages", "records", "audit"):
        assert in_batches[what] == one_by_one[what], what
    assert planned_stored(db)["programmes"] == programmes


@needs("planning")  # it plans the analysis register's rows
def test_the_check_writes_nothing_and_a_repeat_in_a_later_batch_is_named(db, codes,
                                                                          small_batches):
    rows = analysis_rows(codes, 100)
    again = dict(rows[3], end="")  # overlaps row 5 of the file, two batches later
    bad = [*rows, again, {**rows[0], "object": "NOPE"}, {**rows[1], "start": ""}]
    before = dump_tables(db)
    with open_session(db) as s, statements(db) as sent, pytest.raises(ri.FileRefused) as refused:
        ri.check_file(s, context(), ANALYSIS, bad)
    assert not [q for q in sent if q.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert [(r.row, r.error.key) for r in refused.value.refused] == [
        (102, "rule.duplicate_row"), (103, "notfound.org"), (104, "error.date_required")]
    assert dump_tables(db) == before


@needs("planning")  # it plans the analysis register's rows
def test_an_analysis_import_interrupted_is_hidden_resumed_or_rolled_back(
        db, codes, small_batches, monkeypatch):
    rows = analysis_rows(codes, 100)
    import_id = interrupted(db, rows, ANALYSIS, monkeypatch)
    assert len(pending(db, import_id)) == 40
    with open_session(db) as s:
        assert not s.exec(select(Case).where(live_case())).all()
    done = commit(db, lambda s: ri.resume(s, context(), ANALYSIS, rows, import_id))
    assert [d.row for d in done] == list(range(42, 102))
    with open_session(db) as s:
        assert len(s.exec(select(Case).where(live_case())).all()) == 100
        assert audit.verify(s).ok


def yearly_rows(codes: list[str], n: int) -> list[dict[str, str]]:
    """The yearly analyses of `n` subjects for 2026, every other one completed (its event
    opens the report that follows it)."""
    return [{"subject": codes[i], "period_start": "2026-01-01", "period_end": "2026-12-31",
             "period_due": "2026-12-31", "event": "analysed" if i % 2 == 0 else "",
             "on": "2026-03-10" if i % 2 == 0 else ""} for i in range(n)]


def test_a_follow_up_opened_by_a_rows_event_is_hidden_and_withdrawn_with_its_row(
        db, codes, small_batches, monkeypatch):
    monkeypatch.setattr(ri, "BATCH", 4)
    rows = yearly_rows(codes, 10)
    import_id = interrupted(db, rows, YEARLY, monkeypatch)
    with open_session(db) as s:
        marked = s.exec(select(Case.process).where(col(Case.id).in_(
            ri.pending_ids(s, import_id)))).all()
        assert sorted(marked) == [*["contract_concentration"] * 2, *[YEARLY] * 4]
        assert not s.exec(select(Case).where(live_case())).all()
    assert commit(db, lambda s: ri.roll_back(s, context(), YEARLY, import_id)) == 6
    with open_session(db) as s:
        assert not s.exec(select(Case).where(live_case())).all()
        assert audit.verify(s).ok


def without_ids(eng) -> dict[str, list]:
    """The cases, stages and records stored, without ids, timestamps and the cases' order."""
    meta = MetaData()
    meta.reflect(bind=eng)
    out = {}
    with eng.connect() as conn:
        for name in ("process_case", "stage", "event_record"):
            table = meta.tables[name]
            shown = [c for c in table.c if c.name not in (
                "id", "case_id", "created_at", "recorded_at")]
            out[name] = sorted((tuple(r) for r in conn.execute(select_of(*shown))), key=repr)
    return out


def test_a_yearly_file_resumed_stores_what_one_by_one_stores(db, db_url, tmp_path, codes,
                                                             monkeypatch):
    monkeypatch.setattr(ri, "BATCH", 4)
    rows = yearly_rows(codes, 10)
    import_id = interrupted(db, rows, YEARLY, monkeypatch)
    commit(db, lambda s: ri.resume(s, context(), YEARLY, rows, import_id))
    with another_database(db_url, tmp_path) as other:
        commit(other, lambda s: world(s, context()))
        commit(other, lambda s: registers.import_cases(s, context(), YEARLY, rows))
        expected = without_ids(other)
    resumed = without_ids(db)
    assert resumed == expected  # (the follow-ups' ids come after their batch's rows)
    assert len(resumed["process_case"]) == 15
    with open_session(db) as s:  # no mark left
        assert not s.exec(select(Case).where(col(Case.withdrawn_at).is_not(None))).all()
    with pytest.raises(MerzimError):
        commit(db, lambda s: ri.resume(s, context(), YEARLY, rows, import_id))


@needs("planning")  # it plans the analysis register's rows
def test_an_analysis_another_writer_plans_between_the_batches_is_seen(db, codes,
                                                                       small_batches):
    """Checked whole, then another officer plans an analysis that a row of the third batch
    repeats: that batch is refused naming the row; the first two stay hidden."""
    plan_analysis = module_of("planning", "service").plan_analysis

    rows = analysis_rows(codes, 100)
    late = rows[90]
    with open_session(db) as s:
        checked = ri.check_file(s, context(), ANALYSIS, rows)
        s.commit()
    commit(db, lambda s: plan_analysis(s, context(actor="cli:other"), late["subject"],
                                       late["object"], date.fromisoformat(late["start"])))
    with open_session(db) as s, pytest.raises(ri.ImportUnfinished) as stopped:
        ri.write_file(s, context(), checked)
    error = stopped.value.error
    assert stopped.value.params["written"] == 80
    assert [(r.row, r.error.key) for r in error.refused] == [(92, "rule.duplicate_analysis")]
    with open_session(db) as s:
        assert len(s.exec(select(Case).where(live_case())).all()) == 1
        assert len(ri.pending_ids(s, stopped.value.params["id"])) == 80


@needs("planning")  # it plans the analysis register's rows
def test_while_a_writer_writes_its_import_is_neither_resumed_nor_rolled_back(
        db, db_url, codes, small_batches):
    """A writer held between its first and second batch (another thread, its own database
    session): a roll-back and a resume from another session are refused and change
    nothing; once it has finished, the import is whole."""
    import threading

    from workflow.storage.db import make_engine

    rows = analysis_rows(codes, 100)
    first, go, failed = threading.Event(), threading.Event(), []
    found: list[str] = []

    def hold(import_id, n, _total):
        found.append(import_id)
        if n == 40:
            first.set()
            assert go.wait(120)

    def run() -> None:
        eng = make_engine(db_url)
        try:
            commit(eng, lambda s: ri.import_file(s, context(), ANALYSIS, rows, hold))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failed.append(exc)
        finally:
            first.set()
            eng.dispose()

    writer = threading.Thread(target=run, daemon=True)
    writer.start()
    assert first.wait(120) and not failed, failed
    import_id = found[0]
    before = dump_tables(db)
    for attempt in (lambda s: ri.roll_back(s, context(), ANALYSIS, import_id),
                    lambda s: ri.resume(s, context(), ANALYSIS, rows, import_id)):
        with open_session(db) as s, pytest.raises(MerzimError) as refused:
            attempt(s)
        assert refused.value.key == "error.import_writing"
        assert dump_tables(db) == before
    go.set()
    writer.join(120)
    assert not failed, failed
    with open_session(db) as s:
        assert len(s.exec(select(Case).where(live_case())).all()) == 100
        assert not s.exec(select(Stage).where(col(Stage.status).startswith(ri.HELD))).all()
        assert audit.verify(s).ok


def later(rows: list[dict[str, str]], quarters: int) -> list[dict[str, str]]:
    """The same rows `quarters` times 13 weeks later (none overlaps the first ones), without
    their events."""
    out = []
    shift = timedelta(weeks=13 * quarters)
    for r in rows:
        end = date.fromisoformat(r["end"]) + shift if r["end"] else None
        out.append({**r, "start": (date.fromisoformat(r["start"]) + shift).isoformat(),
                    "end": end.isoformat() if end else "",
                    "event": "", "on": "", "number": "", "signed_by": ""})
    return out


def reads_analyses(sent: list[str]) -> list[str]:
    """The statements that read analyses' periods (their named dates)."""
    return [q for q in sent if q.lstrip().upper().startswith("SELECT")
            and "process_case.dates" in q]


def written_analyses(eng, rows) -> list[str]:
    """The statements an analysis import's write phase sends (its check untraced)."""
    with open_session(eng) as s:
        checked = ri.check_file(s, context(), ANALYSIS, rows)
        with statements(eng) as sent:
            ri.write_file(s, context(), checked)
        s.commit()
    return list(sent)


def test_a_batch_of_analyses_reads_no_analysis_again_whatever_the_subjects_hold(
        db, codes, small_batches):
    """The duplicate rule's analyses are read once per import (its check); a batch reads
    them again only for the subjects another writer touched since: here none, so a batch
    sends the same statements into subjects holding 0 or 400 analyses. The rows naming no
    event are inserted as they stay, never updated after."""
    rows = analysis_rows(codes, 120)
    # every subject's programme of the year made first: no batch below makes one
    commit(db, lambda s: ri.import_file(s, context(), ANALYSIS, later(rows, 5)[:len(codes)]))
    first = written_analyses(db, later(rows, 6))
    commit(db, lambda s: ri.import_file(s, context(), ANALYSIS, [
        *later(rows, 1), *later(rows, 2), *later(rows, 3), *later(rows, 4)[:40]]))
    after = written_analyses(db, later(rows, 7))
    assert len(after) == len(first)
    assert reads_analyses(first) == reads_analyses(after) == []
    # the cases and their stages are written once: the import's end deletes its ranges
    # (`import_pending`), and updates only the held stages of the programmes it made
    updates = [q.lstrip().upper() for q in after if q.lstrip().upper().startswith("UPDATE")]
    assert not [q for q in updates if q.startswith("UPDATE PROCESS_CASE")]
    assert [q for q in updates if q.startswith("UPDATE STAGE")] == [
        q for q in updates if q.startswith("UPDATE STAGE") and "PROGRAMME_ID IN" in q]
    assert [q for q in after if q.lstrip().upper().startswith("DELETE FROM IMPORT_PENDING")]


@needs("planning")  # it plans the analysis register's rows
def test_an_import_that_ends_between_the_batches_is_seen_by_the_duplicate_rule(
        db, db_url, codes, small_batches, monkeypatch):
    """Another import, interrupted after its first batch (hidden: it holds a row that repeats
    our row 72), is resumed between two batches of this one and ends: its first batch's
    analyses appear all at once, with no record naming each; the next batch reads the
    analyses again and refuses our row 72."""
    from workflow.storage.db import make_engine

    rows = analysis_rows(codes, 100)
    clash = later(rows, 1)
    subject = clash[70]["subject"]
    ours = {(r["subject"], r["object"]) for r in clash}
    theirs = [clash[70], *[{**clash[0], "subject": a, "object": b} for a in codes for b in codes
                           if a != subject and (a, b) not in ours][:80]]  # no pair of ours
    their_id = interrupted(db, theirs, ANALYSIS, monkeypatch)  # its first 40 rows, hidden
    other = make_engine(db_url)

    def other_import(_import_id: str, done: int, _total: int) -> None:
        if done == 40:  # our first batch committed: the other import is resumed and ends
            commit(other, lambda o: ri.resume(o, context(actor="cli:other"), ANALYSIS,
                                              theirs, their_id))

    with open_session(db) as s:
        checked = ri.check_file(s, context(), ANALYSIS, clash)
        with pytest.raises(ri.ImportUnfinished) as stopped:
            ri.write_file(s, context(), checked, other_import)
    other.dispose()
    error = stopped.value.error
    assert stopped.value.params["written"] == 40
    assert [(r.row, r.error.key) for r in error.refused] == [(72, "rule.duplicate_analysis")]

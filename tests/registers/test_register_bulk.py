"""A register file imported in batches (`merzim case import`, workflow/imports/registers.py)
stores what opening its rows one by one stores (`registers.import_cases`: `open_checked` and
`record_event` row by row), refuses a file naming every refused row with nothing stored, keeps
an interrupted import hidden until it is resumed or rolled back, and lets other writers in
between its batches. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest

from tests.support.bulk_helpers import another_database, commit
from tests.support.databases import dump_tables
from tests.support.import_helpers import sign_in_and_write, stored
from tests.support.register_rows import (
    KINDS,
    SEED,
    breach_rows,
    codes_fixture,  # noqa: F401 - the `codes` fixture
    context,
    interrupted_import,
    needed_by,
    small_batches_fixture,  # noqa: F401 - the `small_batches` fixture
    world,
)
from tests.support.web_helpers import web_fixture  # noqa: F401 - the `web` fixture
from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.imports import registers as ri
from workflow.services import registers
from workflow.storage import audit
from workflow.storage.db import make_engine
from workflow.storage.db import session as open_session


def import_bulk(eng, rows, process="restriction_breach", progress=None):
    return commit(eng, lambda s: ri.import_file(s, context(), process, rows, progress))


# -- the same as one by one ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_file_of_several_batches_stores_what_opening_its_rows_one_by_one_stores(
        db, db_url, tmp_path, codes, small_batches):
    rows = breach_rows(codes, 450)
    assert sum(1 for r in rows if r["event"]) > 60
    seen: list[tuple[int, int]] = []
    done = import_bulk(db, rows, progress=lambda _id, n, total: seen.append((n, total)))
    assert [d.row for d in done] == list(range(2, len(rows) + 2))
    assert seen == [(min(n, len(rows)), len(rows)) for n in range(100, len(rows) + 100, 100)]
    gifts = [{"subject": c, "person": f"Recipient {i}",
              "received": (date(2025, 12, 20) + timedelta(days=i)).isoformat()}
             for i, c in enumerate(codes)]
    import_bulk(db, gifts, "gift")
    with another_database(db_url, tmp_path) as other:
        assert commit(other, lambda s: world(s, context())) == codes
        commit(other, lambda s: registers.import_cases(s, context(), "restriction_breach", rows))
        commit(other, lambda s: registers.import_cases(s, context(), "gift", gifts))
        one_by_one = stored(other)
    in_bulk = stored(db)
    assert len(in_bulk["cases"]) == len(rows) + len(gifts)
    for mine, theirs in (("cases", "cases"), ("stages", "stages"), ("records", "records"),
                         ("audit", "audit")):
        assert in_bulk[mine] == one_by_one[theirs], mine
    # gifts: received + 7 calendar days, a day off rolled to the next working day
    # (2025-12-20 + 7 = Saturday 27 December → Monday 29 December)
    with open_session(db) as s:
        first = svc.case_view(s, context(), svc.get_case(s, done[-1].case.id + 1))
        assert [(st.key, st.due) for st in first.stages] == [("hand_over", date(2025, 12, 29))]


# -- refusals ------------------------------------------------------------------------------------


def test_a_refused_file_names_every_refused_row_and_stores_nothing(db, codes, small_batches):
    import_bulk(db, [{"subject": "AK0", "person": "Aida", "kind": "foreign_account",
                      "detected": "2026-01-10"}])
    good = breach_rows(codes, 250)
    bad = [*good,
           {"subject": "XX", "person": "A", "kind": "foreign_account", "detected": "2026-01-10"},
           {"subject": "AK1", "person": "", "kind": "foreign_account", "detected": "2026-01-10"},
           {"subject": "AK1", "person": "B", "kind": "foreign_account", "detected": "10.01.2026"},
           {"subject": "AK0", "person": " aida ", "kind": "foreign_account",
            "detected": "2026-01-10"},  # repeats the stored case
           {"subject": "AK2", "person": "C", "kind": "foreign_account", "detected": "2026-01-10"},
           {"subject": "AK2", "person": "c", "kind": "foreign_account", "detected": "2026-01-10"},
           {"subject": "AK2", "person": "D", "kind": "foreign_account", "detected": "2026-01-10",
            "receipt_act": "AP-1"},
           {"subject": "AK2", "person": "E", "kind": "foreign_account", "detected": "2026-01-10",
            "event": "measures_taken", "on": "2026-12-01"},
           {"subject": "AK2", "person": "F", "kind": "foreign_account", "detected": "2026-01-10",
            "responsible": "off-AK0"}]
    before = dump_tables(db)
    with open_session(db) as s, pytest.raises(ri.FileRefused) as refused:
        ri.import_file(s, context(), "restriction_breach", bad)
    first = len(good) + 2
    assert [r.row for r in refused.value.refused] == [first + i for i in (0, 1, 2, 3, 5, 6, 7, 8)]
    keys = [r.error.key for r in refused.value.refused]
    assert keys == ["notfound.org", "error.person_required", "error.bad_date",
                    "rule.duplicate_case", "rule.duplicate_register_row",
                    "error.row_evidence_no_event", "rule.future_date",
                    "rule.responsible_elsewhere"], keys
    assert refused.value.exit_code == 4  # the first refused row's (not found)
    assert dump_tables(db) == before


def test_the_cli_names_every_refused_row_in_the_readers_language(merzim_db, tmp_path):
    assert merzim_db("init").returncode == 0
    assert merzim_db("org", "add", "MF", "--name", "Ministry", "--kind",
                     "central_body").returncode == 0
    f = tmp_path / "bad.csv"
    f.write_text("subject,person,kind,detected\nMF,Aida,foreign_account,2026-01-10\n"
                 "XX,Berik,foreign_account,2026-01-10\nMF,,foreign_account,2026-01-10\n"
                 "MF,aida,foreign_account,2026-01-10\n", encoding="utf-8")
    en = merzim_db("case", "import", "restriction_breach", str(f), today="2026-06-01")
    assert en.returncode == 4, en.stderr
    lines = en.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Row 3", "Row 4", "Row 5"], en.stderr
    assert "Row 2 of the file already has a case of MF" in lines[2]
    ru = merzim_db("case", "import", "restriction_breach", str(f), today="2026-06-01",
                   lang="ru")
    assert "Строка 2 файла уже содержит дело субъекта MF" in ru.stderr, ru.stderr
    assert json.loads(merzim_db("case", "list", "--json").stdout) == []


# -- interrupted, resumed, rolled back ------------------------------------------------------------


def interrupted(eng, rows, monkeypatch, after: int = 2) -> str:
    """An import that fails in its batch number `after` + 1; its id."""
    params = interrupted_import(eng, rows, "restriction_breach", monkeypatch, after)
    assert params["written"] == 100 * after
    return params["id"]


def visible(eng) -> int:
    with open_session(eng) as s:
        return len(svc.list_cases(s, context()))


def test_an_interrupted_import_stays_hidden_until_resumed(db, db_url, tmp_path, codes,
                                                           small_batches, monkeypatch):
    rows = breach_rows(codes, 330, seed=SEED + 1)
    import_id = interrupted(db, rows, monkeypatch)
    with open_session(db) as s:
        assert len(ri.pending_ids(s, import_id)) == 200
    assert visible(db) == 0  # half a file is nowhere to be seen
    other = [dict(r, person=r["person"] + " x") for r in rows]
    with open_session(db) as s, pytest.raises(MerzimError) as refused:
        ri.resume(s, context(), "restriction_breach", other, import_id)
    assert refused.value.key == "error.import_other_file"
    done = commit(db, lambda s: ri.resume(s, context(), "restriction_breach", rows, import_id))
    assert [d.row for d in done] == list(range(202, len(rows) + 2))
    assert visible(db) == len(rows)
    with another_database(db_url, tmp_path) as straight:
        commit(straight, lambda s: world(s, context()))
        import_bulk(straight, rows)
        expected = stored(straight)
    resumed = stored(db)
    assert resumed["stages"] == expected["stages"]
    assert resumed["records"] == expected["records"]
    assert [c[:-3] for c in resumed["cases"]] == [c[:-3] for c in expected["cases"]]
    assert all(c[-3:] == (None, None, None) for c in resumed["cases"])  # no mark left
    with open_session(db) as s, pytest.raises(MerzimError) as ended:
        ri.resume(s, context(), "restriction_breach", rows, import_id)
    assert ended.value.key == "error.import_ended"


def test_an_interrupted_import_rolled_back_is_withdrawn(db, codes, small_batches, monkeypatch):
    rows = breach_rows(codes, 250, seed=SEED + 2)
    import_id = interrupted(db, rows, monkeypatch, after=1)
    assert commit(db, lambda s: ri.roll_back(s, context(), "restriction_breach", import_id)) == 100
    assert visible(db) == 0
    with open_session(db) as s:
        assert ri.pending_ids(s, import_id) == []
        assert audit.verify(s).ok
        with pytest.raises(MerzimError) as ended:
            ri.roll_back(s, context(), "restriction_breach", import_id)
        assert ended.value.key == "error.import_ended"
    # the same file imported again: nothing of the rolled-back rows repeats
    assert len(import_bulk(db, rows)) == len(rows)
    assert visible(db) == len(rows)


def test_the_cli_shows_progress_on_stderr_and_rolls_back_by_id(merzim_db, tmp_path,
                                                                 monkeypatch):
    assert merzim_db("init").returncode == 0
    assert merzim_db("org", "add", "MF", "--name", "Ministry", "--kind",
                     "central_body").returncode == 0
    f = tmp_path / "ok.csv"
    f.write_text("subject,person,kind,detected\n" + "".join(
        f"MF,Person {i},foreign_account,2026-01-10\n" for i in range(3)), encoding="utf-8")
    result = merzim_db("case", "import", "restriction_breach", str(f), "--json",
                       today="2026-06-01")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["opened"]) == 3  # the JSON alone on stdout
    assert "3/3 rows written" in result.stderr
    unknown = merzim_db("case", "import", "restriction_breach", "--rollback", "nosuch")
    assert unknown.returncode == 4 and "No import nosuch" in unknown.stderr


# -- other writers between the batches -----------------------------------------------------------


@pytest.mark.slow  # a 10,000-row import
def test_a_sign_in_and_an_api_write_during_an_import_answer_before_it_ends(web, db_url):
    """Ordering, not wall time: the sign-in and the API write are sent once the import has
    committed its first batch, and both have their answer while it is still writing."""
    from tests.support.web_helpers import TODAY as WEB_TODAY

    browser, api = web.client(), web.api("asel")  # the token made before the import
    assert browser.get("/login").status_code == 200
    subjects = ["MF", "MF-KGD", "MF-KGD-ALM", "AK-ALM", "AK-ALM-EDU", "AK-ALM-HLTH"]
    rows = [{"subject": subjects[i % len(subjects)], "person": f"Person {i}",
             "kind": KINDS[i % len(KINDS)], **needed_by(KINDS[i % len(KINDS)]),
             "detected": (WEB_TODAY - timedelta(days=1 + i % 300)).isoformat()}
            for i in range(10_000)]
    started, finished, failed = threading.Event(), threading.Event(), []

    def run() -> None:
        eng = make_engine(db_url)
        try:
            commit(eng, lambda s: ri.import_file(
                s, context(WEB_TODAY), "restriction_breach", rows,
                lambda _id, n, total: started.set()))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failed.append(exc)
        finally:
            finished.set()
            started.set()
            eng.dispose()

    importer = threading.Thread(target=run, daemon=True)
    importer.start()
    assert started.wait(300)
    assert not finished.is_set(), failed
    sign_in_and_write(web, browser, "asel", api, WEB_TODAY)
    assert not finished.is_set()  # both answered while the import was still writing
    importer.join(300)
    assert finished.is_set() and not failed, failed
    with open_session(web.engine) as s:
        assert audit.verify(s).ok


@pytest.mark.unit
@pytest.mark.parametrize("rows", [
    [],
    [{"subject": "AK-ALM", "person": "Әлия Сейітова", "_row": 2}],
    [{"subject": "MF", "detected": "2026-03-02", "_row": 2},
     {"subject": "MF", "amount": "4500000", "person": None, "_row": 3}],
])
def test_a_files_digest_is_that_of_its_rows_canonical_json(rows):
    """The digest an import records at its start and a resume must match: taken a row at a
    time, the SHA-256 of the rows' canonical JSON, as an import begun by an earlier version
    recorded it (so that it can still be resumed)."""
    import hashlib

    assert ri.digest(rows) == hashlib.sha256(audit.canonical(rows).encode("utf-8")).hexdigest()

"""`merzim bulk record|assign|export` (on the command line), on SQLite and
PostgreSQL, through the real entry point (tests/support/cli_runner.py): the selection by items
("12", "12:forward") and/or by the lists' filters (--overdue, --due N, --org, --process);
all or nothing — each refused item named with its reason in the reader's language, exit
code 3, every table as it was.

The world: tests/support/cli_world_helpers.py (conflict-of-interest notices whose forwarding is
overdue on TODAY; `done` already forwarded).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from tests.support.cli_world_helpers import FORWARD, PDF, World
from tests.support.databases import dump_tables
from workflow.storage.models import AuditRecord, Case, EventRecord, EvidenceFile, User


@pytest.fixture
def world(cli_world) -> World:
    """A copy of the world (conftest's "cli-world" template: built once per process)."""
    return cli_world


def records(db) -> list[tuple[int, str, str]]:
    with Session(db) as s:
        return [(r.case_id, r.event, r.on.isoformat()) for r in s.exec(
            select(EventRecord).order_by(col(EventRecord.id)))]


def audit_actions(db) -> list[str]:
    with Session(db) as s:
        return list(s.exec(select(AuditRecord.action).order_by(col(AuditRecord.id))))


def test_record_on_items_with_one_document_and_note(world, db):
    ids = world.ids
    pdf = world.tmp / "forwarding order.pdf"
    pdf.write_bytes(PDF)
    before = records(db)
    out = world.json("bulk", "record", f"{ids['coi1']}:forward", f"{ids['coi2']}:forward",
                     "--date", "2026-02-02", "--number", "12-04/7", "--note", "both at once",
                     "--file", str(pdf))
    assert [(r["case"], r["event"]) for r in out["recorded"]] == [
        (ids["coi1"], "forwarded"), (ids["coi2"], "forwarded")]
    assert records(db) == before + [(ids["coi1"], "forwarded", "2026-02-02"),
                                    (ids["coi2"], "forwarded", "2026-02-02")]
    with Session(db) as s:
        stored = s.exec(select(EventRecord).where(col(EventRecord.id).in_(
            [r["record"] for r in out["recorded"]]))).all()
        assert [r.evidence for r in stored] == [
            {"number": "12-04/7", "note": "both at once"}] * 2
        files = s.exec(select(EvidenceFile).order_by(col(EvidenceFile.id))).all()
    sha = hashlib.sha256(PDF).hexdigest()
    assert [(f.case_id, f.record_id, f.sha256) for f in files] == [
        (r["case"], r["record"], sha) for r in out["recorded"]]
    assert (world.store / sha[:2] / sha[2:4] / sha).read_bytes() == PDF
    actions = audit_actions(db)
    assert actions.count("event.forwarded") == 3 and actions.count("file.attach") == 2
    assert actions[-1] == "bulk.record"
    assert f"{ids['coi1']}:forward" not in world.overdue_items()
    assert world.ok("audit", "verify").returncode == 0


def test_record_by_the_overdue_filter_of_an_organisation(world, db):
    ids = world.ids
    result = world.ok("bulk", "record", "--overdue", "--org", "AK-HLTH", "--process",
                      "conflict_of_interest", "--date", "2026-02-02")
    # AK-HLTH's overdue stages: the forwarding and the recommendation of `hlth`
    assert "2 records saved, dated 2026-02-02." in result.stdout
    assert f"case #{ids['hlth']}: record #" in result.stdout
    assert "«Notice forwarded to the subdivision» (forwarded)" in result.stdout
    assert {(c, e) for c, e, _on in records(db)} >= {(ids["hlth"], "forwarded"),
                                                      (ids["hlth"], "recommended")}
    assert not {i for i in world.overdue_items() if i.startswith(f"{ids['hlth']}:")}
    assert f"{ids['coi1']}:forward" in world.overdue_items()  # another organisation's: kept


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_each_refused_item_is_named_and_nothing_is_stored(world, db, lang):
    ids = world.ids
    before = dump_tables(db)
    result = world("bulk", "record", f"{ids['coi1']}:forward", f"{ids['done']}:forward",
                   "999:forward", "--date", "2026-02-02", "--number", "1", lang=lang)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert dump_tables(db) == before
    lines = result.stdout.splitlines()
    done_line = next(x for x in lines if f"#{ids['done']} " in x)
    assert f"«{FORWARD[lang]}» (forward)" in done_line
    assert any(x.strip().startswith("#999 (forward): ") for x in lines)
    assert not any(f"#{ids['coi1']} " in x for x in lines)  # accepted, but not stored
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert {"en": "2 of the 3", "ru": "2 из 3", "kk": "3"}[lang] in err
    as_json = world("bulk", "record", f"{ids['done']}:forward", "999:forward",
                    "--date", "2026-02-02", "--json")
    assert as_json.returncode == 3
    refused = json.loads(as_json.stdout)
    assert refused["error"] == "bulk.refused"
    assert [(x["item"], x["stage_name"]) for x in refused["refused"]] == [
        (f"{ids['done']}:forward", FORWARD["en"]), ("999:forward", None)]
    assert dump_tables(db) == before
    # the accepted item's audit record, rolled back, moved no checkpoint past the log's end
    verified = world("audit", "verify")
    assert verified.returncode == 0, (verified.stdout, verified.stderr)


@pytest.mark.parametrize(("args", "code", "words"), [
    ((), 2, "Nothing is selected"),
    (("abc",), 2, "“abc” is not a case or a stage"),
    (("--overdue", "--due", "3"), 2, "--overdue or --due, not both"),
    (("--due", "-1"), 2, "--due must be 0 or more"),
    (("--overdue", "--org", "NOPE"), 4, "NOPE"),
    (("--overdue", "--process", "gift"), 2, "The filter selects nothing"),
    (("1:forward", "--date", "2099-01-01"), 3, "future"),
    (("1:forward", "--date", "02.02.2026"), 2, "--date"),
    (("1", "--date", "2026-02-02"), 2, "Choose the event"),
    (("1", "--event", "transferred", "--date", "2026-02-02"), 3, "#1: "),
])
def test_usage_errors_and_refusals_store_nothing(world, db, args, code, words):
    before = dump_tables(db)
    if "--date" not in args:
        args = (*args, "--date", "2026-02-02")
    result = world("bulk", "record", *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert words in result.stdout + result.stderr, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert dump_tables(db) == before


def test_assign_hands_every_case_over_or_none(world, db):
    ids = world.ids
    before = dump_tables(db)
    refused = world("bulk", "assign", str(ids["coi1"]), str(ids["coi2"]), "--to", "nobody")
    assert refused.returncode == 3, (refused.stdout, refused.stderr)
    assert refused.stdout.count("nobody") >= 2  # each case named with its reason
    assert dump_tables(db) == before
    out = world.json("bulk", "assign", f"{ids['coi1']}:forward", str(ids["coi2"]),
                     str(ids["coi1"]), "--to", "bolat")
    assert out == {"assigned": [ids["coi1"], ids["coi2"]], "to": "bolat"}
    with Session(db) as s:
        owners = {c.id: c.responsible_id for c in s.exec(select(Case))}
        login = {u.id: u.login for u in s.exec(select(User))}
    assert login[owners[ids["coi1"]]] == login[owners[ids["coi2"]]] == "bolat"
    assert audit_actions(db)[-1] == "bulk.assign"
    before = dump_tables(db)
    mixed = world("bulk", "assign", "--org", "AK", "--to", "asel", lang="ru")
    assert mixed.returncode == 3, (mixed.stdout, mixed.stderr)
    [line] = [x for x in mixed.stdout.splitlines() if x.strip().startswith("#")]
    assert line.strip().startswith(f"#{ids['hlth']}: ") and "asel" in line  # in Russian
    assert "Ничего не сохранено" in mixed.stdout + mixed.stderr
    assert dump_tables(db) == before
    world.ok("bulk", "assign", "--org", "AK-EDU", "--process", "conflict_of_interest",
             "--to", "asel")
    with Session(db) as s:
        assert {login[s.get(Case, ids[k]).responsible_id] for k in ("coi1", "coi2", "done")} \
            == {"asel"}


def test_export_writes_the_selection_as_csv_and_xlsx(world, db):
    ids = world.ids
    csv_path, xlsx_path = world.tmp / "sel.csv", world.tmp / "sel.xlsx"
    result = world.ok("bulk", "export", "--overdue", "--org", "AK-EDU", "--out",
                      str(csv_path))
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:5] == ["Procedure", "Case", "Organisation", "Object", "Stage"]
    body = {(r[1], r[4]) for r in rows[1:]}
    assert (str(ids["coi1"]), FORWARD["en"]) in body and (str(ids["coi2"]), FORWARD["en"]) in body
    assert all(r[0] == "Conflict of interest notice" for r in rows[1:])
    assert str(ids["hlth"]) not in {r[1] for r in rows[1:]}
    assert "written to" in result.stdout
    world.ok("bulk", "export", f"{ids['coi1']}:forward", str(ids["hlth"]), "--out",
             str(xlsx_path), lang="ru")
    sheet = load_workbook(xlsx_path).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    assert FORWARD["ru"] in flat and "Управление образования" in flat
    assert "export.selection" in audit_actions(db)
    as_json = world.json("bulk", "export", f"{ids['coi1']}:forward")
    assert [(r["case"], r["stage"], r["stage_status"]) for r in as_json["rows"]] == [
        (ids["coi1"], FORWARD["en"], "overdue")]
    before = dump_tables(db)
    for args, code in ((("1", "--out", str(world.tmp / "sel.pdf")), 2),
                       (("999",), 3), (("1:nope",), 3)):
        refused = world("bulk", "export", *args)
        assert refused.returncode == code, (args, refused.stdout, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert dump_tables(db) == before

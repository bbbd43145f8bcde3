"""One record with a file from the command line reads and writes each row it needs once: the
case, its records, its stages and its subject are read once, the re-plan writes what changed,
the audit chain's tail is read once for both of the record's audit entries, and the case shown
after the record is the one the re-plan left (no second reading)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.support.cli_world_helpers import NOTICE, PDF, World

# the revision check, the case, its records, its subject, the record, its stages, the case's
# and the stages' changes, the audit tail, the audit entry, the evidence file, its audit entry,
# the kept counts of its organisation deleted and counted again (storage/kept.py), the lists'
# versions
MOST = 14


@pytest.fixture
def world(cli_world) -> World:
    return cli_world


def _counting():
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()[:3]))

    event.listen(Engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(Engine, "before_cursor_execute", before)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_record_with_a_file_takes_at_most_fourteen_statements(world: World, tmp_path):
    """A case with no person (a case about a person adds the audit entry of its view, and a
    responsible officer the reading of her name)."""
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(PDF)
    opened = world.json("case", "open", "declaration_reminder", "--subject", "AK-EDU",
                        "--period", "2025")
    case = str(opened["id"])
    seen, stop = _counting()
    try:
        out = world.ok("record", case, "staff_reminded", "--date", "2025-08-01", "--number",
                       "12", "--file", str(pdf), "--json")
    finally:
        stop()
    assert len(seen) <= MOST, "\n".join(seen)
    shown = json.loads(out.stdout)
    reminder = next(st for st in shown["stages"] if st["key"] == "reminder")
    assert reminder["status"] == "done_on_time" and reminder["done_on"] == "2025-08-01"
    # what the command showed is what is stored, and the chain holds
    stored = world.json("status", case)
    assert stored["stages"] == shown["stages"] and stored["state"] == shown["state"]
    assert world.ok("audit", "verify").returncode == 0
    files = world.json("files", case)["files"]
    assert [f["name"] for f in files] == ["letter.pdf"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_refused_record_after_a_recorded_one_reads_the_case_again(world: World, tmp_path):
    """The rows the re-plan kept serve only its own transaction: the next command reads the
    case as stored (a second record of the same event is refused on what is stored)."""
    case = str(world.ids["coi2"])
    world.ok("record", case, "forwarded", "--date", NOTICE)
    again = world("record", case, "forwarded", "--date", NOTICE)
    assert again.returncode != 0
    shown = world.json("status", case)
    assert [r["event"] for r in shown["records"]].count("forwarded") == 1

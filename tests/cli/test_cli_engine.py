"""The engine's command line end to end: the installed `merzim` run as a subprocess on SQLite and
PostgreSQL, as an officer, a manager and an operator use it.

Every success exits 0 with nothing on stderr; every refusal exits with its documented code
(2 usage, 3 refused by the rules, 4 not found), writes exactly one line on stderr and no
traceback, and leaves the database exactly as it was. Each command costs a process start, so
the tests are stories, and commands that change nothing run side by side.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

from tests.support.cli_runner import ok, ok_json, run_many, write_xlsx
from tests.support.databases import dump_tables
from tests.support.features import installed, needs, of

CYRILLIC = re.compile("[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
LINK = "https://www.gov.kz/memleket/entities/abai/press/news/details/1"
# The stages of one analysis up to the positions list, in the order the timeline shows them
# (monitoring stages follow them once the note is signed).
STAGE_ORDER = ["order", "start_announcement", "discussion_announcement", "public_discussion",
               "analytic_note", "action_plan", "publication", "positions_list", "positions_sent"]
DEMO_TODAY = "2026-02-04"  # a Wednesday: "working days overdue" then reads as in the demo's notes
XY = "code,name,kind,parent\nX,Akimat X,akimat,\nY,Department Y,department,X\n"


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Tables as on a wide screen, so that no name is wrapped inside its cell."""
    monkeypatch.setenv("COLUMNS", "240")


def refused(result, code: int, *fragments: str, stdout: bool = False) -> str:
    """The documented exit code, one line on stderr naming every fragment, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    if not stdout:
        assert result.stdout == "", result.stdout
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def flat(output: str) -> str:
    """Output with its line breaks and runs of spaces folded, for 'the name is shown' checks."""
    return " ".join(output.split())


def write(path: Path, content: str) -> str:
    path.write_text(content, encoding="utf-8")
    return str(path)


def setup_orgs(merzim_db, tmp_path: Path, csv_text: str = XY) -> None:
    """Organisations in one call (code,name,kind,parent)."""
    out = ok_json(merzim_db("org", "import", write(tmp_path / "setup-orgs.csv", csv_text),
                            "--json"))
    assert len(out["added"]) == len(csv_text.strip().splitlines()) - 1


def in_order(rows) -> list[dict]:
    """Overdue/due rows in a fixed order (two stages of one analysis due the same day tie)."""
    return sorted(rows, key=lambda r: (r["organisation"], r["due"], r["analysis"], r["stage"]))


def stages_by_key(view: dict) -> dict[str, dict]:
    return {s["key"]: s for s in view["stages"]}


# -- init, and refusal before it ------------------------------------------------------------------


def test_commands_before_init_are_refused_then_init_is_idempotent_and_the_demo_loads_once(
        merzim_db, engine):
    meta = MetaData()  # an empty database, as the operator has it before `merzim init`
    meta.reflect(bind=engine)
    meta.drop_all(bind=engine)
    overdue, ru, *plan = run_many(merzim_db, [
        (("overdue", "--json"), {}),
        (("org", "list"), {"lang": "ru"}),
        *of("planning", (("analysis", "plan", "--subject", "X", "--object", "X", "--start",
                          "2026-03-02"), {})),
    ])
    for result in (overdue, *plan):
        refused(result, 2, "not initialised", "merzim init")
    assert CYRILLIC.search(refused(ru, 2, "merzim init"))

    first = ok_json(merzim_db("init", "--json"))
    assert first["upgraded"] is True and "demo" not in first
    initialised = dump_tables(engine)
    assert "alembic_version" in initialised and initialised["organisation"] == []
    assert "Database ready" in ok(merzim_db("init"))
    assert dump_tables(engine) == initialised

    loaded = ok_json(merzim_db("init", "--demo", "--json", today=DEMO_TODAY))["demo"]
    assert loaded["organisations"] == 17
    assert len(loaded["users"]) == 10  # and the planning's analyses:
    assert len(loaded.get("analyses", ())) == (6 if installed("planning") else 0)
    with_demo = dump_tables(engine)
    again, human_again = run_many(merzim_db, [(("init", "--demo", "--json"), {"today": DEMO_TODAY}),
                                              (("init", "--demo"), {"today": "2026-06-01"})])
    assert ok_json(again)["demo"] == {"already": True}
    assert "already loaded" in ok(human_again)
    assert dump_tables(engine) == with_demo

    orgs, users = run_many(merzim_db, [(("org", "list", "--json"), {}),
                                       (("user", "list", "--json"), {})])
    codes = [o["code"] for o in ok_json(orgs)]
    assert len(codes) == len(set(codes)) == 17
    assert {"MF", "AK-ALM", "AK-ALM-EDU", "QS-ZHETYSU"} <= set(codes)
    logins = [u["login"] for u in ok_json(users)]
    assert logins == sorted(logins) and len(logins) == 10 and "aigerim" in logins


# -- the overdue and due pictures -----------------------------------------------------------------


@needs("planning")  # the `merzim analysis` commands
def test_demo_overdue_is_grouped_by_organisation_filtered_by_subtree_and_moves_with_as_of(
        merzim_db):
    demo = ok_json(merzim_db("init", "--demo", "--json", today=DEMO_TODAY))["demo"]
    education, health = demo["analyses"][1], demo["analyses"][2]
    # Something late in the ministry's subtree too: the order was due on 2026-01-26.
    late = ok_json(merzim_db("analysis", "plan", "--subject", "MF-KGD-ABAI", "--object",
                             "MF-KGD-ABAI", "--start", "2026-02-09", "--json", today=DEMO_TODAY))

    (everything, human, akimat, ministry, soon, later, later_kk, due_ru, bad_org,
     bad_as_of) = run_many(merzim_db, [
        (("overdue", "--json"), {"today": DEMO_TODAY}),
        (("overdue",), {"today": DEMO_TODAY}),
        (("overdue", "--org", "AK-ALM", "--json"), {"today": DEMO_TODAY}),
        (("overdue", "--org", "MF-KGD", "--json"), {"today": DEMO_TODAY}),
        (("due", "--within", "5", "--json"), {"today": DEMO_TODAY}),
        (("overdue", "--as-of", "2026-02-11", "--json"), {"today": DEMO_TODAY}),
        (("overdue", "--as-of", "2026-02-11"), {"today": DEMO_TODAY, "lang": "kk"}),
        (("due", "--within", "5"), {"today": DEMO_TODAY, "lang": "ru"}),
        (("overdue", "--org", "NOPE"), {"today": DEMO_TODAY}),
        (("due", "--as-of", "2026-02-30"), {"today": DEMO_TODAY}),
    ])

    data = ok_json(everything)
    assert data["as_of"] == DEMO_TODAY and data["org"] is None
    rows = data["overdue"]
    for r in rows:
        assert {"organisation", "organisation_name", "analysis", "object", "stage", "due",
                "working_days_overdue", "responsible"} <= r.keys()
        assert r["due"] < DEMO_TODAY and r["working_days_overdue"] >= 1
    order = [r["organisation"] for r in rows]
    groups = [code for code, _ in itertools.groupby(order)]
    assert len(groups) == len(set(groups)), f"not grouped by organisation: {order}"
    assert {"AK-ALM-EDU", "AK-ALM-ILE", "QS-ZHETYSU", "MF-KGD-ABAI"} <= set(order)
    by_key = {(r["analysis"], r["stage"]): r for r in rows}
    note = by_key[(education, "analytic_note")]  # ended 14 WD ago, the note was due 10 WD after
    assert (note["organisation"], note["working_days_overdue"], note["responsible"]) == (
        "AK-ALM-EDU", 4, "asel")
    assert (by_key[(late["id"], "order")]["due"],
            by_key[(late["id"], "order")]["working_days_overdue"]) == ("2026-01-26", 7)

    shown = flat(ok(human))
    assert f"As of {DEMO_TODAY}" in shown and f"{len(rows)} overdue stages." in shown
    for r in rows:
        assert f"{r['organisation_name']} ({r['organisation']})" in shown

    subtree = {"AK-ALM", "AK-ALM-EDU", "AK-ALM-HLTH", "AK-ALM-ILE", "AK-ALM-ILE-EDU",
               "AK-ALM-TLG", "AK-ALM-KRS", "QS-ZHETYSU"}
    akimat = ok_json(akimat)
    assert akimat["org"] == "AK-ALM"
    assert in_order(akimat["overdue"]) == in_order(r for r in rows
                                                   if r["organisation"] in subtree)
    assert in_order(ok_json(ministry)["overdue"]) == in_order(
        r for r in rows if r["organisation"].startswith("MF-KGD")) != []

    due = ok_json(soon)
    assert due["within"] == 5 and due["as_of"] == DEMO_TODAY
    for r in due["due"]:
        assert DEMO_TODAY <= r["due"] <= "2026-02-11" and 0 <= r["working_days_left"] <= 5
    # The demo's health department starts in 12 WD, so its order is due in 2.
    assert ("AK-ALM-HLTH", "order", "2026-02-06", 2) in {
        (r["organisation"], r["stage"], r["due"], r["working_days_left"]) for r in due["due"]}

    # Another day, another picture: a week on, the health department's order is late too and
    # everything still open is five working days later.
    later = ok_json(later)
    assert later["as_of"] == "2026-02-11"
    later_by_key = {(r["analysis"], r["stage"]): r for r in later["overdue"]}
    assert (health, "order") in later_by_key and (health, "order") not in by_key
    for key, r in by_key.items():
        assert later_by_key[key]["working_days_overdue"] == r["working_days_overdue"] + 5

    kk = ok(later_kk)
    assert CYRILLIC.search(kk) and "11.02.2026" in kk and "(AK-ALM-HLTH)" in kk
    ru = ok(due_ru)
    assert CYRILLIC.search(ru) and "(AK-ALM-HLTH)" in ru
    refused(bad_org, 4, "NOPE")
    refused(bad_as_of, 2, "2026-02-30")


@needs("planning")  # the `merzim analysis` commands
def test_a_stage_due_on_friday_is_at_least_one_working_day_overdue_on_saturday(
        merzim_db, tmp_path):
    setup_orgs(merzim_db, tmp_path)
    ok(merzim_db("analysis", "plan", "--subject", "X", "--object", "Y", "--start", "2026-02-20",
                 today="2026-02-02"))  # the order is due on Friday 2026-02-06
    rows = ok_json(merzim_db("overdue", "--json", today="2026-02-07"))["overdue"]
    assert rows and all(r["working_days_overdue"] >= 1 for r in rows), rows


# -- organisations and users ------------------------------------------------------------------------


def test_operator_adds_imports_and_lists_organisations_and_users_bad_files_store_nothing(
        merzim_db, engine, tmp_path):
    assert ok(merzim_db("org", "add", "AB", "--name", "Akimat of Abai region", "--kind",
                        "akimat")).strip() == "Organisation AB added."
    added = ok_json(merzim_db("org", "add", "AB-EDU", "--name", "Education Department [Abai]",
                              "--kind", "department", "--parent", "AB", "--name-ru",
                              "Управление образования", "--json"))
    assert (added["code"], added["parent"], added["kind"]) == ("AB-EDU", "AB", "department")
    good = write(tmp_path / "orgs.csv",
                 "code,name,kind,parent\n"
                 "AB-SEM,Akimat of Semey,district_akimat,AB\n"
                 "AB-SEM-EDU,Semey education department,department,AB-SEM\n"
                 'QS-AB,"Abai Social-Entrepreneurial Corporation, JSC",quasi_state,AB\n')
    assert ok_json(merzim_db("org", "import", good, "--json")) == {
        "added": ["AB-SEM", "AB-SEM-EDU", "QS-AB"]}

    header = "code,name,kind,parent\n"
    bad_files = [
        (header + "Z1,Fine,akimat,\nZ2,Bad kind,ministry,Z1\n", 2, "Row 3", "ministry"),
        (header + "Z1,Fine,akimat,\nZ2,Orphan,department,NOPE\n", 2, "Row 3", "NOPE"),
        (header + "Z1,Fine,akimat,\nAB,Again,akimat,\n", 2, "Row 3", "AB"),
        ("code,name\nZ1,No kind\n", 2, "missing columns", "Kind"),
    ]
    before = dump_tables(engine)
    listing, human, semey, *results = run_many(merzim_db, [
        (("org", "list", "--json"), {}),
        (("org", "list"), {}),
        (("org", "list", "--under", "AB-SEM", "--json"), {}),
        *[(("org", "import", write(tmp_path / f"bad-orgs-{n}.csv", case[0])), {})
          for n, case in enumerate(bad_files)],
    ])
    listing = ok_json(listing)
    tree = {o["code"]: (o["parent"], o["depth"]) for o in listing}
    assert tree == {"AB": (None, 0), "AB-EDU": ("AB", 1), "AB-SEM": ("AB", 1),
                    "AB-SEM-EDU": ("AB-SEM", 2), "QS-AB": ("AB", 1)}
    seen = [o["code"] for o in listing]
    assert all(seen.index(tree[c][0]) < seen.index(c) for c in seen if tree[c][0])
    shown = flat(ok(human))
    assert "Education Department [Abai]" in shown  # names print as written, brackets included
    assert "Abai Social-Entrepreneurial Corporation, JSC" in shown
    assert {o["code"] for o in ok_json(semey)} == {"AB-SEM", "AB-SEM-EDU"}
    for result, (_, code, *fragments) in zip(results, bad_files, strict=True):
        if "missing columns" in fragments:
            refused(result, code, *fragments)
            continue
        # a refused file: its head line, then each refused cell (row, column, value) a line
        assert result.returncode == code and result.stdout == "", result.stderr
        head, *cells = result.stderr.splitlines()
        assert "refused (1 problem)" in head and len(cells) == 1
        assert all(fragment in cells[0] for fragment in fragments), cells
    assert ok_json(merzim_db("org", "list", "--json")) == listing
    assert dump_tables(engine) == before

    assert ok(merzim_db("user", "add", "aigul", "--org", "AB-EDU", "--name", "Aigul Bekova",
                        "--email", "aigul@example.kz", "--language", "ru")
              ).strip() == "User aigul added."
    manager = ok_json(merzim_db("user", "add", "nurlan", "--org", "AB", "--role", "manager",
                                "--json"))
    assert (manager["role"], manager["org"], manager["language"]) == ("manager", "AB", "kk")
    before = dump_tables(engine)
    users, users_human, *results = run_many(merzim_db, [
        (("user", "list", "--json"), {}),
        (("user", "list"), {}),
        (("user", "add", "dana", "--org", "NOPE"), {}),
        (("user", "add", "aigul", "--org", "AB"), {}),
        (("user", "add", "dana", "--org", "AB", "--role", "boss"), {}),
        (("user", "add", "dana"), {}),
    ])
    assert [(u["login"], u["name"], u["role"], u["org"], u["email"], u["language"])
            for u in ok_json(users)] == [
        ("aigul", "Aigul Bekova", "officer", "AB-EDU", "aigul@example.kz", "ru"),
        ("nurlan", "nurlan", "manager", "AB", None, "kk")]
    assert "Aigul Bekova" in flat(ok(users_human))
    for result, (code, fragment) in zip(results, [(4, "NOPE"), (3, "aigul"), (2, "boss"),
                                                  (2, "--org")], strict=True):
        refused(result, code, fragment)
    assert dump_tables(engine) == before


# -- planning ------------------------------------------------------------------------------------------


@needs("planning")  # the `merzim analysis` commands
def test_plan_gives_exact_due_dates_the_default_end_and_replan_follows_a_decree(
        merzim_db, engine, tmp_path):
    setup_orgs(merzim_db, tmp_path)
    view = ok_json(merzim_db("analysis", "plan", "--subject", "X", "--object", "Y", "--start",
                             "2026-03-02", "--end", "2026-04-10", "--json", today="2026-02-01"))
    assert {"id", "state", "subject", "object", "stages"} <= view.keys()
    assert (view["state"], view["subject"], view["object"]) == ("planned", "X", "Y")
    assert (view["planned_start"], view["planned_end"]) == ("2026-03-02", "2026-04-10")
    # I-10: every event the state accepts and nothing recorded yet, the case-closing cancel
    # last; v3 hides the sending of the positions list until the list is approved, the end,
    # the note and the list while every date they could have is before the start (2 March,
    # today is 1 February), and offers the cartogram update because X is an akimat (I-7)
    assert view["warnings"] == [] and view["next_events"] == [
        "order", "start_announcement", "analysis_start", "discussion_announcement",
        "public_discussion", "cartogram_update", "cancel"]
    for stage in view["stages"]:
        assert {"key", "due", "projected", "status", "done_on"} <= stage.keys()
        assert (stage["status"], stage["done_on"]) == ("open", None)
    assert [s["key"] for s in view["stages"] if s["key"] in STAGE_ORDER] == STAGE_ORDER
    assert {s["key"]: (s["due"], s["projected"]) for s in view["stages"]
            if s["key"] in STAGE_ORDER} == {
        "order": ("2026-02-16", False),
        "start_announcement": ("2026-02-16", False),
        "discussion_announcement": ("2026-03-27", False),
        "public_discussion": ("2026-04-03", False),
        "analytic_note": ("2026-04-24", False),
        "positions_list": ("2026-04-24", False),
        "positions_sent": (None, False),  # I-6: no deadline in the sources
        "action_plan": ("2026-05-13", True),
        "publication": ("2026-05-18", True),
    }

    plan = ("analysis", "plan", "--subject", "X", "--object", "Y")
    default, long_ru = run_many(merzim_db, [
        ((*plan[:5], "X", "--start", "2026-03-02", "--json"), {"today": "2026-02-01"}),
        ((*plan, "--start", "2026-06-01", "--end", "2026-08-31"), {"today": "2026-02-01",
                                                                   "lang": "ru"}),
    ])
    default = ok_json(default)
    # I-4: the 30th working day counted from the start (Nauryz takes 23-25 March).
    assert default["planned_end"] == "2026-04-16"
    dues = {k: s["due"] for k, s in stages_by_key(default).items()}
    assert "analysis_end" not in dues  # v3: the end is a date, not a stage
    assert (dues["discussion_announcement"], dues["public_discussion"],
            dues["analytic_note"]) == ("2026-04-02", "2026-04-09", "2026-04-30")
    shown = ok(long_ru)  # longer than 30 working days: planned, with a warning
    assert CYRILLIC.search(shown) and "01.06.2026" in shown and "31.08.2026" in shown

    before = dump_tables(engine)
    decree = Path(write(tmp_path / "decree.toml", '[[calendar.days_off]]\ndate = 2026-04-08\n'
                                                  'reference = "Government resolution (test)"\n'))
    weekend = Path(write(tmp_path / "weekend.toml", '[[calendar.days_off]]\ndate = 2026-04-11\n'
                                                    'reference = "x"\n'))
    results = run_many(merzim_db, [
        ((*plan[:3], "NOPE", *plan[4:], "--start", "2026-03-02"), {}),
        ((*plan, "--start", "2026-03-02", "--end", "2026-02-27"), {}),
        ((*plan, "--start", "02.03.2026"), {}),
        ((*plan, "--start", "2099-03-02"), {}),
        (plan, {}),
        (("replan",), {"config": weekend}),
    ])
    for result, (code, *fragments) in zip(results, [
            (4, "NOPE"), (3, "2026-02-27", "2026-03-02"), (2, "02.03.2026"), (2, "2099"),
            (2, "--start"), (2, "2026-04-11")], strict=True):
        refused(result, code, *fragments)
    assert dump_tables(engine) == before

    # A decree makes Wednesday 8 April a day off: the operator adds it and re-plans.
    moved = ok_json(merzim_db("replan", "--json", today="2026-02-01", config=decree))["moved"]
    assert sorted((m["analysis"], m["stage"], m["old"], m["new"]) for m in moved) == [
        (view["id"], "discussion_announcement", "2026-03-27", "2026-03-26"),
        (view["id"], "public_discussion", "2026-04-03", "2026-04-02"),
        (default["id"], "discussion_announcement", "2026-04-02", "2026-04-01"),
    ]
    status, again = run_many(merzim_db, [
        (("status", str(view["id"]), "--json"), {"today": "2026-02-01", "config": decree}),
        (("replan", "--json"), {"today": "2026-02-01", "config": decree}),
    ])
    dues = {k: s["due"] for k, s in stages_by_key(ok_json(status)).items()}
    assert (dues["discussion_announcement"], dues["public_discussion"],
            dues["analytic_note"]) == ("2026-03-26", "2026-04-02", "2026-04-24")
    assert ok_json(again)["moved"] == []
    # The decree withdrawn: the deadlines move back.
    shown = ok(merzim_db("replan", today="2026-02-01"))
    assert "3 deadlines moved." in shown
    assert f"#{view['id']} discussion_announcement: 2026-03-26 → 2026-03-27" in shown


@needs("planning")  # the `merzim analysis` commands
def test_schedule_import_from_csv_and_xlsx_plans_every_row_and_a_bad_row_stores_nothing(
        merzim_db, engine, tmp_path):
    setup_orgs(merzim_db, tmp_path, "code,name,kind,parent\nS,Akimat S,akimat,\n"
                                    "S-A,Department A,department,S\nS-B,Department B,department,S\n"
                                    "S-C,Department C,department,S\nS-D,Department D,department,S\n")
    semicolons = write(tmp_path / "schedule.csv", "\ufeffSubject;Object;Start;End\n"
                                                  "S;S-A;2026-03-02;2026-04-10\n"
                                                  "S;S-B;2026-03-02;\n")
    planned = ok_json(merzim_db("analysis", "import", semicolons, "--json", today="2026-02-01"))
    assert [p["row"] for p in planned["planned"]] == [2, 3]
    # Blank rows (spreadsheets leave them) are skipped; rows keep their numbers in the file.
    # (Other objects: S-A's and S-B's analyses of the same period would be duplicates.)
    gaps = write(tmp_path / "gaps.csv", "subject,object,start,end\n\nS,S-C,2026-03-02,\n"
                                        " ,, ,\n,,,\nS,S-D,2026-03-02,\n\n")
    planned = ok_json(merzim_db("analysis", "import", gaps, "--json", today="2026-02-01"))
    assert [p["row"] for p in planned["planned"]] == [3, 6]
    xlsx = write_xlsx(tmp_path / "schedule.xlsx", [
        ["Subject", "Object", "Start", "End"],
        ["S", "S-A", date(2026, 6, 1), date(2026, 7, 10)],     # date cells
        ["S", "S-B", datetime(2026, 9, 1), None],               # a date-time cell, no end
        ["S", "S", "2026-10-01", "2026-11-06"],                 # dates typed as text
    ])
    assert "3 analyses planned." in ok(merzim_db("analysis", "import", xlsx, today="2026-02-01"))
    with engine.connect() as conn:  # the planned dates are stored as the case's given dates
        rows = conn.execute(text(
            "SELECT c.process, c.case_date, c.dates, s.due_date FROM process_case c JOIN stage s "
            "ON s.case_id = c.id AND s.key = 'analytic_note' ORDER BY c.id")).all()
    assert {r[0] for r in rows} == {"internal_risk_analysis"}
    given = [json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in rows]
    assert [str(r[1]) for r in rows] == [g["start"] for g in given]  # case_date: the start
    stored = [(g["start"], g["end"], str(r[3])) for g, r in zip(given, rows, strict=True)]
    assert stored == [("2026-03-02", "2026-04-10", "2026-04-24"),
                      ("2026-03-02", "2026-04-16", "2026-04-30"),
                      ("2026-03-02", "2026-04-16", "2026-04-30"),  # the two rows of gaps.csv
                      ("2026-03-02", "2026-04-16", "2026-04-30"),
                      ("2026-06-01", "2026-07-10", "2026-07-24"),
                      ("2026-09-01", "2026-10-12", "2026-10-27"),
                      ("2026-10-01", "2026-11-06", "2026-11-20")]

    # a fine row: no duplicate of what is planned above (S-A's analyses of 2026)
    header, fine = "subject,object,start,end\n", "S,S-A,2027-03-01,2027-04-09\n"
    bad_files = [
        (header + fine + "S,NOPE,2026-05-04,\n", 4, "Row 3", "NOPE"),
        (header + fine + "S,S-B,2026-05-04,2026-05-01\n", 3, "Row 3", "2026-05-01"),
        (header + "S,S-B,31.04.2026,\n" + fine, 2, "Row 2", "31.04.2026"),
        (header + fine + "S,S-B,2099-05-04,\n", 2, "Row 3", "2099"),
        ("subject,object,start\nS,S-A,2026-03-02\n", 2, "missing columns", "End of the analysis"),
        (header + "\n,,,\n" + fine + "S,NOPE,2026-05-04,\n", 4, "Row 5", "NOPE"),
        (header + '"S\n",S-A,2027-03-01,\n' + "S,S-B,2026-05-04,2026-05-01\n", 3, "Row 4",
         "2026-05-01"),
    ]
    bad_xlsx = write_xlsx(tmp_path / "bad-schedule.xlsx", [
        ["subject", "object", "start", "end"],
        ["S", "S-A", date(2027, 6, 1), date(2027, 7, 9)],
        [None, None, None, None],
        ["S", "S-B", date(2026, 6, 1), date(2026, 5, 29)],
    ])
    before = dump_tables(engine)
    files = [write(tmp_path / f"bad-schedule-{n}.csv", c[0]) for n, c in enumerate(bad_files)]
    results = run_many(merzim_db, [(("analysis", "import", f), {"today": "2026-02-01"})
                                   for f in [*files, bad_xlsx]])
    for result, (_, code, *fragments) in zip(results, bad_files, strict=False):
        refused(result, code, *fragments)
    refused(results[-1], 3, "Row 4", "2026-05-29")
    assert dump_tables(engine) == before


@needs("planning")  # the `merzim analysis` commands
def test_one_year_after_an_external_analysis_is_enforced_unless_overridden_with_a_reason(
        merzim_db, engine, tmp_path):
    setup_orgs(merzim_db, tmp_path)
    assert "2025-06-15" in ok(merzim_db("external", "add", "--subject", "X", "--completed",
                                        "2025-06-15", "--reference", "Agency report 12",
                                        today="2026-02-01"))
    before = dump_tables(engine)
    plan = ("analysis", "plan", "--subject", "X", "--object", "Y")
    day = {"today": "2026-02-01"}
    early, just_before, kk, future = run_many(merzim_db, [
        ((*plan, "--start", "2026-03-02"), day),
        ((*plan, "--start", "2026-06-12", "--end", "2026-07-10"), day),
        ((*plan, "--start", "2026-03-02"), {**day, "lang": "kk"}),
        (("external", "add", "--subject", "X", "--completed", "2026-02-02"), day),
    ])
    refused(early, 3, "2026-06-15", "2025-06-15", "--override-reason")
    refused(just_before, 3, "2026-06-15")
    assert CYRILLIC.search(refused(kk, 3, "2026-06-15"))
    refused(future, 3, "2026-02-02")
    assert dump_tables(engine) == before

    overridden = ok_json(merzim_db(*plan, "--start", "2026-03-02", "--override-reason",
                                   "Agency asked for a follow-up", "--json", **day))
    assert overridden["warnings"] == [{"code": "external_overridden", "earliest": "2026-06-15",
                                       "reason": "Agency asked for a follow-up"}]
    assert ok_json(merzim_db(*plan, "--start", "2026-06-15", "--json", **day))["warnings"] == []


# -- recording, the audit log ----------------------------------------------------------------------------


@needs("planning")  # the `merzim analysis` commands
@pytest.mark.slow
def test_officer_records_the_whole_analysis_then_the_audit_log_catches_an_edit(
        merzim_db, engine, tmp_path):
    setup_orgs(merzim_db, tmp_path)
    ok(merzim_db("user", "add", "aigerim", "--org", "X", "--name", "Aigerim Sadykova"))
    view = ok_json(merzim_db("analysis", "plan", "--subject", "X", "--object", "Y", "--start",
                             "2026-03-02", "--end", "2026-04-10", "--json", today="2026-02-01"))
    aid = str(view["id"])
    assert view["responsible"] == "aigerim"  # the subject's officer by default

    doc = ("--number", "15-ө", "--signed-by", "Head of apparatus")
    steps = [  # event, date, evidence, state after, {stage: (status, due, projected)}
        # recorded on the day: the state is that day's (I-11: planned until the start, in
        # progress from it, ended on the actual end)
        ("order", "2026-02-13", doc, "planned", {"order": ("done_on_time", "2026-02-16", False)}),
        ("start_announcement", "2026-02-17", ("--url", LINK), "planned",
         {"start_announcement": ("done_late", "2026-02-16", False)}),
        ("analysis_start", "2026-03-02", (), "in_progress", {}),
        ("discussion_announcement", "2026-03-27", ("--url", LINK), "in_progress",
         {"discussion_announcement": ("done_on_time", "2026-03-27", False)}),
        ("public_discussion", "2026-04-02", ("--number", "3", "--url", LINK), "in_progress",
         {"public_discussion": ("done_on_time", "2026-04-03", False)}),
        # Ends a working day late: the note and the list are re-planned from the actual end,
        # and so are the announcement (now due 30 March) and the discussion (6 April), both
        # still on time (I-12).
        ("analysis_end", "2026-04-13", (), "ended",
         {"discussion_announcement": ("done_on_time", "2026-03-30", False),
          "public_discussion": ("done_on_time", "2026-04-06", False),
          "analytic_note": ("open", "2026-04-27", False),
          "positions_list": ("open", "2026-04-27", False),
          "action_plan": ("open", "2026-05-14", True)}),
        ("analytic_note", "2026-04-27", doc, "note_signed",
         {"analytic_note": ("done_on_time", "2026-04-27", False),
          "action_plan": ("open", "2026-05-14", False),
          "publication": ("open", "2026-05-19", True)}),
        ("positions_list", "2026-04-30", doc, "note_signed",
         {"positions_list": ("done_late", "2026-04-27", False)}),
        ("positions_sent", "2026-05-04", ("--number", "01-17/45"), "note_signed",
         {"positions_sent": ("done_on_time", None, False)}),
        ("action_plan", "2026-05-14", doc, "plan_approved",
         {"action_plan": ("done_on_time", "2026-05-14", False),
          "publication": ("open", "2026-05-19", False)}),
        ("publication", "2026-05-20", ("--url", LINK), "published",
         {"publication": ("done_late", "2026-05-19", False)}),
    ]
    for event, on, evidence, state, expected in steps:
        args = ("record", aid, event, "--date", on, *evidence)
        if event == "analysis_start":  # the human form once
            shown = ok(merzim_db(*args, today=on))
            assert f"Recorded «Analysis started» (analysis_start) for case #{aid}." in shown
            # v3: what may be recorded next, prerequisites recorded, for an akimat's kind
            # by name, each with the command that records it
            nexts = ("discussion_announcement", "public_discussion", "analysis_end",
                     "analytic_note", "positions_list", "cartogram_update", "cancel")
            assert "Next: «Discussion date announced» (merzim record " in flat(shown)
            assert flat(shown).split("Next: ")[1].count("(merzim record") == len(nexts)
            for key in nexts:
                assert f"(merzim record {aid} {key})" in flat(shown), key
            assert "Warning" not in shown  # 2 March - 10 April: 28 working days
            continue
        current = ok_json(merzim_db(*args, "--json", today=on))  # recorded on the day
        assert current["state"] == state, event
        stages = stages_by_key(current)
        for key, want in expected.items():
            got = (stages[key]["status"], stages[key]["due"], stages[key]["projected"])
            assert got == want, (event, key)

    final, kk, overdue, twice, verified, verified_json = run_many(merzim_db, [
        (("status", aid, "--json"), {"today": "2026-06-30"}),
        (("status", aid), {"today": "2026-06-30", "lang": "kk"}),
        (("overdue", "--json"), {"today": "2026-06-30"}),
        (("record", aid, "positions_list", "--date", "2026-05-21", *doc), {"today": "2026-06-30"}),
        (("audit", "verify"), {}),
        (("audit", "verify", "--json"), {}),
    ])
    final = ok_json(final)
    assert final["state"] == "published" and "publication" not in final["next_events"]
    assert (final["actual_start"], final["actual_end"]) == ("2026-03-02", "2026-04-13")
    assert {k: (s["status"], s["done_on"]) for k, s in stages_by_key(final).items()
            if k in STAGE_ORDER} == {
        "order": ("done_on_time", "2026-02-13"),
        "start_announcement": ("done_late", "2026-02-17"),
        "discussion_announcement": ("done_on_time", "2026-03-27"),
        "public_discussion": ("done_on_time", "2026-04-02"),
        "analytic_note": ("done_on_time", "2026-04-27"),
        "positions_list": ("done_late", "2026-04-30"),
        "positions_sent": ("done_on_time", "2026-05-04"),
        "action_plan": ("done_on_time", "2026-05-14"),
        "publication": ("done_late", "2026-05-20"),
    }
    evidence = {k: s["evidence"] for k, s in stages_by_key(final).items()}
    assert evidence["order"] == {"date": "2026-02-13", "number": "15-ө",
                                 "signed_by": "Head of apparatus"}
    assert evidence["publication"] == {"date": "2026-05-20", "url": LINK}
    assert CYRILLIC.search(ok(kk))
    assert [r for r in ok_json(overdue)["overdue"] if r["stage"] in STAGE_ORDER] == []
    refused(twice, 3, "Positions list approved", "2026-04-30")

    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        plan_id = conn.execute(text("SELECT id FROM audit_log WHERE action = 'case.open'")
                               ).scalar_one()
    assert f"{count} records checked" in ok(verified)
    report = ok_json(verified_json)
    checkpoint = report.pop("checkpoint")  # the head file next to a SQLite database
    assert report.pop("files") == {"checked": 0, "problems": [], "voided": 0,
                                   "void_content_removed": 0}  # no evidence file
    assert report.pop("facts") == []  # no register fact repeated or altered
    assert report == {"ok": True, "checked": count, "first_bad_id": None, "problem": None}
    assert (checkpoint or "").endswith(".audit-head") == (engine.dialect.name == "sqlite")
    with engine.begin() as conn:  # someone moves the planned end in the log, behind its back
        conn.execute(text("UPDATE audit_log SET payload = replace(payload, '2026-04-10', "
                          "'2026-05-10') WHERE id = :id"), {"id": plan_id})
    human, as_json = run_many(merzim_db, [(("audit", "verify"), {}),
                                          (("audit", "verify", "--json"), {})])
    refused(human, 3, f"record {plan_id}", "hash")
    refused(as_json, 3, f"record {plan_id}", stdout=True)
    report = json.loads(as_json.stdout)
    assert (report["ok"], report["first_bad_id"]) == (False, plan_id)


@needs("planning")  # the `merzim analysis` commands
def test_refused_records_and_lookups_exit_with_their_code_and_change_nothing(
        merzim_db, engine, tmp_path):
    setup_orgs(merzim_db, tmp_path)
    aid = str(ok_json(merzim_db("analysis", "plan", "--subject", "X", "--object", "Y",
                                "--start", "2026-03-02", "--end", "2026-04-10", "--json",
                                today="2026-02-01"))["id"])
    ok(merzim_db("record", aid, "order", "--date", "2026-02-06", "--number", "15-ө",
                 "--signed-by", "Head", today="2026-02-10"))
    before = dump_tables(engine)
    announce = ("record", aid, "start_announcement")
    cases = [
        # a hard prerequisite missing (I-10): plan approval before the note; the state (planned
        # until the start) accepts the note, not the plan
        (("record", aid, "action_plan", "--date", "2026-02-09", "--number", "1",
          "--signed-by", "Head"), {}, 3, ("Action plan approved", "Analytic note signed", "first")),
        (("record", "9999", "start_announcement", "--date", "2026-02-09", "--url", LINK), {}, 4,
         ("9999",)),
        ((*announce, "--date", "2026-02-30", "--url", LINK), {}, 2, ("2026-02-30",)),
        ((*announce, "--date", "2026-02-09"), {}, 3, ("Start announced", "link")),
        ((*announce, "--date", "2026-02-09", "--url", "www.gov.kz/news"), {}, 3,
         ("www.gov.kz/news",)),
        ((*announce, "--date", "2026-02-11", "--url", LINK), {}, 3, ("2026-02-11", "2026-02-10")),
        # recorded once only (an announcement before the order is accepted now, see below)
        (("record", aid, "order", "--date", "2026-02-09", "--number", "16", "--signed-by",
          "Head"), {}, 3, ("Order approved", "already", "2026-02-06")),
        # an actual end before the (planned) start
        (("record", aid, "analysis_end", "--date", "2026-02-09"), {}, 3,
         ("2026-02-09", "2026-03-02")),
        # an event the process does not have: a usage error naming the events it has
        (("record", aid, "announce", "--date", "2026-02-09"), {}, 2,
         ("announce", "«Order approved» (order)", "«Start announced» (start_announcement)")),
        (("record", aid, "cancel", "--date", "2026-02-09"), {}, 3, ("Analysis cancelled", "note")),
        (("record", aid, "start_announcement", "--url", LINK), {}, 2, ("--date",)),
        (("--lang", "de", "status", aid), {}, 2, ("kk, ru or en",)),
        (("record", aid, "action_plan", "--date", "2026-02-09", "--number", "1",
          "--signed-by", "Head"), {"lang": "ru"}, 3, ("План мероприятий утверждён",)),
        (("status", "9999"), {"lang": "kk"}, 4, ("9999",)),
    ]
    results = run_many(merzim_db, [(args, {"today": "2026-02-10", **kw})
                                   for args, kw, _, _ in cases])
    for result, (_, kw, code, fragments) in zip(results, cases, strict=True):
        line = refused(result, code, *fragments)
        if kw.get("lang"):
            assert CYRILLIC.search(line), line
    assert dump_tables(engine) == before

    # 000:L275-277: the start may be announced before the order (I-10): accepted, on time
    shown = ok_json(merzim_db(*announce, "--date", "2026-02-05", "--url", LINK, "--json",
                              today="2026-02-10"))
    assert (stages_by_key(shown)["start_announcement"]["status"],
            stages_by_key(shown)["start_announcement"]["done_on"]) == ("done_on_time",
                                                                       "2026-02-05")
    assert shown["state"] == "planned" and "start_announcement" not in shown["next_events"]

    # A missed stage is closed as not done, a wrong record is voided, each with its reason;
    # refusals first (nothing changes)
    before = dump_tables(engine)
    day = {"today": "2026-02-10"}
    results = run_many(merzim_db, [
        (("record", aid, "discussion_announcement", "--not-done"), day),
        (("record", aid, "order", "--not-done", "--note", "Signed late"), day),
        (("void", aid, "publication", "--note", "Typed for the wrong analysis"), day),
        (("void", aid, "order", "--note", "   "), day),
    ])
    for result, (code, *fragments) in zip(results, [
            (2, "reason"), (3, "Order approved", "not open"), (3, "Note and plan published"),
            (2, "reason")],
            strict=True):
        refused(result, code, *fragments)
    assert dump_tables(engine) == before
    closed = ok_json(merzim_db("record", aid, "discussion_announcement", "--not-done", "--note",
                               "The results were not announced", "--json", **day))
    assert stages_by_key(closed)["discussion_announcement"]["status"] == "not_done"
    assert stages_by_key(closed)["discussion_announcement"]["evidence"] == {
        "date": "2026-02-10", "note": "The results were not announced"}
    shown = ok(merzim_db("void", aid, "start_announcement", "--note",
                         "The link was of another analysis", **day))
    assert f"Record «Start announced» (start_announcement) of case #{aid} voided." in shown
    voided = ok_json(merzim_db("status", aid, "--json", **day))
    assert stages_by_key(voided)["start_announcement"]["status"] == "open"  # due 16 February
    assert [(r["kind"], r["event"], r["void"]) for r in voided["records"]] == [
        ("event", "order", False), ("event", "start_announcement", True),
        ("not_done", "discussion_announcement", False), ("void", "start_announcement", False)]
    assert "start_announcement" in voided["next_events"]

    # Cancelling (with its reason) closes every open stage: nothing of it is overdue any more.
    cancelled = ok_json(merzim_db("record", aid, "cancel", "--date", "2026-02-10", "--note",
                                  "Object reorganised", "--json", today="2026-02-10"))
    assert cancelled["state"] == "cancelled" and cancelled["next_events"] == []
    assert {s["key"]: s["status"] for s in cancelled["stages"]
            if s["key"] in ("order", "start_announcement", "discussion_announcement")} == {
        "order": "done_on_time", "start_announcement": "not_applicable",
        "discussion_announcement": "not_done"}  # closed as not done before the cancel
    assert {s["status"] for s in cancelled["stages"]} == {"done_on_time", "not_applicable",
                                                          "not_done"}
    after, again = run_many(merzim_db, [
        (("overdue", "--json"), {"today": "2026-03-31"}),
        (("record", aid, "discussion_announcement", "--date", "2026-02-10", "--url", LINK),
         {"today": "2026-02-10"}),
    ])
    assert ok_json(after)["overdue"] == []
    refused(again, 3, "closed", "Cancelled")

"""The commands after the note, end to end: the installed `merzim` run as a subprocess on SQLite
and PostgreSQL. `score` on the demo; the action plan's import (refused whole, row named) and
export; the monitoring periods and reports; recommendation statuses; positions; external plans.

Every refusal exits with its documented code (2 usage, 3 refused by the rules, 4 not found),
writes one line on stderr and leaves the database as it was. Stories, not one command per test:
each command costs a process start. The set-up before the commands under test goes through the
service layer in-process, on the same database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support.cli_runner import ok, ok_json, run_many, write_xlsx
from tests.support.databases import dump_tables
from tests.support.features import installed, module_of, needs
from workflow import services as svc
from workflow.storage.db import session as open_session

KEYS = ["1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "1.2.3", "1.3.1", "1.3.2", "1.3.3",
        "1.3.3-risks", "1.4.1", "1.4.1-penalty", "1.5.1"]

planning_svc = module_of("planning", "service")  # the analyses are planned by it
HEADER = ["measure", "completion_form", "deadline", "responsible", "person", "recommendation"]
SUBDIVISION = "Pre-school education department"
DOC = {"number": "15-ө", "signed_by": "Akim"}
LINK = {"url": "https://gov.kz/memleket/entities/x/press/news/1"}


# -- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")


def refused(result, code: int, *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == "", result.stdout
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def read_xlsx(path: Path) -> list[tuple]:
    return list(load_workbook(path, data_only=True).active.iter_rows(values_only=True))


def flat(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture
def noted(engine, make_ctx):
    """Akimat X with its department Y; an analysis of Y whose note was signed on 20 Nov 2025."""
    ctx = make_ctx(date(2026, 1, 10))
    with open_session(engine) as s:
        svc.add_org(s, ctx, "X", "Akimat X", "akimat")
        svc.add_org(s, ctx, "X-EDU", "Education department", "department", "X")
        svc.add_org(s, ctx, "X-HLTH", "Health department", "department", "X")
        svc.add_org(s, ctx, "M", "Ministry M", "central_body")
        aid = planning_svc.plan_analysis(s, ctx, "X", "X-EDU", date(2025, 10, 1), date(2025, 11, 10)
                                ).analysis.id
        other = planning_svc.plan_analysis(s, ctx, "X", "X-HLTH", date(2025, 10, 1), date(2025, 11, 10)
                                  ).analysis.id
        for event, on, evidence in [("order", date(2025, 9, 15), DOC),
                                    ("start_announcement", date(2025, 9, 16), LINK),
                                    ("analysis_start", date(2025, 10, 1), {}),
                                    ("discussion_announcement", date(2025, 10, 20), LINK),
                                    ("public_discussion", date(2025, 10, 30), {"number": "3", **LINK}),
                                    ("analysis_end", date(2025, 11, 10), {}),
                                    ("analytic_note", date(2025, 11, 20), DOC)]:
            svc.record_event(s, ctx, aid, event, on, dict(evidence))
        s.commit()
    return {"id": str(aid), "other": str(other)}


# -- score -------------------------------------------------------------------------------------------


@needs("scorecard")
def test_score_of_a_ministry_and_its_subtree_in_three_languages(merzim_db, engine, make_ctx,
                                                                tmp_path):
    """The recorded ministry of tests/support/score_helpers.py (hand-computed in
    tests/scorecard/test_scorecard.py):
    6 subdivisions, 3 analysed, 3 never; the subtree's subjects; words in kk, ru and en; the XLSX
    table."""
    from tests.support.score_helpers import RECORDED_TREE, TODAY, record_ministry

    record_ministry(engine, make_ctx(TODAY))
    day = {"today": TODAY.isoformat()}
    xlsx = tmp_path / "score.xlsx"
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text('[scorecard]\nsteps = "round"\n', encoding="utf-8")
    one, ru_json, kk_json, tree, en, ru, kk, kk_tree, written, *refusals = run_many(merzim_db, [
        (("score", "MF", "--year", "2025", "--json"), day),
        (("score", "MF", "--year", "2025", "--json"), {**day, "lang": "ru"}),
        (("score", "MF", "--year", "2025", "--json"), {**day, "lang": "kk"}),
        (("score", "MF", "--year", "2025", "--subtree", "--json"), day),
        (("score", "MF", "--year", "2025"), {**day, "env": {"COLUMNS": "400"}}),
        (("score", "MF", "--year", "2025"), {**day, "lang": "ru"}),
        (("score", "MF", "--year", "2025"), {**day, "lang": "kk"}),
        (("score", "MF", "--year", "2025", "--subtree"), {**day, "lang": "kk"}),
        (("score", "MF", "--year", "2025", "--subtree", "--file", str(xlsx)), day),
        (("score", "NOPE", "--year", "2025"), day),
        (("score", "MF", "--year", "abc"), day),
        (("score", "MF", "--year", "2025", "--as-of", "2025-13-01"), day),
        (("score", "MF", "--year", "2025"), {**day, "config": bad_config}),
    ])
    card = ok_json(one)
    # the whole evaluation: project No. 1 as before (7.6), and the registers of
    # projects No. 2-4 hold nothing: 2.5.4's yearly report of 2025 was not submitted by
    # Monday 2 February 2026 (B-4) -> -5; every other indicator 0 -> total 2.6
    assert (card["subject"], card["year"], card["as_of"], card["total"]) == (
        "MF", 2025, "2026-03-02", 2.6)
    assert [(p["project"], p["awards"], p["deductions"], p["subtotal"])
            for p in card["projects"]] == [(1, 17.6, -10, 7.6), (2, 0, -5, -5), (3, 0, 0, 0),
                                           (4, 0, 0, 0)]
    assert [i["key"] for i in card["indicators"] if i["project"] == 1] == KEYS
    start = next(i for i in card["indicators"] if i["key"] == "1.1.3")
    assert start["inputs"]["units"] == 6 and start["inputs"]["done"] == 3
    assert start["text"] == ("3 of 6 subdivisions announced the start (50 %) → 5 steps of 10 % → "
                             "1.5 points")

    subtree = ok_json(tree)
    assert (subtree["org"], subtree["year"]) == ("MF", 2025)
    # one entry per subject under MF (the apparatus's departments are subdivisions, not subjects)
    assert {c["subject"]: c["projects"][0]["subtotal"] for c in subtree["subjects"]} == {
        "MF": 7.6, "MF-K": 5.5, "MF-K-T1": 26.0, "MF-K-T2": -30.0, "MF-QS": -30.0}
    # each subject's report of 2025 is missing too: -5 each
    assert {c["subject"]: c["total"] for c in subtree["subjects"]} == {
        "MF": 2.6, "MF-K": 0.5, "MF-K-T1": 21.0, "MF-K-T2": -35.0, "MF-QS": -35.0}
    for c in subtree["subjects"]:
        assert [i["key"] for i in c["indicators"] if i["project"] == 1] == KEYS, c["subject"]
        assert all(i["title"] and i["text"] for i in c["indicators"])

    english = flat(ok(en))
    assert "Evaluation of projects No. 1–4: Ministry, 2025" in english
    assert ("3 of 6 subdivisions announced the start (50 %) → 5 steps of 10 % → 1.5 points"
            in english)
    assert "Awards 17.6, deductions −15, total 2.6." in english
    assert "Sources: [1] 001:L27–33" in english
    assert "=" not in english

    names = [n for _c, n, _k, _p in RECORDED_TREE]
    for lang, output, words, phrase in (
            ("ru", ru, ru_json, "Объявили о начале анализа: 3 из 6 подразделений (50 %) → "
                                "5 шагов по 10 % → 1,5 балла"),
            ("kk", kk, kk_json, "Талдаудың басталғаны туралы хабарлағандар: 6 бөлімшеден 3 "
                                "(50 %) → 10 %-дан 5 қадам → 1,5 балл")):
        texts = {i["key"]: i["text"] for i in ok_json(words)["indicators"]}
        assert texts["1.1.3"] == phrase
        text = flat(ok(output))
        # no English indicator text, no raw key=value: once the names, codes and source lines
        # are taken out, not a Latin letter is left
        rest = text
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(f"{name} ({lang})", "")
        # a name the table wrapped over two lines (the units an indicator names) is cut into
        # words between other cells: its words and its language mark are names too
        name_words = {w for n in names for w in n.replace(",", " ").split()} | {f"({lang})"}
        rest = " ".join(w for w in rest.split() if w.strip(",.;:") not in name_words)
        # ISO 37001 and the Documentolog system are names (3.3.1, 4.2.2)
        rest = re.sub(r"MF[-A-Z0-9]*|\d{3}:L[\d–]+|I-7|ISO|Documentolog", "", rest)
        assert not re.search(r"[A-Za-z=]", rest), (lang, re.findall(r"\S*[A-Za-z=]\S*", rest))
    kk_table = flat(ok(kk_tree))
    assert "аумақтық департамент" in kk_table and "2025-03-02" not in kk_table

    ok(written)
    rows = read_xlsx(xlsx)
    assert len(rows) == 6  # the header and 5 subjects
    assert rows[1][:3] == ("MF", "Ministry", "central state body")
    # the projects' subtotals, then awards, deductions, total and status
    assert rows[1][-8:] == (7.6, -5, 0, 0, 17.6, -15, 2.6, "final")
    refused(refusals[0], 4, "NOPE")
    refused(refusals[1], 2, "--year")
    refused(refusals[2], 2, "--as-of")
    refused(refusals[3], 2, "scorecard.steps")


@needs("scorecard")
def test_score_on_the_demo_counts_the_akimats_subdivisions(merzim_db):
    today = "2026-06-01"
    ok_json(merzim_db("init", "--demo", "--json", today=today))
    result = ok_json(merzim_db("score", "AK-ALM", "--year", "2026", "--subtree", "--json",
                               today=today))
    subjects = [c["subject"] for c in result["subjects"]]
    assert "AK-ALM" in subjects and "AK-ALM-APP" not in subjects  # the apparatus is a subdivision
    akimat = next(c for c in result["subjects"] if c["subject"] == "AK-ALM")
    start = next(i for i in akimat["indicators"] if i["key"] == "1.1.3")
    assert start["inputs"]["units"] == 3  # the akim's apparatus, education and health (001:L181-185)
    assert akimat["provisional_until"] is not None  # 2026 is not over


# -- the action plan ----------------------------------------------------------------------------------


def test_an_office_russian_plan_is_imported_as_it_is(merzim_db, engine, noted, tmp_path):
    """The office's own action plan: a "№ п/п" and a phone column, Russian headings in any
    case, a deadline as dd.mm.yyyy: imported, the columns not read named; a heading no column
    has refused in Russian, nothing stored."""
    aid, day = noted["id"], {"today": "2026-05-01"}
    ok(merzim_db("org", "subdivision", "X-EDU", SUBDIVISION, **day))
    header = ["№ п/п", "МЕРОПРИЯТИЕ", "Форма завершения", "Срок исполнения",
              "Ответственное подразделение", "Телефон"]
    rows = [["1", "Перевести распределение мест в электронную очередь", "Приказ", "30.06.2026",
             SUBDIVISION, "+7 727 252 10 10"]]
    wrong = write_xlsx(tmp_path / "plan-wrong.xlsx", [[*header, "Примечание"], [*rows[0], ""]])
    before = dump_tables(engine)
    refused(merzim_db("plan", "import", aid, wrong, lang="ru", **day), 2, "Примечание")
    assert dump_tables(engine) == before
    run = merzim_db("plan", "import", aid, write_xlsx(tmp_path / "план.xlsx", [header, *rows]),
                    "--json", lang="ru", **day)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["imported"] == 1
    assert "“№ п/п”, “Телефон”" in run.stderr
    out = tmp_path / "out.csv"
    ok(merzim_db("plan", "export", aid, str(out)))
    exported = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert exported[1][:4] == [rows[0][1], "Приказ", "2026-06-30", SUBDIVISION]


def test_plan_import_refuses_bad_files_whole_and_round_trips_a_good_one(merzim_db, engine, noted,
                                                                        tmp_path):
    aid, other = noted["id"], noted["other"]
    day = {"today": "2026-05-01"}
    ok(merzim_db("org", "subdivision", "X-EDU", SUBDIVISION, **day))
    risk = ok_json(merzim_db("risk", "add", aid, "--description", "Manual allocation of places",
                             "--process", "Queue", "--subdivision", SUBDIVISION, "--json", **day))
    rec = ok_json(merzim_db("recommendation", "add", str(risk["id"]), "--text", "Use the e-queue",
                            "--json", **day))
    assert rec == {"id": rec["id"], "risk": risk["id"], "status": "not_started"}
    foreign_risk = ok_json(merzim_db("risk", "add", other, "--description", "Other", "--json", **day))
    foreign = ok_json(merzim_db("recommendation", "add", str(foreign_risk["id"]), "--text", "x",
                                "--json", **day))["id"]

    good = ["Move allocation to the e-queue", "Order of the head", datetime(2026, 3, 31),
            SUBDIVISION, "A. Seitov", rec["id"]]
    second = ["Train the staff", "Letter", "2026-06-30", "x-edu", None, None]
    bad = {
        "deadline": [HEADER, good, ["Train", "Letter", "31.02.2026", SUBDIVISION, None, None]],
        "measure": [HEADER, good, second, [None, "Letter", "2026-06-30", SUBDIVISION, None, None]],
        "subdivision": [HEADER, good, second, ["Train", "Letter", "2026-06-30", "Health department"]],
        "foreign": [HEADER, ["Train", "Letter", "2026-06-30", SUBDIVISION, None, foreign]],
        "columns": [["measure", "completion_form", "responsible"], ["Train", "Letter", SUBDIVISION]],
    }
    files = {k: write_xlsx(tmp_path / f"bad-{k}.xlsx", rows) for k, rows in bad.items()}
    before = dump_tables(engine)
    results = run_many(merzim_db, [(("plan", "import", aid, files[k]), day)
                                   for k in bad] + [
        (("plan", "import", files["deadline"]), day),
        (("plan", "import", aid, str(tmp_path / "none.xlsx")), day),
        (("plan", "import", "9999", files["deadline"]), day)])
    refused(results[0], 2, "Row 3:", "'31.02.2026' is not a date")
    refused(results[1], 2, "Row 4:", "measure must not be empty")
    refused(results[2], 3, "Row 4:", "'Health department' is not a subdivision of X-EDU")
    refused(results[3], 4, "Row 2:", f"No recommendation {foreign}")
    refused(results[4], 2, "missing columns: Deadline")
    refused(results[5], 2)
    refused(results[6], 2, "none.xlsx")
    refused(results[7], 4, "9999")
    assert dump_tables(engine) == before
    empty = tmp_path / "empty.xlsx"
    assert ok_json(merzim_db("plan", "export", aid, str(empty), "--json")) == {
        "file": str(empty), "rows": 0}
    assert read_xlsx(empty) == [tuple(HEADER)]

    imported = ok_json(merzim_db("plan", "import", aid,
                                 write_xlsx(tmp_path / "plan.xlsx", [HEADER, good, second]),
                                 "--json", **day))
    assert imported["imported"] == 2
    ids = imported["ids"]
    out = tmp_path / "out.xlsx"
    exported, as_csv, status = run_many(merzim_db, [
        (("plan", "export", aid, str(out)), {}),
        (("plan", "export", aid, str(tmp_path / "out.csv")), {}),
        (("status", aid, "--json"), day)])
    assert f"2 plan measures written to {out}" in flat(ok(exported))
    assert read_xlsx(out) == [
        tuple(HEADER),
        ("Move allocation to the e-queue", "Order of the head", datetime(2026, 3, 31), SUBDIVISION,
         "A. Seitov", rec["id"]),
        ("Train the staff", "Letter", datetime(2026, 6, 30), "X-EDU", None, None)]
    ok(as_csv)
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        HEADER,
        ["Move allocation to the e-queue", "Order of the head", "2026-03-31", SUBDIVISION,
         "A. Seitov", str(rec["id"])],
        ["Train the staff", "Letter", "2026-06-30", "X-EDU", "", ""]]
    stages = {s["key"]: s for s in ok_json(status)["stages"]}
    assert (stages[f"plan_item:{ids[0]}"]["due"], stages[f"plan_item:{ids[0]}"]["status"]) == (
        "2026-03-31", "overdue")
    assert (stages[f"plan_item:{ids[1]}"]["due"], stages[f"plan_item:{ids[1]}"]["status"]) == (
        "2026-06-30", "open")
    # the exported file imports again (here into the other analysis, without the recommendation)
    rows = read_xlsx(out)
    again = write_xlsx(tmp_path / "again.xlsx", [list(rows[0])] + [
        list(r[:3]) + ["X-HLTH"] + list(r[4:5]) + [None] for r in rows[1:]])
    assert ok_json(merzim_db("plan", "import", other, again, "--json",
                             **day))["imported"] == 2

    # the fulfilment rule on the command line
    rid = str(rec["id"])
    wrong, missing, future = run_many(merzim_db, [
        (("recommendation", "status", rid, "fulfilled", "--date", "2026-04-08", "--form", "Letter",
          "--number", "45"), day),
        (("recommendation", "status", rid, "fulfilled", "--date", "2026-04-08", "--form",
          "Order of the head"), day),
        (("recommendation", "status", rid, "in_progress", "--date", "2026-05-02"), day)])
    refused(wrong, 3, "Order of the head", "'Letter'")
    refused(missing, 3, "number/url")
    refused(future, 3, "future")
    done = ok_json(merzim_db("recommendation", "status", rid, "fulfilled", "--date", "2026-04-08",
                             "--form", "Order of the head", "--number", "45-ө", "--json", **day))
    assert done == {"id": rec["id"], "status": "fulfilled", "on": "2026-04-08"}
    # the measure it serves is done (late: due 31 March), in `status` and out of `overdue`
    status, late = run_many(merzim_db, [(("status", aid, "--json"), day),
                                        (("overdue", "--org", "X", "--json"), day)])
    stages = {s["key"]: s for s in ok_json(status)["stages"]}
    assert (stages[f"plan_item:{ids[0]}"]["status"], stages[f"plan_item:{ids[0]}"]["done_on"]) \
        == ("done_late", "2026-04-08")
    assert f"plan_item:{ids[0]}" not in {r["stage"] for r in ok_json(late)["overdue"]}
    shown = ok(merzim_db("recommendation", "status", rid, "not_fulfilled", "--date", "2026-04-09",
                         **day))
    assert f"Recommendation #{rid}: not_fulfilled on 2026-04-09" in flat(shown)


# -- monitoring ------------------------------------------------------------------------------------------


def test_monitoring_periods_reports_and_reviews(merzim_db, engine, noted):
    aid = noted["id"]
    periods = ok_json(merzim_db("monitoring", "periods", aid, "--json"))
    # the acceptance case (I-8 from version 5): note signed Thu 20 Nov 2025; quarters
    # counted from it, [20 Nov, 19 Feb], [20 Feb, 19 May], [20 May, 19 Aug], [20 Aug, 19 Nov 2026];
    # reports by the 5th of the month after: Thu 5 Mar, Fri 5 Jun, Sat 5 Sep -> Mon 7 Sep,
    # Sat 5 Dec -> Mon 7 Dec 2026
    assert periods == {"analysis": int(aid), "periods": [
        {"period": p, "report_due": due, "received_on": None, "review_due": None,
         "reviewed_on": None}
        for p, due in [("2025N1", "2026-03-05"), ("2025N2", "2026-06-05"), ("2025N3", "2026-09-07"),
                       ("2025N4", "2026-12-07")]]}

    view = ok_json(merzim_db("record", aid, "monitoring_report", "--period", "2025N1", "--date",
                             "2026-01-05", "--json", today="2026-01-06"))
    stages = {s["key"]: s for s in view["stages"]}
    assert (stages["monitoring_report:2025N1"]["status"],
            stages["monitoring_report:2025N1"]["done_on"]) == ("done_on_time", "2026-01-05")
    # 6, (7 off) 8, 9, 12, 13 January
    assert (stages["monitoring_review:2025N1"]["due"],
            stages["monitoring_review:2025N1"]["status"]) == ("2026-01-13", "open")
    ok(merzim_db("record", aid, "monitoring_report", "--period", "2025N2", "--date", "2026-03-20",
                 today="2026-03-20"))

    before = dump_tables(engine)
    day = {"today": "2026-04-02"}
    results = run_many(merzim_db, [
        (("record", aid, "monitoring_report", "--period", "2025Q3", "--date", "2026-01-05"), day),
        (("record", aid, "monitoring_report", "--period", "2025N1", "--date", "2026-01-06"), day),
        (("record", aid, "monitoring_review", "--period", "2025N3", "--date", "2026-04-01"), day),
        (("record", aid, "monitoring_review", "--period", "2025N1", "--date", "2026-01-02"), day),
        (("record", aid, "monitoring_report", "--period", "2025N3", "--date", "2026-04-03"), day),
        (("record", aid, "monitoring_report", "--date", "2026-04-01"), day),
        (("record", aid, "monitoring_report", "--period", "2025N3", "--date", "2026-03-31"), day),
        (("monitoring", "periods", "9999"), {}),
    ])
    refused(results[0], 3, "No reporting period 2025Q3", "2025N1, 2025N2, 2025N3, 2025N4")
    refused(results[1], 3, "already recorded")
    refused(results[2], 3, "2025N3", "not been received")
    refused(results[3], 3, "2026-01-02", "2026-01-05")
    refused(results[4], 3, "future")
    refused(results[5], 3, "period")
    refused(results[6], 3, "2025N3", "before the period starts")
    refused(results[7], 4, "9999")
    assert dump_tables(engine) == before

    ok(merzim_db("record", aid, "monitoring_review", "--period", "2025N1", "--date", "2026-01-14",
                 today="2026-01-14"))
    periods, shown, overdue = run_many(merzim_db, [
        (("monitoring", "periods", aid, "--json"), {}),
        (("monitoring", "periods", aid), {}),
        (("overdue", "--org", "X", "--json"), {"today": "2026-04-02"})])
    rows = ok_json(periods)["periods"]
    assert rows[0] == {"period": "2025N1", "report_due": "2026-03-05", "received_on": "2026-01-05",
                       "review_due": "2026-01-13", "reviewed_on": "2026-01-14"}
    # received on Fri 20 March: (23-25 March Nauryz) 26, 27, 30, 31 March, 1 April
    assert rows[1] == {"period": "2025N2", "report_due": "2026-06-05", "received_on": "2026-03-20",
                       "review_due": "2026-04-01", "reviewed_on": None}
    assert rows[2]["received_on"] is None and rows[2]["review_due"] is None
    text = flat(ok(shown).replace("│", " "))
    for fragment in ("Period", "Report due", "Received", "Review due", "Reviewed",
                     "2025N1 2026-03-05 2026-01-05 2026-01-13 2026-01-14",
                     "2025N2 2026-06-05 2026-03-20 2026-04-01 —",
                     "2025N3 2026-09-07 — — —"):
        assert fragment in text, fragment
    late = [(r["analysis"], r["stage"], r["due"]) for r in ok_json(overdue)["overdue"]
            if r["stage"].startswith("monitoring")]
    assert late == [(int(aid), "monitoring_review:2025N2", "2026-04-01")]


# -- positions and external analyses ------------------------------------------------------------------


def test_positions_export_and_an_external_plan(merzim_db, engine, noted, tmp_path):
    aid, other = noted["id"], noted["other"]
    day = {"today": "2026-01-10"}
    first = ok_json(merzim_db("positions", "add", aid, "--position", "Chief specialist, admissions",
                              "--subdivision", SUBDIVISION, "--risk", "Manual allocation",
                              "--json", **day))
    assert first["position"] == "Chief specialist, admissions"
    assert "added to the list" in ok(merzim_db("positions", "add", other, "--position",
                                               "Head of procurement", "--subdivision",
                                               "Procurement", "--risk", "Collusion", **day))
    ok(merzim_db("record", aid, "positions_list", "--date", "2025-11-24", "--number", "17-ө",
                 "--signed-by", "Akim", **day))
    xlsx = tmp_path / "positions.xlsx"
    listed, in_m, written, missing, empty = run_many(merzim_db, [
        (("positions", "export", "X", "--json"), {}),
        (("positions", "export", "M", "--json"), {}),
        (("positions", "export", "X", str(xlsx)), {}),
        (("positions", "export", "NOPE"), {}),
        (("positions", "add", aid, "--position", " ", "--subdivision", "S", "--risk", "R"), day)])
    rows = ok_json(listed)
    assert rows["org"] == "X"
    # the stage that approves the list is the one the analysis's `[scorecard]` table names
    approved = "2025-11-24" if installed("scorecard") else None
    assert [(r["organisation"], r["analysis"], r["position"], r["subdivision"], r["risk"],
             r["approved_on"]) for r in rows["positions"]] == [
        ("X", int(aid), "Chief specialist, admissions", SUBDIVISION, "Manual allocation",
         approved),
        ("X", int(other), "Head of procurement", "Procurement", "Collusion", None)]
    assert ok_json(in_m) == {"org": "M", "positions": []}
    assert "Head of procurement" in flat(ok(written))
    # headed in the reader's language; a risk named in words has no number in the note
    assert read_xlsx(xlsx) == [
        ("Organisation", "Analysis", "Position", "Subdivision", "Risk No. in the note",
         "Corruption risk", "List approved on"),
        ("Akimat X", int(aid), "Chief specialist, admissions", SUBDIVISION, None,
         "Manual allocation", datetime(2025, 11, 24) if approved else None),
        ("Akimat X", int(other), "Head of procurement", "Procurement", None, "Collusion", None)]
    refused(missing, 4, "NOPE")
    refused(empty, 2, "position")

    # an external analysis of the ministry: its own risk, recommendation and plan
    ext = ok_json(merzim_db("external", "add", "--subject", "M", "--completed", "2025-06-15",
                            "--json", **day))["id"]
    risk = ok_json(merzim_db("risk", "add", "--external", str(ext), "--description",
                             "Discretion in refunds", "--json", **day))["id"]
    rec = ok_json(merzim_db("recommendation", "add", str(risk), "--text", "Automate", "--json",
                            **day))["id"]
    plan = write_xlsx(tmp_path / "ext.xlsx", [HEADER, ["Automate refunds", "Order of the minister",
                                                       "2025-12-31", "Ministry M", None, rec]])
    both, neither = run_many(merzim_db, [
        (("risk", "add", aid, "--external", str(ext), "--description", "x"), day),
        (("plan", "import", plan), day)])
    refused(both, 2)
    refused(neither, 2)
    assert ok_json(merzim_db("plan", "import", plan, "--external", str(ext), "--json",
                             **day))["imported"] == 1
    out = tmp_path / "ext-out.xlsx"
    ok(merzim_db("plan", "export", str(out), "--external", str(ext)))
    assert read_xlsx(out)[1] == ("Automate refunds", "Order of the minister", datetime(2025, 12, 31),
                                 "Ministry M", None, rec)
    ok(merzim_db("recommendation", "status", str(rec), "fulfilled", "--date", "2026-01-09",
                 "--form", "Order of the minister", "--url", "https://adilet.zan.kz/1", **day))
    # the ministry's 2026 scorecard evaluates that plan: 1 of 1 = 100 % x 0.3 = 30
    ok(merzim_db("programme", "schedule", "--subject", "M", "--year", "2026", "--date",
                 "2026-01-09", "--number", "1", "--signed-by", "Minister", **day))
    if not installed("scorecard"):
        return
    result = ok_json(merzim_db("score", "M:2026", "--json"))
    assert result["external_case"] is True
    assert [(i["key"], i["points"]) for i in result["indicators"]
            if i["project"] == 1] == [("external", 30.0)]
    shown = flat(ok(merzim_db("score", "M:2026")))
    assert "An external analysis was completed within a year" in shown

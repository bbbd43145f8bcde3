"""The enterprise policy of a quasi-state entity (seed 003; procedures.md P-20, P-21) as process
definitions: each employee's consent (appendix 2) and confirmation (appendix 3) forms, imported
from a staff list and listed while unsigned; a report of a corrupt act and its internal check;
the candidate check, the counterparty due diligence and the expertise of a draft internal act.
Their day counts are merzim's own (marked P-20 or merzim); the events are for quasi-state
entities unless an operator switches a process on for another organisation in config.toml."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.cli_runner import answer as ok
from tests.support.cli_runner import init_with_orgs
from tests.support.databases import dump_tables
from tests.support.web_helpers import (
    CALENDAR,
    Web,
    _settings,
    csrf_of,
    web_fixture,  # noqa: F401 - `web`, the demo
)
from web.app import create_app
from workflow.definitions import load_registry

POLICY = ("policy_forms", "corrupt_act_report", "candidate_check", "counterparty_check",
          "internal_act_expertise")
COI = "enterprise_conflict_of_interest"
TODAY = "2026-11-24"


@pytest.fixture
def cli(merzim_db):
    init_with_orgs(merzim_db, (("QSE", "City monitoring centre", "quasi_state", None),
                               ("AK", "Akimat of the region", "akimat", None)))

    def run(*args: str, lang: str = "en", config=None):
        return merzim_db(*args, today=TODAY, lang=lang, config=config)
    return run


def stages(cli, case_id: int) -> dict[str, tuple]:
    status = ok(cli("status", str(case_id), "--json"))
    return {s["key"]: (s["due"], s["status"], s.get("due_basis", "")) for s in status["stages"]}


def staff_file(tmp_path, subject: str = "QSE"):
    path = tmp_path / "staff.csv"
    path.write_text("subject,person,position,appointed\n"
                    f"{subject},Aida Nurlanovna,Head of procurement,2026-02-02\n"
                    f"{subject},Berik Saparov,Engineer,2026-11-20\n", encoding="utf-8")
    return path


def test_process_list_shows_the_enterprise_policy(cli):
    listed = {p["key"]: p for p in ok(cli("process", "list", "--json"))}
    assert set(POLICY) <= set(listed)
    names = ok(cli("process", "list", "--json", lang="kk"))
    kk = {p["key"]: p for p in names}
    assert "келісім" in json.dumps(kk["policy_forms"], ensure_ascii=False)


def test_staff_list_imported_and_unsigned_consents_listed(cli, tmp_path):
    opened = ok(cli("case", "import", "policy_forms", str(staff_file(tmp_path)), "--json"))
    ids = [o["id"] for o in opened["opened"]]
    assert len(ids) == 2
    # appointed Monday 2 February 2026: 5 working days -> Monday 9 February; appointed Friday
    # 20 November -> Friday 27 November; both merzim's own (P-20)
    assert stages(cli, ids[0]) == {"consent": ("2026-02-09", "overdue", "P-20"),
                                   "confirmation": ("2026-02-09", "overdue", "P-20")}
    assert stages(cli, ids[1])["consent"] == ("2026-11-27", "open", "P-20")
    # Aida signs the consent on 5 February; Berik has signed nothing yet
    ok(cli("record", str(ids[0]), "consent_signed", "--date", "2026-02-05"))
    assert stages(cli, ids[0])["consent"][1] == "done_on_time"
    assert stages(cli, ids[1])["consent"][1] == "open"
    # the year's list of who has not signed: every open stage of the register due by 31 Dec
    rows = ok(cli("case", "missing", "policy_forms", "--org", "QSE", "--year", "2026",
                  "--json"))
    assert [(r["person"], r["position"], r["stage"], r["due"], r["due_basis"]) for r in rows] == [
        ("Aida Nurlanovna", "Head of procurement", "confirmation", "2026-02-09", "P-20"),
        ("Berik Saparov", "Engineer", "confirmation", "2026-11-27", "P-20"),
        ("Berik Saparov", "Engineer", "consent", "2026-11-27", "P-20"),
    ]
    consent = ok(cli("case", "missing", "policy_forms", "--org", "QSE", "--stage", "consent",
                     "--json"))
    assert [r["person"] for r in consent] == ["Berik Saparov"]
    table = cli("case", "missing", "policy_forms", "--org", "QSE", "--stage", "consent",
                lang="ru")
    assert table.returncode == 0 and "Berik Saparov" in table.stdout
    assert "Получить подписанное согласие" in table.stdout
    # the deadline lists: today (24 November) Aida's confirmation is overdue, Berik's forms due
    now = ok(cli("overdue", "--process", "policy_forms", "--org", "QSE", "--json"))["overdue"]
    assert [(r["case"], r["stage"], r["due_basis"]) for r in now] == [
        (ids[0], "confirmation", "P-20")]
    due = ok(cli("due", "--process", "policy_forms", "--org", "QSE", "--json"))
    due_rows = due["due"] if isinstance(due, dict) else due
    assert sorted((r["case"], r["stage"]) for r in due_rows) == [
        (ids[1], "confirmation"), (ids[1], "consent")]
    # a stage the register does not have: refused in the reader's language
    bad = cli("case", "missing", "policy_forms", "--org", "QSE", "--stage", "consnet")
    assert bad.returncode != 0 and "consnet" in bad.stderr and "Traceback" not in bad.stderr


def test_a_refused_staff_row_stores_nothing(cli, tmp_path, db):
    before = dump_tables(db)
    path = tmp_path / "bad.csv"
    path.write_text("subject,person,position,appointed\n"
                    "QSE,Aida Nurlanovna,Head,2026-02-02\n"
                    "QSE,,Engineer,2026-11-20\n", encoding="utf-8")  # row 3: no person
    result = cli("case", "import", "policy_forms", str(path))
    assert result.returncode != 0
    assert "Row 3" in result.stderr and "Traceback" not in result.stderr
    assert dump_tables(db) == before


def test_not_an_official_needs_no_consent(cli, tmp_path):
    ids = [o["id"] for o in ok(cli("case", "import", "policy_forms",
                                   str(staff_file(tmp_path)), "--json"))["opened"]]
    ok(cli("record", str(ids[1]), "not_official", "--date", "2026-11-23", "--note",
           "Engineer: not an official (003:L263)"))
    ok(cli("record", str(ids[1]), "confirmation_signed", "--date", "2026-11-23"))
    assert stages(cli, ids[1]) == {"consent": ("2026-11-27", "not_applicable", "P-20"),
                                   "confirmation": ("2026-11-27", "done_on_time", "P-20")}


def test_corrupt_act_report_stages_and_merzims_deadlines(cli):
    case = ok(cli("case", "open", "corrupt_act_report", "--subject", "QSE", "--field",
                  "kind=inducement", "--date", "reported=2026-10-02", "--json"))["id"]
    # reported Friday 2 October: the manager the same day; the check within 3 working days
    # (Wednesday 7 October); the findings 30 calendar days after the check's opening,
    # projected from its due date until it is recorded (Friday 6 November)
    assert stages(cli, case) == {
        "inform_manager": ("2026-10-02", "overdue", "P-20"),
        "open_check": ("2026-10-07", "overdue", "P-20"),
        "findings": ("2026-11-06", "overdue", "P-20"),
        "measures_or_materials": (None, "open", ""),
    }
    ok(cli("record", str(case), "manager_informed", "--date", "2026-10-02"))
    ok(cli("record", str(case), "check_opened", "--date", "2026-10-05"))
    # opened Monday 5 October: findings by Wednesday 4 November
    assert stages(cli, case)["findings"][0] == "2026-11-04"
    ok(cli("record", str(case), "findings", "--date", "2026-11-03", "--number", "АКТ-7"))
    ok(cli("record", str(case), "materials_sent", "--date", "2026-11-05", "--number",
           "исх-15/112"))
    status = ok(cli("status", str(case), "--json"))
    assert status["state"] == "sent_to_authorities"
    # the transfer of materials is one of the corrective measures (003:L322-326): the
    # investigation ends with the measures, still recordable after it
    assert status["stages"][-1]["key"] == "measures_or_materials"
    assert status["stages"][-1]["status"] == "open"
    ok(cli("record", str(case), "corrective_measures", "--date", "2026-11-06", "--evidence",
           "note=Dismissed"))
    status = ok(cli("status", str(case), "--json"))
    assert status["state"] == "measures_taken"
    assert {s["key"]: s["status"] for s in status["stages"]} == {
        "inform_manager": "done_on_time", "open_check": "done_on_time",
        "findings": "done_on_time", "measures_or_materials": "done_on_time"}
    assert [r["event"] for r in status["records"]][-2:] == ["materials_sent",
                                                            "corrective_measures"]


def test_corrective_measures_then_the_materials_both_recorded(cli, db):
    case = ok(cli("case", "open", "corrupt_act_report", "--subject", "QSE", "--field",
                  "kind=corrupt_act", "--date", "reported=2026-10-02", "--json"))["id"]
    for event, day, extra in (("manager_informed", "2026-10-02", ()),
                              ("check_opened", "2026-10-05", ()),
                              ("findings", "2026-11-03", ("--number", "АКТ-8")),
                              ("corrective_measures", "2026-11-04",
                               ("--evidence", "note=Labour contract ended"))):
        ok(cli("record", str(case), event, "--date", day, *extra))
    # the measures taken: the findings can no longer say no corrupt act was established
    before = dump_tables(db)
    refused = cli("record", str(case), "not_established", "--date", "2026-11-05", "--evidence",
                  "note=none")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert dump_tables(db) == before
    # the materials sent to the authorities after the measures: recorded, not refused
    ok(cli("record", str(case), "materials_sent", "--date", "2026-11-09", "--number",
           "исх-15/113"))
    status = ok(cli("status", str(case), "--json"))
    assert [r["event"] for r in status["records"]][-2:] == ["corrective_measures",
                                                            "materials_sent"]
    assert status["state"] == "sent_to_authorities"
    assert {s["key"]: s["status"] for s in status["stages"]}["measures_or_materials"] == (
        "done_on_time")


def test_checks_before_a_decision_fall_due_by_its_day(cli):
    # a decision planned on Sunday 22 November: the candidate is checked by Friday the 20th
    case = ok(cli("case", "open", "candidate_check", "--subject", "QSE", "--person",
                  "Dana Omarova", "--position", "Accountant", "--date", "decision=2026-11-22",
                  "--json"))["id"]
    assert stages(cli, case) == {"reliability_check": ("2026-11-20", "overdue", "")}
    deal = ok(cli("case", "open", "counterparty_check", "--subject", "QSE", "--field",
                  "counterparty=TOO Alem, BIN 123456789012", "--date", "decision=2026-12-10",
                  "--json"))["id"]
    assert stages(cli, deal) == {"diligence": ("2026-12-10", "open", "")}
    act = ok(cli("case", "open", "internal_act_expertise", "--subject", "QSE", "--field",
                 "draft_act=Rules of procurement", "--date", "submitted=2026-11-24",
                 "--date", "approval=2026-12-05", "--json"))["id"]
    # approval planned on Saturday 5 December: the expertise by Friday the 4th, merzim's own
    assert stages(cli, act) == {"expertise": ("2026-12-04", "open", "merzim")}


@pytest.mark.parametrize("key,args", [
    ("policy_forms", ("--person", "Erlan", "--position", "Expert", "--date",
                      "appointed=2026-11-02")),
    ("corrupt_act_report", ("--field", "kind=corrupt_act", "--date", "reported=2026-11-02")),
    ("candidate_check", ("--person", "Dana", "--position", "Clerk", "--date",
                         "decision=2026-11-30")),
    ("counterparty_check", ("--field", "counterparty=TOO Alem", "--date",
                            "decision=2026-11-30")),
    ("internal_act_expertise", ("--field", "draft_act=Rules", "--date", "submitted=2026-11-02",
                                "--date", "approval=2026-11-30")),
])
def test_a_policy_case_is_not_opened_for_another_kind(cli, db, key, args):
    """The enterprise policy applies to quasi-state entities (P-21, `[process] applies_to`):
    an akimat's case of it, which could never be completed, is refused when opened, in the
    reader's language, with nothing stored."""
    before = dump_tables(db)
    for lang, words in (("en", "quasi-state"), ("ru", "квазигосударств"), ("kk", "квазимемлекеттік")):
        refused = cli("case", "open", key, "--subject", "AK", *args, lang=lang)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert words in refused.stderr.lower(), (lang, refused.stderr)
        assert dump_tables(db) == before
    # the entity's own opens
    assert cli("case", "open", key, "--subject", "QSE", *args).returncode == 0


def test_other_kinds_refused_unless_switched_on(cli, db, tmp_path):
    before = dump_tables(db)
    refused = cli("case", "open", "policy_forms", "--subject", "AK", "--person", "Erlan",
                  "--position", "Expert", "--date", "appointed=2026-11-02")
    assert refused.returncode != 0
    assert "quasi-state" in refused.stderr.lower() and "Traceback" not in refused.stderr
    assert dump_tables(db) == before
    # the operator switches the policy on for the akimat (P-21): it opens, and records
    config = tmp_path / "config.toml"
    config.write_text('[processes.organisations]\npolicy_forms = ["AK"]\n', encoding="utf-8")
    case = ok(cli("case", "open", "policy_forms", "--subject", "AK", "--person", "Erlan",
                  "--position", "Expert", "--date", "appointed=2026-11-02", "--json",
                  config=config))["id"]
    ok(cli("record", str(case), "consent_signed", "--date", "2026-11-03", config=config))
    assert stages(cli, case)["consent"][1] == "done_on_time"
    # only for the process named: another process of the policy stays refused for it
    assert cli("case", "open", "internal_act_expertise", "--subject", "AK", "--field",
               "draft_act=Rules", "--date", "submitted=2026-11-02", "--date",
               "approval=2026-11-30", "--json", config=config).returncode != 0


def test_a_misspelt_switch_stops_merzim(cli, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[processes.organisations]\npolicy_form = ["AK"]\n', encoding="utf-8")
    result = cli("case", "list", config=config)
    assert result.returncode != 0
    assert "policy_form" in result.stderr and "Traceback" not in result.stderr
    config.write_text('[processes.organisations]\npolicy_forms = "AK"\n', encoding="utf-8")
    result = cli("case", "list", config=config)
    assert result.returncode != 0 and "Traceback" not in result.stderr


@pytest.mark.parametrize("key", [*POLICY, "action_plan_item"])
def test_each_definition_is_named_sourced_and_completable(key):
    d = load_registry().get(key)
    assert d.final_states
    # P-21: the policy's cases open for a quasi-state entity only (version 2)
    assert (d.version, d.applies_to) == ((2, ("quasi_state",)) if key in POLICY else (1, ()))
    assert all(d.names[lang].strip() for lang in ("kk", "ru", "en"))
    for stage in d.stages.values():
        assert stage.source.startswith("003:" if key in POLICY else "004:"), stage.key
        assert stage.names["kk"] != stage.names["ru"]
        assert any(e.completes == stage.key for e in d.events.values()), stage.key
    if key in POLICY:  # P-21: every event but the cancellation is a quasi-state entity's
        assert {k for k, e in d.events.items() if e.subject_kinds != ("quasi_state",)} == {
            k for k, e in d.events.items() if e.terminal and not e.subject_kinds}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_entitys_officer_imports_the_staff_list_on_the_web(web: Web, tmp_path):
    """Timur, the officer of the demo's quasi-state entity (QS-ZHETYSU), uploads the staff list
    (the subject left empty: his organisation), confirms, and finds the unsigned forms in his
    overdue and due lists with merzim's mark, and each employee on the case's page."""
    url = web.engine.url.render_as_string(hide_password=False)
    web.app = create_app(_settings(tmp_path, url), web.engine, CALENDAR, load_registry())
    web._browsers.clear()
    timur = web.browser("timur")
    form = "/registers/policy_forms/import"
    staff = (b"subject,person,position,appointed\n"
             b",A. Nurlanova,Head of procurement,2025-11-03\n"   # 5 WD: Monday 10 November
             b",B. Saparov,Engineer,2025-11-18\n")       # 5 WD: Tuesday 25 November
    preview = timur.post(form, data={"csrf": csrf_of(timur.get(form).text)},
                         files={"file": ("staff.csv", staff)})
    assert preview.status_code == 200, preview.text[-2000:]
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token, preview.text[-2000:]
    done = timur.post(f"{form}/confirm", data={"csrf": csrf_of(preview.text),
                                              "token": token.group(1)})
    assert done.status_code == 200 and "2 entries opened" in _text(done.text)
    overdue_html = timur.get("/overdue?process=policy_forms").text
    # merzim's mark: the basis of the due date on hover, not printed after it
    assert overdue_html.count('data-basis="P-20" title="deadline set by merzim, P-20"') == 2
    overdue = _text(overdue_html)
    found = re.findall(r"#(\d+) Have the (consent|confirmation) \(appendix \d\) signed "
                       r"(\d{4}-\d\d-\d\d)", overdue)
    assert {(stage, due) for _, stage, due in found} == {("consent", "2025-11-10"),
                                                         ("confirmation", "2025-11-10")}
    due = _text(timur.get("/due?process=policy_forms&within=10").text)
    soon = re.findall(r"#(\d+) Have the (consent|confirmation) \(appendix \d\) signed "
                      r"(\d{4}-\d\d-\d\d)", due)
    assert {(stage, day) for _, stage, day in soon} == {("consent", "2025-11-25"),
                                                        ("confirmation", "2025-11-25")}
    page = _text(timur.get(f"/cases/{found[0][0]}").text)
    assert "A. Nurlanova" in page and "Head of procurement" in page


def test_a_quasi_state_entitys_conflict_of_interest_runs_on_its_policy_with_merzims_deadline(
        cli, db):
    """A quasi-state entity's conflict of interest is the enterprise policy's (003:L282-298):
    the written notice to the head, then its settlement, due 10 working days later as merzim's
    own deadline, marked as such (the policy names none); the Ministry's standard (002) with its
    deadlines is not opened for the entity, nor the policy's for an akimat, nothing stored."""
    # notified Monday 2 November 2026: 10 working days -> Monday 16 November
    case = ok(cli("case", "open", COI, "--subject", "QSE", "--person", "Aida Nurlanovna",
                  "--position", "Buyer", "--date", "notified=2026-11-02", "--json"))["id"]
    assert stages(cli, case) == {"settlement": ("2026-11-16", "overdue", "merzim")}
    shown = cli("status", str(case))
    assert shown.returncode == 0 and "deadline set by merzim" in shown.stdout, shown.stdout
    ok(cli("record", str(case), "measures_taken", "--date", "2026-11-20", "--evidence",
           "note=Removed from the tender commission"))
    assert stages(cli, case)["settlement"][:2] == ("2026-11-16", "done_late")
    before = dump_tables(db)
    for process, subject, words in (
            ("conflict_of_interest", "QSE", "quasi-state entity"),
            (COI, "AK", "regional akimat")):
        refused = cli("case", "open", process, "--subject", subject, "--person", "Erlan",
                      "--position", "Expert", "--date", "notified=2026-11-02")
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert words in refused.stderr, refused.stderr
        assert dump_tables(db) == before
    d = load_registry().get(COI)
    assert d.applies_to == ("quasi_state",) and d.stages["settlement"].source.startswith("003:")
    assert all(d.names[lang].strip() for lang in ("kk", "ru", "en"))

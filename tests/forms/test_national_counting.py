"""What the input to the National Report counts (P-23), entered through the command line on a
fresh database, on each backend: the analyses held (their note signed in the year, whatever
their programme's year) and those planned apart; a quasi-state entity's training events in the
entities' figure; and the year's facts of the standard's procedures (002) and of the enterprise
policy (003), each with its source line and the entries behind it."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from tests.support.features import needs
from workflow.forms import national

TEXTS = national.national_spec()


@pytest.fixture
def cli(merzim_db, db_url):
    def run(*args: str, today: str = "2026-12-15") -> dict:
        with freeze_time(f"{today} 06:00:00"):
            result = merzim_db(*args, "--json", today=today)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return json.loads(result.stdout)
    assert merzim_db("init").returncode == 0
    run.cwd = merzim_db.cwd
    run.db_url = db_url
    return run


def org(cli, code: str, kind: str, parent: str | None = None) -> None:
    cli("org", "add", code, "--name", code, "--kind", kind,
        *(("--parent", parent) if parent else ()), today="2025-01-10")


def open_case(cli, process: str, subject: str, today: str, *args: str) -> int:
    return cli("case", "open", process, "--subject", subject, *args, today=today)["id"]


def record(cli, case: int, event: str, on: str, *args: str, today: str | None = None) -> None:
    cli("record", str(case), event, "--date", on, *args, today=today or on)


def national_form(cli, code: str, year: int, today: str = "2027-02-01"
                  ) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    """The form's figures by key, and by label (ru) each figure's source and entries as
    written in its sheet."""
    path = cli.cwd / f"national-{code}-{year}.xlsx"
    made = cli("form", "national", code, "--year", str(year), "--lang", "ru", "--output",
               str(path), today=today)
    rows = {}
    for row in load_workbook(path).worksheets[0].iter_rows(values_only=True):
        number, name, value, source, entries = (list(row) + [None] * 5)[:5]
        if isinstance(value, int) and isinstance(number, str):
            rows[name] = (source, entries or "")
    return made["files"][0]["figures"], rows


def label(key: str) -> str:
    return next(f.names["ru"] for s in TEXTS.sections for f in s.figures if f.key == key)


@needs("planning")
def test_analyses_held_are_those_whose_note_was_signed_in_the_year(cli):
    """1.1 counts the analyses whose note was signed in the year — one of last year's
    programme signed in January among them — and lists the year's planned ones apart."""
    org(cli, "AK", "akimat")
    for unit in ("AK-EDU", "AK-HEALTH", "AK-ROADS"):
        org(cli, unit, "department", "AK")
    late = cli("analysis", "plan", "--subject", "AK", "--object", "AK-ROADS", "--start",
               "2025-10-01", today="2025-09-01")["id"]
    signed = cli("analysis", "plan", "--subject", "AK", "--object", "AK-EDU", "--start",
                 "2026-03-01", today="2026-02-01")["id"]
    planned = cli("analysis", "plan", "--subject", "AK", "--object", "AK-HEALTH", "--start",
                  "2026-09-01", today="2026-02-01")["id"]
    record(cli, late, "analytic_note", "2026-01-20", "--number", "1", "--signed-by", "Akim")
    record(cli, signed, "analytic_note", "2026-05-20", "--number", "2", "--signed-by", "Akim")
    figures, rows = national_form(cli, "AK", 2026)
    assert figures["analyses_held"] == 2 and figures["analyses_planned"] == 1
    assert rows[label("analyses_held")][1].split("\n") == [f"#{late}", f"#{signed}"]
    assert rows[label("analyses_planned")][1] == f"#{planned}"
    # 2025: the analysis of its programme was only planned then
    figures, _ = national_form(cli, "AK", 2025)
    assert figures["analyses_held"] == 0 and figures["analyses_planned"] == 1
    # a voided note: not held any more, planned again
    cli("void", str(signed), "analytic_note", "--note", "signed by mistake", today="2026-12-15")
    figures, _ = national_form(cli, "AK", 2026)
    assert figures["analyses_held"] == 1 and figures["analyses_planned"] == 2


def test_a_regions_entity_holding_every_quarter_counts_in_the_entities_training_events(cli):
    """The entities' training events are the quasi-state entities' (project No. 3's), counted
    in the region's input though the region does not take its entities into projects 2 and
    4."""
    org(cli, "RG", "akimat")
    org(cli, "RG-Q", "quasi_state", "RG")
    for day in ("2025-12-01", "2026-03-01", "2026-06-01", "2026-09-01"):
        cli("obligations", "sync", today=day)
    quarters = sorted((c["period"], c["id"]) for c in cli(
        "case", "list", "--process", "qse_training_events", "--org", "RG-Q", today="2026-12-15")
        if c["subject"] == "RG-Q" and c["period"].startswith("2026"))
    assert [p for p, _ in quarters] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    for n, (_period, case) in enumerate(quarters, start=1):
        on = f"2026-{3 * n - 1:02d}-10"
        record(cli, case, "event_held", on, "--number", f"P-{n}", today="2026-12-15")
    figures, rows = national_form(cli, "RG", 2026)
    assert figures["qse_training_events"] == 4
    assert all(f"#{case}, RG-Q" in rows[label("qse_training_events")][1]
               for _, case in quarters)
    assert figures["qse_training_events"] == national_form(cli, "RG-Q", 2026)[0][
        "qse_training_events"]


def test_the_years_facts_of_the_standards_procedures_and_the_enterprise_policy(cli):
    """A ministry's department and its subordinate company: each fact of 002 and 003 in the
    year of its own day, with its source line and the case behind it; last year's, a voided
    check and a report entered by mistake counted nowhere."""
    org(cli, "MF", "central_body")
    org(cli, "MF-DEP", "department", "MF")
    org(cli, "MF-Q", "quasi_state", "MF")
    person = ("--person", "A. Person", "--position", "Specialist")
    given = open_case(cli, "gift", "MF-DEP", "2026-03-02", *person, "--date",
                      "received=2026-03-01")
    record(cli, given, "handed_over", "2026-03-05", "--evidence", "receipt_act=AKT-1")
    kept = open_case(cli, "gift", "MF", "2026-04-02", *person, "--date", "received=2026-04-01")
    record(cli, kept, "not_handed_over", "2026-04-20")
    old_gift = open_case(cli, "gift", "MF", "2025-12-02", *person, "--date",
                         "received=2025-12-01")
    waiting = open_case(cli, "gift", "MF", "2026-12-10", *person, "--date",
                        "received=2026-12-09")  # its outcome not yet recorded
    coi = open_case(cli, "conflict_of_interest", "MF-DEP", "2026-05-02", *person, "--date",
                    "notified=2026-05-01")
    account = open_case(cli, "foreign_account", "MF", "2026-06-02", *person, "--date",
                        "found=2026-06-01")
    application = open_case(cli, "whistleblower_protection", "MF", "2026-07-02", *person,
                            "--date", "application_received=2026-07-01")
    report = open_case(cli, "corrupt_act_report", "MF-Q", "2026-08-02", "--field",
                       "kind=inducement", "--date", "reported=2026-08-01")
    record(cli, report, "check_opened", "2026-08-03")
    voided = open_case(cli, "corrupt_act_report", "MF-Q", "2026-09-02", "--field",
                       "kind=corrupt_act", "--date", "reported=2026-09-01")
    record(cli, voided, "check_opened", "2026-09-03")
    cli("void", str(voided), "check_opened", "--note", "opened on the wrong report",
        today="2026-09-04")
    mistaken = open_case(cli, "corrupt_act_report", "MF-Q", "2026-10-02", "--field",
                         "kind=corrupt_act", "--date", "reported=2026-10-01")
    record(cli, mistaken, "cancel", "2026-10-03", "--note", "entered by mistake")

    figures, rows = national_form(cli, "MF", 2026)
    assert {k: figures[k] for k in (
        "gifts_received", "gifts_handed_over", "gifts_not_handed_over", "coi_notices",
        "foreign_accounts", "whistleblower_applications", "corrupt_act_reports",
        "corrupt_act_reports.corrupt_act", "corrupt_act_reports.inducement",
        "internal_checks")} == {
        "gifts_received": 3, "gifts_handed_over": 1, "gifts_not_handed_over": 1,
        "coi_notices": 1, "foreign_accounts": 1, "whistleblower_applications": 1,
        "corrupt_act_reports": 2, "corrupt_act_reports.corrupt_act": 1,
        "corrupt_act_reports.inducement": 1, "internal_checks": 1}
    source, entries = rows[label("gifts_received")]
    assert source == "002:L161-164, 000:L1157-1199"
    assert entries.split("\n") == [f"#{given}, MF-DEP, A. Person, Specialist, 01.03.2026",
                                   f"#{kept}, A. Person, Specialist, 01.04.2026",
                                   f"#{waiting}, A. Person, Specialist, 09.12.2026"]
    assert rows[label("gifts_handed_over")][1].startswith(f"#{given}, MF-DEP")
    assert rows[label("internal_checks")] == ("003:L316-326", f"#{report}, MF-Q, 03.08.2026")
    assert rows[label("coi_notices")][1].startswith(f"#{coi}, MF-DEP")
    assert rows[label("foreign_accounts")][1].startswith(f"#{account}, ")
    assert rows[label("whistleblower_applications")][1].startswith(f"#{application}, ")
    assert f"#{mistaken}" not in rows[label("corrupt_act_reports")][1]
    # 2025: last year's gift alone
    figures, rows = national_form(cli, "MF", 2025)
    assert figures["gifts_received"] == 1 and figures["corrupt_act_reports"] == 0
    assert rows[label("gifts_received")][1].startswith(f"#{old_gift}, ")


@pytest.mark.parametrize("figure, refusal", [
    ({"process": "gift"}, "names the date of its year (year_of)"),
    ({"register": "offence_notice", "year_of": "notified"}, "are a process's"),
    ({"register": "offence_notice", "process": "gift", "year_of": "received"},
     "one of a register, a process or the analyses"),
    ({"process": "gift", "year_of": "received", "events": "handed_over"},
     "events: must be a list of keys"),
    ({"process": "gift", "year_of": "received", "scope": "everyone"}, "'everyone'"),
    ({"register": "social_order", "records": "unit_order", "distinct": "unit",
      "sum": "amount"}, "distinct: a field or evidence key, without `sum` or `by`"),
])
def test_a_figure_of_a_process_is_checked_when_the_file_is_read(figure, refusal):
    from workflow.core.errors import ConfigError

    doc = {"national": {}, "texts": {k: {"kk": k, "ru": k} for k in TEXTS.texts},
           "section": [{"key": "s", "names": {"kk": "s", "ru": "s"}, "figures": [
               {"key": "f", "kk": "f", "ru": "f", "source": "002:L1", **figure}]}]}
    with pytest.raises(ConfigError, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        national.parse(doc, "national.toml")


def test_a_process_figure_names_dates_events_and_states_its_definition_has():
    from dataclasses import replace

    from workflow.definitions import load_registry

    registry = load_registry()
    wrong = replace(TEXTS, sections=(replace(TEXTS.sections[-1], figures=(
        national.FigureSpec("f", {"kk": "f", "ru": "f"}, "002:L1", process="gift",
                            year_of="sent", events=("lost",), not_states=("gone",)),)),))
    assert national.check_definitions(registry.keys(), registry.get, wrong) == [
        "f: gift has no event lost", "f: gift has no date sent", "f: gift has no state gone"]


@needs("planning")
def test_units_that_placed_a_social_order_count_each_unit_once(cli):
    """7.2 (000:L1989-2044, 001:L684-694): the units that placed a social order — a district
    that placed two orders is one unit, as appendix 4's breakdown and 4.1.2 count units, not
    orders. The total allocated stays the sum of the year's totals."""
    from datetime import date

    from sqlmodel import Session

    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.forms import service as forms
    from workflow.storage.db import make_engine

    org(cli, "RG", "akimat")
    org(cli, "RG-D1", "district_akimat", "RG")
    org(cli, "RG-DEP1", "department", "RG")
    case = open_case(cli, "social_order", "RG", "2026-02-01", "--period", "2026")
    for on, unit, amount in (("2026-03-02", "RG-D1", "1000"), ("2026-04-01", "RG-D1", "2000"),
                             ("2026-05-04", "RG-DEP1", "500")):
        record(cli, case, "unit_order", on, "--evidence", f"unit={unit}", "--evidence",
               f"amount={amount}", "--evidence", f"url=https://goszakup.example/{amount}",
               today="2026-06-01")
    figures, rows = national_form(cli, "RG", 2026)
    assert figures["social_order_units"] == 2  # RG-D1 once, RG-DEP1 once (orders: 3)
    source, entries = rows[label("social_order_units")]
    assert "001:L684-694" in source
    assert entries.count("RG-D1") == 1 and entries.count("RG-DEP1") == 1
    number = next(f"{n}.{m}" for n, s in enumerate(TEXTS.sections, start=1)
                  for m, f in enumerate(s.figures, start=1) if f.key == "social_order_units")
    assert number == "7.2"
    # appendix 4's breakdown: the same units
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), date(2027, 2, 1), actor="test",
                      language="en")
    engine = make_engine(cli.db_url)
    try:
        with Session(engine) as s:
            data, _shown, _hidden = forms.form_data(s, ctx, 4, "RG", 2026, "ru")
    finally:
        engine.dispose()
    units = {v.text for line in data.lines for v in line.values if v.key == "unit"}
    assert len(units) == figures["social_order_units"]

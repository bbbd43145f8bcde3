"""One reading of the registers (workflow/registers/): the year an entry counts in (B-17),
2.3.1's non-liability (001:L332-338), a region consolidated (B-18) — entered through the
command line, read back by `merzim score` and `merzim form`, on each backend; and, for every
shipped register, the score and the form put an entry in the same year. What reads the score
or the forms is taken when the scorecard or the forms are installed (tests/support/features.py);
a register is a definition whose `[scorecard]` table says so."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from tests.support.features import installed, needs
from workflow.core.definition import Definition
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.registers.entries import CaseRow, RecordRow, entry_of

REGISTRY = load_registry()


@pytest.fixture
def cli(merzim_db):
    def run(*args: str, today: str = "2027-03-01", json_out: bool = True):
        with freeze_time(f"{today} 06:00:00"):  # typed in on `today` (the entries' stamps)
            result = merzim_db(*args, *(("--json",) if json_out else ()), today=today)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return json.loads(result.stdout) if json_out else result.stdout
    run.dir = merzim_db.workdir if hasattr(merzim_db, "workdir") else None
    assert merzim_db("init").returncode == 0
    return run


def org(cli, code: str, kind: str, parent: str | None = None, name: str | None = None) -> None:
    cli("org", "add", code, "--name", name or code, "--kind", kind,
        *(("--parent", parent) if parent else ()), json_out=False, today="2024-01-10")


def open_case(cli, process: str, subject: str, today: str, person: str | None = "A. Person",
              fields: dict[str, str] | None = None, dates: dict[str, str] | None = None) -> int:
    args = ["case", "open", process, "--subject", subject]
    if person:
        args += ["--person", person, "--position", "Specialist"]
    for k, v in (fields or {}).items():
        args += ["--field", f"{k}={v}"]
    for k, v in (dates or {}).items():
        args += ["--date", f"{k}={v}"]
    return cli(*args, today=today)["id"]


def record(cli, case: int, event: str, on: str, today: str, *evidence: str) -> None:
    args = ["record", str(case), event, "--date", on]
    for item in evidence:
        args += ["--evidence", item] if "=" in item and not item.startswith("--") else [item]
    cli(*args, today=today)


def points(card) -> dict[str, float]:
    return {i["key"]: i["points"] for i in card["indicators"]}


def inputs(card, key: str) -> dict:
    return next(i["inputs"] for i in card["indicators"] if i["key"] == key)


@needs("forms")
@needs("scorecard")
def test_a_region_takes_in_its_subdivisions_facts(cli, tmp_path):
    """A regional akimat whose regional department sent a notice of a criminal offence and whose
    district akimat recorded an independently detected gift: 2.1.1 ≥ 5, 2.5.4 ≥ 3, and its
    appendix 2 names both subdivisions; each subdivision's own view stays its own."""
    org(cli, "RG", "akimat", name="Region akimat")
    org(cli, "RG-DEP", "department", "RG", "Regional education department")
    org(cli, "RG-D1", "district_akimat", "RG", "Kegen district akimat")
    org(cli, "RG-Q", "quasi_state", "RG", "Regional company")
    notice = open_case(cli, "offence_notice", "RG-DEP", "2026-03-02", "Offender One",
                       {"category": "criminal"}, {"detected": "2026-03-01"})
    record(cli, notice, "notice_sent", "2026-03-05", "2026-03-05", "letter=15-07/311")
    open_case(cli, "restriction_breach", "RG-D1", "2026-04-02", "Gift Taker",
              {"kind": "reward_or_gift", "detected_independently": "yes"},
              {"detected": "2026-04-01"})
    # a quasi-state entity's fact is not the region's (project No. 3's denominator only)
    open_case(cli, "restriction_breach", "RG-Q", "2026-04-02", "Company Clerk",
              {"kind": "reward_or_gift", "detected_independently": "yes"},
              {"detected": "2026-04-01"})

    region = cli("score", "RG", "--year", "2026")
    assert points(region)["2.1.1"] == 5 and points(region)["2.5.4"] == 3
    assert inputs(region, "2.1.1")["from"] == [["RG-DEP", 1]]
    assert inputs(region, "2.5.4")["from"] == [["RG-D1", 1]]
    assert region["taken_in"] == ["RG", "RG-DEP", "RG-D1"]  # tree order; not the company
    text = cli("score", "RG", "--year", "2026", json_out=False)
    assert "Regional education department" in text and "Kegen district akimat" in text
    # each subdivision's own evaluation is its own facts alone
    assert points(cli("score", "RG-DEP", "--year", "2026"))["2.1.1"] == 5
    assert points(cli("score", "RG-D1", "--year", "2026"))["2.1.1"] == 0
    assert points(cli("score", "RG-D1", "--year", "2026"))["2.5.4"] == 3

    out = tmp_path / "a2.xlsx"
    made = cli("form", "2", "RG", "--year", "2026", "--lang", "ru", "--output", str(out))
    assert made["taken_in"] == ["Regional education department", "Kegen district akimat"]
    cells = [str(c.value) for row in load_workbook(out).active.iter_rows() for c in row
             if c.value]
    notice_cell = next(c for c in cells if "15-07/311" in c)
    gift_cell = next(c for c in cells if "Gift Taker" in c)
    assert notice_cell.startswith("Организация: Regional education department\n")
    assert gift_cell.startswith("Организация: Kegen district akimat\n")
    assert not any("Company Clerk" in c for c in cells)
    # the department's own form is its own
    own = tmp_path / "own.xlsx"
    assert cli("form", "2", "RG-DEP", "--year", "2026", "--output", str(own))["taken_in"] == []


@needs("forms")
@needs("scorecard")
def test_the_year_of_the_fact_not_of_the_typing(cli):
    """A 2026 hire of a person convicted in 2019 counts in 2026 (2.4.1); a regulation
    approved in 2024 and in force counts in 2026 (3.2.1); a document approved in 2026 and
    entered in February 2027 counts in 2026, marked entered late; one repealed in 2025 does
    not count in 2026."""
    org(cli, "MF", "central_body", name="Ministry")
    for q in ("Q1", "Q2", "Q3"):
        org(cli, q, "quasi_state", "MF")
    open_case(cli, "tainted_hire", "MF", "2026-02-12", "Hired Person",
              {"detected_independently": "yes"},
              {"offence": "2019-05-01", "court_act": "2019-09-01", "in_force": "2019-10-01",
               "hired": "2026-02-10"})
    # Q1: approved in 2024, still in force
    q1 = open_case(cli, "compliance_regulation", "Q1", "2024-03-02", None)
    record(cli, q1, "document_approved", "2024-03-01", "2024-03-02", "--number", "12")
    # Q2: approved on 10 November 2026, typed in on 10 February 2027
    q2 = open_case(cli, "compliance_regulation", "Q2", "2027-02-10", None)
    record(cli, q2, "document_approved", "2026-11-10", "2027-02-10", "--number", "7")
    # Q3: approved in 2023, repealed in 2025
    q3 = open_case(cli, "compliance_regulation", "Q3", "2023-05-02", None)
    record(cli, q3, "document_approved", "2023-05-01", "2023-05-02", "--number", "3")
    record(cli, q3, "document_repealed", "2025-06-01", "2025-06-02", "--note", "replaced")

    y2026 = cli("score", "MF", "--year", "2026")
    assert points(y2026)["2.4.1"] == 3
    assert inputs(y2026, "3.2.1")["done"] == 2  # Q1 and Q2; Q3 repealed in 2025
    assert inputs(y2026, "3.2.1")["units"] == 3
    assert inputs(y2026, "3.2.1")["entered_late"] == 1  # Q2's, typed in on 10 February 2027
    # Q1 (2024) and Q3 (2023) were typed in when they happened
    assert "entered_late" not in inputs(cli("score", "MF", "--year", "2025"), "3.2.1")
    from workflow.scorecard.words import in_words

    words = in_words(y2026, Translator("en"))  # the score page's and the CLI's words
    assert next(i["text"] for i in words["indicators"] if i["key"] == "3.2.1") == (
        "2 of 3 supervised entities brought the regulation into line (66.67 %); entered after "
        "the year's end: 1 → 6 steps of 10 % → 1.2 points")
    assert points(cli("score", "MF", "--year", "2019"))["2.4.1"] == 0
    y2025 = cli("score", "MF", "--year", "2025")
    assert inputs(y2025, "3.2.1")["done"] == 2  # Q1 and Q3 (in force until June)
    assert inputs(y2024 := cli("score", "MF", "--year", "2024"), "3.2.1")["done"] == 2
    assert y2024["year"] == 2024
    # the 2.4.1 fact is in appendix 2 of 2026, not of 2019
    form26 = cli("form", "2", "MF", "--year", "2026", "--output", "f26.xlsx")
    form19 = cli("form", "2", "MF", "--year", "2019", "--output", "f19.xlsx")
    assert form26["lines"] == 1 and form19["lines"] == 0


@needs("scorecard")
def test_2_3_1_pays_only_for_a_supervisor_not_held_liable(cli):
    org(cli, "MF", "central_body", name="Ministry")

    def liability(person: str, event: str, *evidence: str) -> None:
        case = open_case(cli, "manager_liability", "MF", "2026-05-01", person,
                         {"offence_category": "Grave crime", "incidents": "A bribe",
                          "supervisor_political": "no", "detected_independently": "yes"},
                         {"court_act": "2026-03-01", "in_force": "2026-03-20"})
        record(cli, case, event, "2026-04-10", "2026-05-01", *evidence)

    liability("Disciplined Boss", "disciplinary", "--number", "45-ж", "--signed-by",
              "Head of apparatus")
    assert points(cli("score", "MF", "--year", "2026"))["2.3.1"] == 0
    liability("Spared Boss", "not_held_liable", "--note", "Appointed two months before",
              "--number", "46-ж", "--signed-by", "Head of apparatus")
    card = cli("score", "MF", "--year", "2026")
    assert points(card)["2.3.1"] == 3
    assert inputs(card, "2.3.1")["facts"] == 1  # the disciplined one is not a fact of 2.3.1


@needs("forms")
def test_appendix_2_states_the_outcome_of_a_supervisors_liability(cli, tmp_path):
    org(cli, "MF", "central_body", name="Ministry")
    case = open_case(cli, "manager_liability", "MF", "2026-05-01", "Political Boss",
                     {"offence_category": "Grave crime", "incidents": "A bribe",
                      "supervisor_political": "yes", "detected_independently": "no"},
                     {"court_act": "2026-03-01", "in_force": "2026-03-20"})
    cli("record", str(case), "resignation", "--not-done", "--note", "He did not resign",
        "--date", "2026-04-01", today="2026-05-01")
    record(cli, case, "disciplinary", "2026-04-10", "2026-05-01", "--number", "45-ж",
           "--signed-by", "Head of apparatus")
    out = tmp_path / "a2.xlsx"
    cli("form", "2", "MF", "--year", "2026", "--lang", "ru", "--output", str(out))
    cell = next(str(c.value) for row in load_workbook(out).active.iter_rows() for c in row
                if c.value and "Political Boss" in str(c.value))
    assert "не исполнено (01.04.2026): He did not resign" in cell
    assert "Издан приказ о привлечении к дисциплинарной ответственности: 10.04.2026" in cell
    assert "45-ж" in cell and "Head of apparatus" in cell


def form_lines(cli, n: str, org_code: str, year: int) -> int:
    return cli("form", n, org_code, "--year", str(year), "--output", f"a{n}-{year}.xlsx",
               today="2027-03-01")["lines"]


def national_figure(cli, org_code: str, year: int, key: str) -> int:
    made = cli("form", "national", org_code, "--year", str(year), "--lang", "ru", "--output",
               f"n-{year}.xlsx", today="2027-03-01")
    return made["files"][0]["figures"][key]


@needs("forms")
@needs("scorecard")
def test_a_voided_notice_counts_nowhere(cli):
    """A notice whose letter was voided is not sent: no points, not in appendix 2 nor in the
    national input, of no year; pending in the score until the letter is recorded again."""
    org(cli, "MF", "central_body", name="Ministry")
    notice = open_case(cli, "offence_notice", "MF", "2026-03-02", "Offender One",
                       {"category": "criminal"}, {"detected": "2026-03-01"})
    record(cli, notice, "notice_sent", "2026-03-05", "2026-03-05", "letter=15-07/311")
    assert points(cli("score", "MF", "--year", "2026", today="2026-06-01"))["2.1.1"] == 5
    assert form_lines(cli, "2", "MF", 2026) == 1
    cli("void", str(notice), "notice_sent", "--note", "Sent to the wrong body",
        today="2026-06-01")
    card = cli("score", "MF", "--year", "2026", today="2026-06-01")
    assert points(card)["2.1.1"] == 0
    assert inputs(card, "2.1.1")["pending"] == 1  # still to be sent, shown as such
    for year in (2026, 2027):
        assert form_lines(cli, "2", "MF", year) == 0
        assert national_figure(cli, "MF", year, "offence_notices") == 0
    # once the year is over without a letter it is not a fact of 2026 either
    assert inputs(cli("score", "MF", "--year", "2026", today="2027-03-01"),
                  "2.1.1")["pending"] == 0


@needs("forms")
@needs("scorecard")
def test_a_december_notice_sent_in_january_counts_in_january(cli, tmp_path):
    """B-17: a notice counts in the year its letter was sent, in the score, the form and the
    national input alike; before it is sent, in none of them."""
    org(cli, "MF", "central_body", name="Ministry")
    notice = open_case(cli, "offence_notice", "MF", "2026-12-21", "Offender Two",
                       {"category": "administrative"}, {"detected": "2026-12-20"})
    # not yet sent: pending, no year's fact
    assert inputs(cli("score", "MF", "--year", "2026", today="2026-12-28"),
                  "2.1.1")["pending"] == 1
    assert form_lines(cli, "2", "MF", 2026) == 0
    record(cli, notice, "notice_sent", "2027-01-12", "2027-01-12", "letter=01-02/7")
    for year, score, lines in ((2026, 0, 0), (2027, 3, 1)):
        card = cli("score", "MF", "--year", str(year), today="2027-03-01")
        assert points(card)["2.1.1"] == score, year
        assert form_lines(cli, "2", "MF", year) == lines, year
        assert national_figure(cli, "MF", year, "offence_notices") == lines, year
    assert inputs(cli("score", "MF", "--year", "2026", today="2027-03-01"),
                  "2.1.1")["pending"] == 0


@needs("forms")
@needs("scorecard")
def test_the_forms_take_in_whom_the_score_takes_in(merzim_db, tmp_path):
    """`[scorecard] consolidating_kinds` decides for the appendices as for the score: with
    akimats left out, a region's appendix 2 holds its own facts alone, as its 2.1.1."""
    config = tmp_path / "merzim.toml"
    config.write_text('[scorecard]\nconsolidating_kinds = ["central_body"]\n', encoding="utf-8")

    def run(*args: str, today: str = "2026-06-01") -> dict:
        with freeze_time(f"{today} 06:00:00"):
            result = merzim_db(*args, "--json", today=today, config=config)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return json.loads(result.stdout)

    assert merzim_db("init", config=config).returncode == 0
    run("org", "add", "RG", "--name", "Region", "--kind", "akimat")
    run("org", "add", "RG-DEP", "--name", "Department", "--kind", "department", "--parent", "RG")
    notice = run("case", "open", "offence_notice", "--subject", "RG-DEP", "--person", "A. B.",
                 "--field", "category=criminal", "--date", "detected=2026-03-01")["id"]
    run("record", str(notice), "notice_sent", "--date", "2026-03-05", "--evidence",
        "letter=15-07/311")
    card = run("score", "RG", "--year", "2026")
    assert points(card)["2.1.1"] == 0 and card["taken_in"] == ["RG"]
    made = run("form", "2", "RG", "--year", "2026", "--output", str(tmp_path / "rg.xlsx"))
    assert made["lines"] == 0 and made["taken_in"] == []
    # the department's own form and score hold it
    assert points(run("score", "RG-DEP", "--year", "2026"))["2.1.1"] == 5
    assert run("form", "2", "RG-DEP", "--year", "2026", "--output",
               str(tmp_path / "dep.xlsx"))["lines"] == 1


# -- every shipped register: the score's year is the form's ------------------------------------


def _register_case(d: Definition) -> CaseRow:
    """A case of the register whose every given date is of 2019 but the one its year rule
    reads (2026), typed in on 2027-02-10, with its counted stage done and a record of each
    event the form or the score counts dated in 2026."""
    spec = d.scorecard
    assert spec is not None
    given = {k: date(2019, 3, 1) for k, nd in d.dates.items() if nd.given != "none"}
    if spec.year_of in given:
        given[spec.year_of] = date(2026, 6, 1)
    if spec.valid_from:
        given[spec.valid_from] = date(2026, 6, 1)
        given[spec.valid_until or spec.valid_from] = date(2027, 6, 1)
    events = [e.key for e in d.events.values()
              if (spec.counted and e.completes == spec.counted)
              or e.key in (spec.records, d.form.records if d.form else None)
              or (spec.year_of and spec.year_of in e.sets)]
    records = tuple(RecordRow(i + 1, key, date(2026, 6, 2), {}, date(2027, 2, 10))
                    for i, key in enumerate(dict.fromkeys(events)))
    return CaseRow(id=1, process=d.key, process_version=d.version, subject_id=1, org="X",
                   state=d.initial_state, fields={}, given=given,
                   period="2026" if d.recurrence is not None and d.recurrence.period == "year"
                   else "2026M06" if d.recurrence is not None and d.recurrence.period == "month"
                   else "2026Q2" if d.recurrence is not None else None,
                   case_date=min(given.values(), default=date(2019, 3, 1)),
                   created_on=date(2027, 2, 10), stage_status="done_late" if spec.counted
                   else None, records=records)


REGISTERS = [d for d in REGISTRY.all() if d.scorecard is not None and d.scorecard.is_register]


@pytest.mark.parametrize("key", [d.key for d in REGISTERS])
def test_each_register_counts_an_entry_in_the_year_of_its_fact(key):
    d = REGISTRY.get(key)
    case = _register_case(d)
    entry = entry_of(d, case)
    assert entry is not None
    assert entry.counts_in(2026) and not entry.counts_in(2019), (key, entry)
    assert entry.entered_late(2026)
    if d.form is not None:  # the form writes it in the score's year, never in another
        from workflow.forms.service import Source, _items

        source = Source(d, d.form)
        assert _items(source, d, case, entry, 2026), key
        assert not _items(source, d, case, entry, 2019), key


# the subject S (an akimat: 4.1.1 and 4.1.2 are its) and a quasi-state entity Q under it, whose
# entries project No. 3 reads; any other register's entry is S's own
TREE = (("S", "akimat"), ("Q", "quasi_state", "S"))

def _national_figures(key: str) -> list:
    """The national input's figures of the register (none when the forms are not installed)."""
    if not installed("forms"):
        return []
    from workflow.forms import national

    return [f for sec in national.national_spec().sections for f in sec.figures
            if f.register == key]


def _in_score(entry, year: int) -> str | None:
    """The entry's status behind the indicator it feeds in `year` (None: not read there);
    a certificate is counted in a year it is valid on a day of."""
    from workflow.scorecard.catalogue import catalogue
    from workflow.scorecard.evaluation import _Evaluation, behind
    from workflow.scorecard.rules import Org, ScoreSettings

    tree = tuple(Org(*org) for org in TREE)
    st, cat = ScoreSettings(), catalogue()
    today = date(2027, 3, 1)
    key = cat.feeds(entry)
    if next(i for i in cat.indicators if i.key == key).kind == "certificates":
        ev = _Evaluation("S", "akimat", tree, year, today, [entry], st, cat)
        return "done" if ev.valid(entry) else None
    found = behind("S", "akimat", tree, year, today, [entry], st, cat)[key]
    return next((status for e, status, _ in found if e is entry), None)


def _in_national(d: Definition, entry, year: int) -> dict[str, int]:
    """The national input's figures of the register in `year` (a sum figure's value where
    the entry carries one; none when the forms are not installed)."""
    if not installed("forms"):
        return {}
    from workflow.forms import national
    from workflow.services.context import Context

    ctx = Context(None, REGISTRY, date(2027, 3, 1))  # type: ignore[arg-type]
    counter = national._Counter(None, ctx, national.national_spec(), "ru", "S", {}, None,
                                set(), set(), year)  # type: ignore[arg-type]
    return {f.key: counter.figures(f, "1", [entry])[0].value for f in _national_figures(d.key)}


def _with_amounts(d: Definition, case: CaseRow) -> CaseRow:
    """The case with 1 as every value a national figure sums or counts the distinct values of,
    on the case and its records."""
    keys = {k for f in _national_figures(d.key) for k in (f.sum, f.distinct) if k}
    one = dict.fromkeys(keys, 1)
    records = tuple(RecordRow(r.id, r.event, r.on, {**r.evidence, **one}, r.recorded_on)
                    for r in case.records)
    return replace(case, fields={**case.fields, **one}, records=records)


@pytest.mark.parametrize("key", [d.key for d in REGISTERS])
def test_each_register_is_of_one_year_in_the_score_its_form_and_the_national_input(key):
    """For every shipped register: the score, its appendix and the national input put an entry
    in the same year (2026, the year its rule reads; never 2019, the year of its other dates),
    and count it alike — counted in the score, written in the form, counted in every national
    figure of its register."""
    d = REGISTRY.get(key)
    case = _with_amounts(d, _register_case(d))
    if d.scorecard.counted_states:  # in the state it counts in
        case = replace(case, state=d.scorecard.counted_states[0])
    case = replace(case, org="Q" if d.scorecard.indicator.startswith("3.") else "S")
    entry = entry_of(d, case)
    assert entry is not None and entry.counts(2026)
    assert _in_score(entry, 2026) == "done", key
    assert _in_score(entry, 2019) is None, key
    if d.form is not None:
        from workflow.forms.service import Source, _items

        assert _items(Source(d, d.form), d, case, entry, 2026), key
        assert not _items(Source(d, d.form), d, case, entry, 2019), key
    figures = _in_national(d, entry, 2026)
    assert all(v >= 1 for v in figures.values()), (key, figures)
    assert not any(_in_national(d, entry, 2019).values()), key


def _counted_events(d: Definition) -> set[str]:
    """The events whose record makes an entry count or decides its year."""
    spec = d.scorecard
    return {e.key for e in d.events.values()
            if (spec.counted and e.completes == spec.counted)
            or (spec.year_of and spec.year_of in e.sets)}


@pytest.mark.parametrize("key", [d.key for d in REGISTERS if _counted_events(d)])
def test_each_register_without_its_counted_record_counts_nowhere(key):
    """The same entry with its counted record voided (the stage open again, the day the year
    rule reads gone with it): no year's score counts it, the national input counts it as
    counted nowhere, and when its year is not decided any more no form or figure lists it."""
    d = REGISTRY.get(key)
    spec = d.scorecard
    full = _with_amounts(d, _register_case(d))
    setters = _counted_events(d)
    case = replace(full, org="Q" if spec.indicator.startswith("3.") else "S",
                   records=tuple(r for r in full.records if r.event not in setters),
                   stage_status="open" if spec.counted else None)
    entry = entry_of(d, case)
    assert entry is not None
    counted_figures = {f.key for f in _national_figures(key) if f.counted}
    for year in (2019, 2026, 2027):
        assert _in_score(entry, year) != "done", (key, year)
        assert not entry.counts(year)
        figures = _in_national(d, entry, year)
        assert not any(figures[k] for k in counted_figures), (key, year, figures)
        if not entry.dated:  # a notice never sent: of no year, pending
            assert not any(figures.values()), (key, year, figures)
            if d.form is not None:
                from workflow.forms.service import Source, _items

                assert not _items(Source(d, d.form), d, case, entry, year), (key, year)
            assert _in_score(entry, year) in ("pending", "missing"), (key, year)


@needs("scorecard")  # a register is one by its [scorecard] table
def test_every_register_declares_its_year_rule():
    """B-17: no shipped register counts by the day it was opened."""
    assert REGISTERS
    for d in REGISTERS:
        assert d.scorecard.year != "opened", d.key


def test_no_raw_table_read_outside_the_registers_and_the_loader():
    root = Path(__file__).resolve().parents[2]
    needles = ('raw.get("scorecard")', 'raw["scorecard"]', 'raw.get("form")')
    found = [f"{p.relative_to(root)}" for folder in ("workflow", "web")
             for p in (root / folder).rglob("*.py")
             if any(n in p.read_text(encoding="utf-8") for n in needles)
             and "workflow/registers/" not in str(p) and "workflow/definitions/" not in str(p)]
    assert found == []


@needs("forms")
@needs("platform")
def test_every_form_a_definition_fills_is_laid_out_and_the_package_names_only_those():
    """Appendix numbers live in workflow/forms/layouts.toml alone: a register's [form] and the
    cross-platform map's `forms` name only appendices it lays out."""
    from tests.support.features import module_of
    from workflow.forms.service import appendices

    load_map = module_of("platform", "map").load_map

    laid_out = set(appendices())
    assert laid_out == {1, 2, 3, 4, 5, 6}  # the Instruction's (seed 000 L1762-2143)
    for d in REGISTRY.all():
        if d.form is not None:
            assert d.form.appendix in laid_out, d.key
    named = {n for _p, _t, sub in load_map(REGISTRY).subtasks() for n in sub.forms}
    assert named and named <= laid_out

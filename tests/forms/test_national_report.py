"""The input to the National Anti-Corruption Report (004:L3202-3204, P-23): `merzim form national
ORG --year Y` and `GET /forms/national.xlsx` write the subject's year in figures and in words,
in Kazakh and in Russian, each figure with its source and the entries behind it, consolidated
over a region as the appendices are (B-18).

The world is tests/support/registers_world.py's (the region AK with its education department AK-EDU,
the akimat OTHER beside it, entries of 2025 and a cancelled one that 2026 may not count), and
on top of it, here: an offence notice and an outreach event of AK-EDU (counted in the region's
form), a quasi-state entity under AK with its approved policy and a policy not yet approved,
and two risks of AK's analysis with a recommendation each, one fulfilled. The expected figures
are the entries recorded, counted by hand."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.support.cli_runner import Merzim
from tests.support.databases import BACKENDS, dump_tables
from tests.support.features import needs
from tests.support.registers_world import (
    AK_KK,
    AK_RU,
    D2026,
    REG,
    YEAR,
    _ok,
    _open,
    _period_case,
    _record,
    cells,
    downloaded,
    web_over,
    world_in,
)
from workflow.forms import national
from workflow.storage.db import make_engine

TEXTS = national.national_spec()


def _extend(m: Merzim) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["edu_notice"] = n = _open(m, "offence_notice", "AK-EDU", D2026, "Edu Offender", "Clerk",
                                  {"category": "administrative"}, {"detected": "2026-02-01"})
    _record(m, n, "notice_sent", "2026-02-03", D2026, letter="EDU-1")
    out = _period_case(m, "legal_outreach", "AK-EDU", "2026")
    _record(m, out, "outreach_event", "2026-06-01", D2026, url="https://t.me/edu/1",
            explained="Law on Y", held_at="01.06.2026 10:00", online="yes")
    _ok(m("org", "add", "AK-QSE", "--name", "Regional company", "--name-kk", "Өңірлік компания",
          "--name-ru", "Региональная компания", "--kind", "quasi_state", "--parent", "AK",
          today=D2026))
    ids["policy"] = p = _open(m, "anticorruption_policy", "AK-QSE", D2026)
    _record(m, p, "document_approved", "2026-03-01", D2026, number="P-1")
    ids["coi_policy"] = _open(m, "coi_policy", "AK-QSE", D2026)  # not yet approved
    analyses = _ok(m("case", "list", "--process", TEXTS.process, "--org", "AK", "--json",
                     today=D2026))
    ids["analysis"] = a = next(x["id"] for x in analyses if x["subject"] == "AK")
    _ok(m("org", "subdivision", "AK-EDU", "Preschool", today=D2026))
    for text in ("Risk one", "Risk two"):
        risk = _ok(m("risk", "add", str(a), "--description", text, "--subdivision", "Preschool",
                     "--json", today=D2026))["id"]
        rec = _ok(m("recommendation", "add", str(risk), "--text", f"Fix {text}", "--json",
                    today=D2026))["id"]
        ids[f"rec {text}"] = rec
    # the first recommendation's measure in the action plan, done: fulfilled
    plan = Workbook()
    for row in (["measure", "completion_form", "deadline", "responsible", "person",
                 "recommendation"],
                ["Fix it", "Order", "2026-12-31", "Preschool", None, ids["rec Risk one"]]):
        plan.active.append(row)
    plan.save(m.cwd.parent / "plan.xlsx")
    _ok(m("plan", "import", str(a), str(m.cwd.parent / "plan.xlsx"), today=D2026))
    _ok(m("recommendation", "status", str(ids["rec Risk one"]), "fulfilled", "--date",
          "2026-12-01", "--form", "Order", "--number", "7", today=D2026))
    return ids


@pytest.fixture(scope="module", params=BACKENDS, name="world")
def world_fixture(request, tmp_path_factory):
    yield from world_in(request, tmp_path_factory, "national", _extend)


@pytest.fixture(scope="module", name="web")
def web_fixture(world):
    yield from web_over(world)


def figures(content: bytes | Path) -> dict[str, tuple[str, Any, str, str]]:
    """The figures' sheet read back: by number, (label, value, source, entries)."""
    cells(content)  # every cell text or a number, never a formula
    data = content.read_bytes() if isinstance(content, Path) else content
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    out = {}
    for row in ws.iter_rows(values_only=True):
        number, label, value, source, entries = (list(row) + [None] * 5)[:5]
        if isinstance(value, int) and isinstance(number, str):
            out[number] = (label, value, source, entries or "")
    return out


def label(key: str, lang: str) -> str:
    return next(f.names[lang] for s in TEXTS.sections for f in s.figures if f.key == key)


def by_label(got: dict[str, tuple[str, Any, str, str]]) -> dict[str, int]:
    return {lbl: value for lbl, value, _, _ in got.values()}


def choice(process: str, key: str, value: str, lang: str) -> str:
    defn = REG.get(process)
    spec = defn.fields.get(key) or defn.evidence.get(key)
    assert spec is not None
    return spec.choice_names[value][lang]


# the region AK's 2026, counted by hand from the entries recorded (tests/support/registers_world.py and
# _extend above): AK's notice (criminal) and AK-EDU's (administrative), not 2025's, OTHER's or
# the cancelled one; the act's three rows (two administrative, one discrediting); AK's two
# outreach events and AK-EDU's one; the quasi-state entity's approved policy only; AK's analysis
# of the year planned, its note not signed: not held
EXPECTED = {
    "analyses_held": 0, "analyses_planned": 1, "risks": 2, "recommendations": 2,
    "recommendations_fulfilled": 1, "monitoring_reviewed": 0,
    "offence_notices": 2, "manager_liability": 1, "manager_transfer_liability": 0,
    "tainted_hires": 0, "restriction_breaches": 2, "reconciliation_rows": 3,
    "ethics_events": 1, "ethics_audience": 25, "preventive_work": 2,
    "social_order_amount": 1_200_000, "social_order_units": 1, "outreach_events": 3,
    "anticorruption_policy": 1, "coi_policy": 0,
}
BY_CHOICE = {  # figure, register, choice key: value
    ("offence_notices", "offence_notice", "category"): {"administrative": 1, "criminal": 1},
    ("restriction_breaches", "restriction_breach", "kind"): {
        "incompatible_activity": 1, "conflict_of_interest": 0, "insider_information": 0,
        "reward_or_gift": 1, "foreign_account": 0},
    ("reconciliation_rows", "offence_reconciliation", "category"): {
        "administrative": 2, "criminal": 0, "discrediting": 1},
}


@needs("monitoring")
@needs("planning")
def test_the_region_in_kazakh_and_russian_counts_the_years_entries(world):
    m = world["m"]
    result = m("form", "national", "AK", "--year", str(YEAR), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [f["lang"] for f in out["files"]] == ["kk", "ru"]
    assert out["taken_in"] == ["Білім басқармасы"]  # B-18: the region's department
    for f in out["files"]:
        path = m.cwd / f["file"]
        assert path.is_file()
        lang = f["lang"]
        got = figures(path)
        values = by_label(got)
        for key, expected in EXPECTED.items():
            assert values[label(key, lang)] == expected, (lang, key)
            assert f["figures"][key] == expected, (lang, key)
        for (key, process, field), counts in BY_CHOICE.items():
            for value, expected in counts.items():
                name = f"{label(key, lang)}: {choice(process, field, value, lang)}"
                assert values[name] == expected, (lang, name)
        ws = load_workbook(path).worksheets[0]
        assert ws["A1"].value == TEXTS.texts["title"][lang]
        assert ws["A2"].value == (AK_KK if lang == "kk" else AK_RU)
        assert ws["A3"].value == TEXTS.texts["year"][lang].format(year=YEAR)
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows
    name = {"kk": "ұлттық-баяндама-AK-2026-kk.xlsx", "ru": "национальный-доклад-AK-2026-ru.xlsx"}
    assert [f["file"] for f in out["files"]] == [name["kk"], name["ru"]]


@needs("monitoring")
@needs("planning")
def test_each_figure_names_its_source_and_entries(world):
    m, ids = world["m"], world["ids"]
    path = world["tmp"] / "national-ru.xlsx"
    result = m("form", "national", "AK", "--year", str(YEAR), "--lang", "ru", "--output",
               str(path))
    assert result.returncode == 0, result.stderr
    got = {lbl: (source, entries) for lbl, _, source, entries in figures(path).values()}
    source, entries = got[label("offence_notices", "ru")]
    assert source == "000:L704-743"
    # the operator sees every person; a subdivision's entry names where it came from (B-19)
    assert f"#{ids['notice']}, =cmd, Chief specialist" in entries
    assert f"#{ids['edu_notice']}, Управление образования, Edu Offender, Clerk" in entries
    assert "Old Offender 2025" not in entries and "Mistaken Entry" not in entries
    assert "Other Org Offender" not in entries
    source, entries = got[label("anticorruption_policy", "ru")]
    assert f"#{ids['policy']}, Региональная компания" in entries
    assert got[label("coi_policy", "ru")][1] == "нет"
    # planned for the year, its note not yet signed: listed apart from those held
    assert got[label("analyses_planned", "ru")][1] == f"#{ids['analysis']}"
    assert got[label("analyses_held", "ru")][1] == "нет"
    assert got[label("risks", "ru")][1] == f"#{ids['analysis']}: 2"
    # the words' sheet: a paragraph a section with its figures
    words = [c.value for c in load_workbook(path).worksheets[1]["A"] if c.value]
    assert words[0] == TEXTS.texts["title"]["ru"]
    offences = next(w for w in words if w.startswith("Коррупционные правонарушения"))
    assert f"{label('offence_notices', 'ru')} — 2" in offences


@needs("monitoring")
@needs("planning")
def test_a_department_counts_its_own_and_the_agency_takes_in_both_akimats(world):
    m = world["m"]
    own = json.loads(m("form", "national", "AK-EDU", "--year", str(YEAR), "--lang", "kk",
                       "--json").stdout)
    assert own["taken_in"] == []
    assert own["files"][0]["figures"]["offence_notices"] == 1
    assert own["files"][0]["figures"]["outreach_events"] == 1
    gov = json.loads(m("form", "national", "GOV", "--year", str(YEAR), "--lang", "kk",
                       "--json").stdout)
    # AK's two and OTHER's one (B-18: a central body takes in the akimats under it)
    assert gov["files"][0]["figures"]["offence_notices"] == 3
    old = json.loads(m("form", "national", "AK", "--year", "2025", "--lang", "kk",
                       "--json").stdout)
    assert old["files"][0]["figures"]["offence_notices"] == 1  # 2025's only
    assert old["files"][0]["figures"]["analyses_held"] == 0


@needs("monitoring")
@needs("planning")
def test_refusals_change_nothing(world):
    m = world["m"]
    before = sorted(p.name for p in m.cwd.iterdir())
    engine = make_engine(world["url"])
    tables = dump_tables(engine)
    for args, code, en, kk in [
            (["national", "AK", "--output", "x.xlsx"], 2, "--output writes one file",
             "--output бір файл"),
            (["national", "AK", "--lang", "en"], 2, "Kazakh or Russian (kk or ru)", "«en»"),
            (["national", "NOPE"], 4, "No organisation with code NOPE.", "NOPE"),
            (["national", "AK", "--year", "1800"], 2, "1800 is outside", "1800")]:
        for lang, text in (("en", en), ("kk", kk)):
            result = m("form", *args, lang=lang)
            assert result.returncode == code, (args, result.stderr)
            assert text in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in m.cwd.iterdir()) == before
    assert dump_tables(engine) == tables
    engine.dispose()


def test_the_data_names_registers_events_and_fields_that_exist():
    assert national.check_definitions(REG.keys(), REG.get) == []
    for section in TEXTS.sections:
        for f in section.figures:
            assert f.source.startswith(("000:L", "002:L", "003:L")), f.key
    assert TEXTS.obligation in set(REG.keys())


# -- the web ------------------------------------------------------------------------------------


@needs("monitoring")
@needs("planning")
def test_the_officer_downloads_it_with_the_names(web):
    r = downloaded(web.browser("aida"), f"/forms/national.xlsx?org=AK&year={YEAR}&lang=kk")
    got = {lbl: entries for lbl, _, _, entries in figures(r.content).values()}
    assert "Gift Taker" in got[label("restriction_breaches", "kk")]
    values = by_label(figures(r.content))
    assert values[label("offence_notices", "kk")] == 2


@needs("monitoring")
@needs("planning")
def test_a_manager_above_gets_the_figures_not_the_persons(web):
    since = web.last_audit()
    r = downloaded(web.browser("bolat"), f"/forms/national.xlsx?org=AK&year={YEAR}&lang=ru")
    got = figures(r.content)
    text = "\n".join(str(v) for row in got.values() for v in row)
    for person in ("=cmd", "Chief specialist", "Gift Taker", "Edu Offender", "Supervisor Bekov"):
        assert person not in text
    assert "(скрыто)" in text
    assert by_label(got)[label("offence_notices", "ru")] == 2  # the same figures
    audit = web.audit_since(since)
    assert any(a[:2] == ("web:bolat", "export.form") and a[2]["form"] == "national"
               and a[2]["persons_shown"] == 0 and a[2]["persons_hidden"] >= 5 for a in audit)


@needs("monitoring")
@needs("planning")
def test_an_officer_elsewhere_gets_nothing(web):
    b = web.browser("ruslan")
    assert b.get(f"/forms/national.xlsx?org=AK&year={YEAR}").status_code == 404
    assert b.get(f"/forms/national.xlsx?org=NOPE&year={YEAR}").status_code == 404
    own = b.get(f"/forms/national.xlsx?year={YEAR}&lang=kk")  # her own organisation
    assert own.status_code == 200
    assert by_label(figures(own.content))[label("offence_notices", "kk")] == 1
    assert b.get("/forms/national.xlsx?lang=en").status_code == 422
    assert b.get("/forms/national.xlsx?year=abc").status_code == 422
    assert web.client().get("/forms/national.xlsx?org=AK").status_code == 303


@needs("monitoring")
@needs("planning")
def test_the_score_page_and_the_obligations_case_link_to_it(web, world):
    b = web.browser("aida")
    page = b.get(f"/score/AK?year={YEAR}")
    assert page.status_code == 200
    assert f'href="/forms/national.xlsx?org=AK&amp;year={YEAR}&amp;lang=kk"' in page.text
    m = world["m"]
    rows = _ok(m("case", "list", "--process", TEXTS.obligation, "--org", "AK", "--json",
                 today=D2026))
    case = next(r["id"] for r in rows if r["subject"] == "AK" and r["period"] == "2025")
    page = b.get(f"/cases/{case}")
    assert page.status_code == 200
    assert 'href="/forms/national.xlsx?org=AK&amp;year=2025&amp;lang=ru"' in page.text


@needs("monitoring")
@needs("planning")
def test_the_obligations_case_page_links_it_and_another_page_does_not(world, web):
    """The analysis page of the obligation the form names links to the input, in kk and ru
    (the forms' `report_forms` part of the shared pages, web/kit/parts.py); another
    definition's case page does not."""
    rows = _ok(world["m"]("case", "list", "--process", TEXTS.obligation, "--org", "AK",
                          "--json", today=D2026))
    case = next(r for r in rows if r["subject"] == "AK")
    page = web.browser("aida").get(f"/cases/{case['id']}").text
    year = case["period"][:4]
    assert 'data-testid="national-form"' in page
    for lang in ("kk", "ru"):
        assert f"/forms/national.xlsx?org=AK&amp;year={year}&amp;lang={lang}" in page
    other = _period_case(world["m"], "legal_outreach", "AK-EDU", "2026")
    assert 'data-testid="national-form"' not in web.browser("aida").get(f"/cases/{other}").text

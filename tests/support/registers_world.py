"""A subject with a year of entries in the registers that fill the report forms, shared by
tests/forms/test_forms.py, tests/platform/test_package_forms.py and tests/registers/test_register_list.py (a
test module
imports no other test module, tests/test_architecture.py: hence this helper module): the
agency GOV with the akimats AK (its education department AK-EDU) and OTHER, their officers aida
and ruslan and the manager bolat, AK's offence notices, a supervisor's liability, two breaches,
the reconciliation act, the social order, the ethics commissioner's work, legal outreach and
an internal analysis of 2026 (hence a programme), entries of 2025 and another organisation's
that the year's forms may not show. Built through the command line, once per backend."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.support.cli_runner import Merzim
from tests.support.cli_runner import answer as _ok
from tests.support.databases import BACKENDS, database_from_template
from tests.support.web_helpers import CALENDAR, Web, _settings
from web.app import create_app
from workflow.definitions import load_registry
from workflow.storage.db import make_engine

YEAR = 2026
D2025, D2026 = "2025-12-15", "2026-12-15"  # the days the entries are recorded on
REG = load_registry()
AK_KK, AK_RU = "Алматы облысының әкімдігі", "Акимат Алматинской области"


# -- the names the registers give their fields --------------------------------------------------


def name(process: str, key: str, lang: str) -> str:
    """A field's, evidence's or named date's name in a register (an event's key: the day it
    was recorded, named as the event)."""
    defn = REG.get(process)
    spec = defn.fields.get(key) or defn.evidence.get(key)
    names = (spec.names if spec is not None else defn.events[key].names if key in defn.events
             else defn.dates[key].names)
    assert names is not None
    return names[lang]


def choice(process: str, key: str, value: str, lang: str) -> str:
    """A choice's name in a register."""
    defn = REG.get(process)
    spec = defn.fields.get(key) or defn.evidence.get(key)
    assert spec is not None
    return spec.choice_names[value][lang]


def _record(m: Merzim, case: int, event: str, on: str, today: str, url: str | None = None,
            **evidence: str) -> None:
    args = ["record", str(case), event, "--date", on]
    for k, v in evidence.items():
        args += ["--evidence", f"{k}={v}"]
    if url:
        args += ["--url", url]
    _ok(m(*args, today=today))


def _open(m: Merzim, process: str, subject: str, today: str, person: str | None = None,
          position: str | None = None, fields: dict[str, str] | None = None,
          dates: dict[str, str] | None = None) -> int:
    args = ["case", "open", process, "--subject", subject, "--json"]
    if person:
        args += ["--person", person, "--position", position or ""]
    for k, v in (fields or {}).items():
        args += ["--field", f"{k}={v}"]
    for k, v in (dates or {}).items():
        args += ["--date", f"{k}={v}"]
    return _ok(m(*args, today=today))["id"]


def _period_case(m: Merzim, process: str, org: str, period: str) -> int:
    rows = _ok(m("case", "list", "--process", process, "--org", org, "--json", today=D2026))
    return next(r["id"] for r in rows if r["subject"] == org and r["period"] == period)


def build_world(m: Merzim) -> dict[str, int]:
    for code, parent, kind, en, kk, ru in [
            ("GOV", None, "central_body", "Agency", "Агенттік", "Агентство"),
            ("AK", "GOV", "akimat", "Almaty region akimat", AK_KK, AK_RU),
            ("AK-EDU", "AK", "department", "Education department", "Білім басқармасы",
             "Управление образования"),
            ("OTHER", "GOV", "akimat", "Other akimat", "Басқа әкімдік", "Другой акимат")]:
        _ok(m("org", "add", code, "--name", en, "--name-kk", kk, "--name-ru", ru, "--kind", kind,
              *(["--parent", parent] if parent else []), today=D2025))
    for login, role, org in [("aida", "officer", "AK"), ("bolat", "manager", "GOV"),
                             ("ruslan", "officer", "OTHER")]:
        _ok(m("user", "add", login, "--org", org, "--role", role, today=D2025))
    _ok(m("obligations", "sync", today="2025-12-01"))  # 2025's and 2026's periods
    _ok(m("obligations", "sync", today="2026-12-01"))  # 2026's and 2027's
    ids: dict[str, int] = {}
    # project 2: offence notices (one of 2025, one of OTHER, one cancelled), a supervisor's
    # liability, two breaches of restrictions (rows 2.5.4 and 2.5.1)
    ids["notice"] = n = _open(m, "offence_notice", "AK", D2026, "=cmd", "Chief specialist",
                              {"category": "criminal", "place": "Konaev", "damage": "250000"},
                              {"detected": "2026-03-10"})
    _record(m, n, "notice_sent", "2026-03-12", D2026, letter="12-34/567")
    n = _open(m, "offence_notice", "AK", D2025, "Old Offender 2025", "Clerk",
              {"category": "administrative"}, {"detected": "2025-11-01"})
    _record(m, n, "notice_sent", "2025-11-05", D2025, letter="OLD-2025")
    n = _open(m, "offence_notice", "OTHER", D2026, "Other Org Offender", "Clerk",
              {"category": "criminal"}, {"detected": "2026-04-01"})
    _record(m, n, "notice_sent", "2026-04-02", D2026, letter="OTHER-2026")
    n = _open(m, "offence_notice", "AK", D2026, "Mistaken Entry", "Clerk",
              {"category": "criminal"}, {"detected": "2026-05-01"})
    _ok(m("record", str(n), "cancel", "--date", "2026-05-02", "--note", "entered by mistake",
          today=D2026))
    _open(m, "manager_liability", "AK", D2026, "Supervisor Bekov", "Head of department",
          {"offence_category": "Grave crime", "incidents": "A bribe taken for a licence",
           "erdr_number": "261234", "court": "Almaty city court", "supervisor_political": "no",
           "three_months": "yes", "detected_independently": "yes"},
          {"court_act": "2026-04-01", "in_force": "2026-04-20"})
    _open(m, "restriction_breach", "AK", D2026, "Gift Taker", "Head",
          {"kind": "reward_or_gift", "detected_independently": "yes"}, {"detected": "2026-06-01"})
    _open(m, "restriction_breach", "AK", D2026, "Side Worker", "Specialist",
          {"kind": "incompatible_activity", "additional_activity": "Paid consulting",
           "detected_independently": "no"},
          {"detected": "2026-07-01"})
    # appendix 3: the act of 2026 (two administrative offences, one discrediting); 2025's
    r25 = _period_case(m, "offence_reconciliation", "AK", "2025")
    _record(m, r25, "offence_row", "2025-12-10", D2025, category="criminal",
            plot="OLD-2025 plot", status="in force")
    r26 = _period_case(m, "offence_reconciliation", "AK", "2026")
    for day, category, plot, status in [("2026-12-01", "administrative", "Plot A1", "Fined"),
                                        ("2026-12-02", "discrediting", "Plot D1", "Reprimand"),
                                        ("2026-12-03", "administrative", "=Plot A2", "Fined")]:
        _record(m, r26, "offence_row", day, D2026, category=category, plot=plot, status=status)
    # appendix 4: the social order of 2026 (totals, one unit) and 2027's totals; 2025's
    s25 = _period_case(m, "social_order", "AK", "2025")
    _record(m, s25, "totals", "2025-02-01", D2025, total_allocated="111", anticorruption_allocated="22")
    s26 = _period_case(m, "social_order", "AK", "2026")
    _record(m, s26, "totals", "2026-02-01", D2026, total_allocated="5000000",
            anticorruption_allocated="1200000")
    _record(m, s26, "unit_order", "2026-03-01", D2026, url="https://goszakup.example/1",
            unit="AK-EDU", amount="700000")
    s27 = _period_case(m, "social_order", "AK", "2027")
    _record(m, s27, "totals", "2026-12-10", D2026, total_allocated="6000000",
            anticorruption_allocated="1500000")
    # appendix 5: December's explanatory event and preventive work; December 2025's event
    e25 = _period_case(m, "ethics_explanatory_event", "AK", "2025M12")
    _record(m, e25, "event_held", "2025-12-10", D2025, topic="OLD-2025 topic", audience="10",
            commissioner="Old Commissioner")
    e26 = _period_case(m, "ethics_explanatory_event", "AK", "2026M12")
    _record(m, e26, "event_held", "2026-12-10", D2026, topic="Gifts and conflicts",
            audience="25", commissioner="A. Commissioner")
    p26 = _period_case(m, "preventive_work", "AK", "2026M12")
    for servant in ("A. Bekova, Chief specialist", "B. Omarov, Head of division"):
        _record(m, p26, "work_done", "2026-12-11", D2026, servant=servant,
                positions_list="Register 2026")
    # appendix 6: two outreach events of 2026, one of 2025
    l25 = _period_case(m, "legal_outreach", "AK", "2025")
    _record(m, l25, "outreach_event", "2025-05-05", D2025, url="https://t.me/old",
            explained="OLD-2025 law", held_at="05.05.2025 10:00", online="no")
    l26 = _period_case(m, "legal_outreach", "AK", "2026")
    _record(m, l26, "outreach_event", "2026-05-05", D2026, url="https://t.me/x/1",
            explained="Law on X", held_at="10:00, the akimat's hall", online="yes")
    _record(m, l26, "outreach_event", "2026-10-01", D2026, url="https://t.me/x/2",
            explained="Life situation: a pension", held_at="15:30, online", online="no")
    # appendix 1 and AK's programme of 2026 (the cross-platform package is a programme's): the
    # internal analysis of the akimat's education department and its cartogram
    analysis = _ok(m("analysis", "plan", "--subject", "AK", "--object", "AK-EDU", "--start",
                     "2026-09-01", "--json", today=D2026))["id"]
    for part in ("positions", "risks"):  # version 5: each part of the section on its own
        _record(m, analysis, "cartogram_update", "2026-11-20", D2026,
                url="https://gov.kz/carto/1", section="AK-EDU", cartogram_part=part)
    return ids


def world_in(request, tmp_path_factory, folder: str, *more) -> Iterator[dict[str, Any]]:
    """The registers world (`build_world`, then each of `more` with the same `merzim`, its
    ids added) in a copy of the template database of the backend `request.param`: a module
    fixture yields from it."""
    tmp = tmp_path_factory.mktemp(folder)
    (tmp / "cwd").mkdir()
    with database_from_template(request.param, tmp) as (url, _):
        m = Merzim(tmp / "cwd", db_url=url, today=D2026)
        ids = build_world(m)
        for extend in more:
            ids.update(extend(m) or {})
        yield {"m": m, "url": url, "tmp": tmp, "ids": ids}


def web_over(world: dict[str, Any]) -> Iterator[Web]:
    """The web application over a world of `world_in`, today pinned: a fixture yields from it."""
    engine = make_engine(world["url"])
    app = create_app(_settings(world["tmp"], world["url"]), engine, CALENDAR, REG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", D2026)
        yield Web(engine, app, {}, {}, cache=True)
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS, name="world")
def world_fixture(request, tmp_path_factory) -> Iterator[dict[str, Any]]:
    yield from world_in(request, tmp_path_factory, "registers")


@pytest.fixture(scope="module", name="web")
def web_fixture(world) -> Iterator[Web]:
    yield from web_over(world)


def produce(world: dict[str, Any], n: int, lang: str, org: str = "AK", year: int = YEAR
            ) -> Path:
    path = world["tmp"] / f"form-{n}-{org}-{year}-{lang}.xlsx"
    result = world["m"]("form", str(n), org, "--year", str(year), "--lang", lang,
                        "--output", str(path))
    assert result.returncode == 0, result.stderr
    return path


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def downloaded(browser, url: str):
    """`url` read by `browser`: an XLSX file sent as an attachment (the response)."""
    r = browser.get(url)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"].startswith("attachment;")
    return r


def cells(content: bytes | Path) -> dict[str, Any]:
    """Every non-empty cell by its address, as openpyxl reads the file back; and no cell of the
    file is a formula."""
    data = content.read_bytes() if isinstance(content, Path) else content
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for member in z.namelist():
            if member.startswith("xl/worksheets/"):
                xml = z.read(member)
                assert b"<f>" not in xml and b"<f " not in xml, member
    ws = load_workbook(io.BytesIO(data)).active
    out = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value not in (None, ""):
                assert cell.data_type in ("s", "n"), (cell.coordinate, cell.data_type)
                out[cell.coordinate] = cell.value
    return out

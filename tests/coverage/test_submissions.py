"""B-18 (000:L92-98): the final reporting form each subdivision presents to the region — its
yearly report on compliance with anti-corruption law (the register whose `[scorecard]` says
`final_report`), recorded as submitted — visible to the regional akimat: a region with a
department and a district akimat (its akim's apparatus and a quasi-state entity present none),
the cases opened by `obligations sync`, through the command line, the API (a manager of the
region; an officer elsewhere refused, nothing leaked), the coverage page's section linked from
the score page, and the reminder to the region's officers from 10 working days before its own
deadline (2 February 2026 for 2025: 31 January is a Saturday), once a week, sent through a real
SMTP server, while a unit has not submitted."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from tests.support.databases import dump_tables
from tests.support.score_helpers import add_tree
from tests.support.smtp_server import SmtpSink, write_config
from tests.support.web_helpers import CALENDAR, Web, _settings
from web.app import create_app
from workflow import services as svc
from workflow.core.errors import ConfigError
from workflow.coverage import rules
from workflow.coverage.rules import CoverageSettings
from workflow.definitions import load_registry
from workflow.storage.models import OutboxMessage

OPENED = date(2025, 11, 25)  # the day the obligations are opened (a Tuesday)
TREE = [("MIN", "Ministry", "central_body", None),
        ("OBL", "Regional akimat", "akimat", None),
        ("OBL-APP", "Akim's apparatus", "akim_apparatus", "OBL"),
        ("OBL-EDU", "Education department", "department", "OBL"),
        ("OBL-D1", "District akimat", "district_akimat", "OBL"),
        ("OBL-QS", "Regional holding", "quasi_state", "OBL")]
USERS = [("ainur", "Ainur Bekova", "officer", "OBL", "ainur@example.kz", "ru"),
         ("ruslan", "Ruslan Ali", "manager", "OBL", "ruslan@example.kz", "en"),
         ("dana", "Dana Sarsen", "officer", "OBL-D1", "dana@example.kz", "en"),
         ("marat", "Marat Ospan", "officer", "MIN", "marat@example.kz", "en")]
DEADLINE = "2026-02-02"  # the report of 2025: 31 January 2026 is a Saturday (B-4, I-1)
# a unit's report of 2025: 10 working days before the region's own (B-21): 30, 29, 28, 27, 26,
# 23, 22, 21, 20 and 19 January 2026
UNIT_DUE = "2026-01-19"
REGISTRY = load_registry()
FINAL_REPORT = next(d for d in REGISTRY.all() if d.scorecard and d.scorecard.final_report)
FINAL = FINAL_REPORT.key
SUBMITTED = next(e.key for e in FINAL_REPORT.events.values()
                 if FINAL_REPORT.scorecard and e.completes == FINAL_REPORT.scorecard.counted)


def add_orgs(engine, ctx, tree, users=()) -> None:
    with Session(engine) as s:
        add_tree(s, ctx, tree)
        for login, name, role, org, email, language in users:
            svc.add_user(s, ctx, login, name, role, org, email=email, language=language)
        s.commit()


@pytest.fixture
def region(db, make_ctx, merzim_db):
    add_orgs(db, make_ctx(OPENED), TREE, USERS)
    got = merzim_db("obligations", "sync", "--json", today=OPENED.isoformat())
    assert got.returncode == 0, got.stderr
    CASES.clear()
    CASES.update({o["org"]: o["id"] for o in json.loads(got.stdout)["opened"]
                  if o["process"] == FINAL and o["period"] == "2025"})
    # the region and its units, the quasi-state entity and the ministry; not the apparatus
    assert sorted(CASES) == ["MIN", "OBL", "OBL-D1", "OBL-EDU", "OBL-QS"]


CASES: dict[str, int] = {}  # the 2025 report's case of each organisation (`region`)


def submit(merzim_db, org: str, on: str, today: str) -> None:
    got = merzim_db("record", str(CASES[org]), SUBMITTED, "--date", on, "--json", today=today)
    assert got.returncode == 0, got.stderr


def listed(merzim_db, today: str, org: str = "OBL", lang: str = "en") -> dict:
    got = merzim_db("submissions", org, "--year", "2025", "--json", today=today, lang=lang)
    assert got.returncode == 0, got.stderr
    return json.loads(got.stdout)


def test_one_submitted_with_its_day_and_one_not_then_late_missing_and_no_case(
        region, db, make_ctx, merzim_db):
    submit(merzim_db, "OBL-EDU", "2026-01-15", today="2026-01-16")
    result = listed(merzim_db, "2026-01-16")
    units = result.pop("units")
    entities = result.pop("entities")
    assert result == {
        "subject": "OBL", "subject_name": "Regional akimat", "subject_kind": "akimat",
        "year": 2025, "as_of": "2026-01-16", "register": FINAL, "deadline": DEADLINE,
        "deadline_from_case": True, "total": 2, "submitted": 1, "late": 0, "not_yet": 1,
        "missing": 0, "no_case": 0}
    # in tree order; neither the akim's apparatus nor the quasi-state entity; due 10 working
    # days before the region's own report (B-21)
    assert [(u["code"], u["name"], u["kind"], u["status"], u["due"], u["submitted_on"])
            for u in units] == [
        ("OBL-EDU", "Education department", "department", "submitted_on_time", UNIT_DUE,
         "2026-01-15"),
        ("OBL-D1", "District akimat", "district_akimat", "not_yet", UNIT_DUE, None)]
    assert all(isinstance(u["case"], int) for u in units)
    # the quasi-state entity reports to the region too (project No. 3), listed apart, on the
    # rule's own date
    assert [(u["code"], u["status"], u["due"]) for u in entities] == [
        ("OBL-QS", "not_yet", DEADLINE)]
    # the day after its deadline the district's report is overdue; submitted then, late
    assert [u["status"] for u in listed(merzim_db, "2026-01-20")["units"]] == [
        "submitted_on_time", "missing"]
    submit(merzim_db, "OBL-D1", "2026-02-04", today="2026-02-05")
    # a district added after the sync has no case for the year: said so, not hidden
    add_orgs(db, make_ctx(date(2026, 2, 5)), [("OBL-D2", "Second district", "district_akimat",
                                               "OBL")])
    after = listed(merzim_db, "2026-02-05")
    assert [(u["code"], u["status"], u["submitted_on"]) for u in after["units"]] == [
        ("OBL-EDU", "submitted_on_time", "2026-01-15"), ("OBL-D1", "submitted_late", "2026-02-04"),
        ("OBL-D2", "no_case", None)]
    assert (after["submitted"], after["late"], after["no_case"]) == (2, 1, 1)
    # in Russian, as a table
    got = merzim_db("submissions", "OBL", "--year", "2025", today="2026-02-05", lang="ru",
                    env={"COLUMNS": "220"})
    assert got.returncode == 0, got.stderr
    out = got.stdout
    assert "Итоговая отчётность для Regional akimat (ru) (OBL), 2025" in out
    assert "Итоговый отчёт за 2025 год представили 2 из 3 подразделений." in out
    assert "Свой итоговый отчёт Regional akimat (ru) представляет до 2026-02-02." in out
    assert "представлен 2026-02-04, с опозданием (срок 2026-01-19)" in out
    assert "нет дела отчёта за год" in out
    assert "OBL-APP" not in out
    entities = out[out.index("квазигосударственного"):]  # listed apart, after the units
    assert "OBL-QS" in entities and "OBL-EDU" not in entities


def test_anyone_else_presents_nothing_and_refusals_change_nothing(region, db, merzim_db):
    # a district akimat does not consolidate: nobody reports to it; its deadline is its own
    own = listed(merzim_db, "2026-01-20", org="OBL-D1")
    assert (own["units"], own["total"], own["deadline"]) == ([], 0, UNIT_DUE)
    text = merzim_db("submissions", "OBL-D1", "--year", "2025", today="2026-01-20").stdout
    assert "No subdivision presents its final report to this organisation." in text
    before = dump_tables(db)
    last = CALENDAR.last_year  # its reports are due in a year the calendar does not hold
    for args, code in ((("NOPE", "--year", "2025"), 4), (("OBL", "--year", "1990"), 2),
                       (("OBL", "--year", str(last)), 2)):
        got = merzim_db("submissions", *args, "--json", today="2026-01-20")
        assert got.returncode == code and "Traceback" not in got.stderr
    assert dump_tables(db) == before


def test_bounded_queries_whatever_the_tree(db, make_ctx):
    """One query of the organisation, one of its subtree and the register's reading (its cases
    and their records): the same number for 2 units as for 40."""
    from workflow.coverage import service
    from workflow.scorecard.rules import ScoreSettings

    add_orgs(db, make_ctx(OPENED), TREE)
    ctx = svc.Context(CALENDAR, REGISTRY, date(2026, 1, 20))

    def statements() -> tuple[int, int]:
        seen: list[str] = []

        def count(*_args):
            seen.append("x")

        event.listen(db, "before_cursor_execute", count)
        try:
            with Session(db) as s:
                total = service.submissions(s, ctx, "OBL", 2025, ScoreSettings()).total
        finally:
            event.remove(db, "before_cursor_execute", count)
        return total, len(seen)

    small = statements()
    add_orgs(db, make_ctx(OPENED), [(f"OBL-X{i}", f"District {i}", "district_akimat", "OBL")
                                    for i in range(38)])
    large = statements()
    assert (small[0], large[0]) == (2, 40)
    assert small[1] == large[1] == 4, (small, large)


def test_settings_of_the_reminder():
    assert CoverageSettings().submissions_remind_days == 10
    assert CoverageSettings.from_config({"submissions_remind_days": 0}).submissions_remind_days \
        == 0
    for raw in ({"submissions_remind_days": "10"}, {"submissions_remind_days": -1},
                {"submissions_remind_days": True}):
        with pytest.raises(ConfigError, match="coverage.submissions_remind_days"):
            CoverageSettings.from_config(raw)
    first, deadline = date(2026, 1, 19), date(2026, 2, 2)
    assert [rules.submissions_week(date(2026, 1, d), first, deadline) for d in (16, 19, 25, 26)] \
        == [None, 0, 0, 1]
    assert (rules.submissions_week(deadline, first, deadline),
            rules.submissions_week(date(2026, 2, 3), first, deadline)) == (2, None)


# -- the API and the pages ----------------------------------------------------------------------


def test_api_and_pages_for_the_regions_manager_refused_elsewhere(region, db, tmp_path,
                                                                 merzim_db, monkeypatch):
    submit(merzim_db, "OBL-EDU", "2026-01-15", today="2026-01-16")
    monkeypatch.setenv("MERZIM_TODAY", "2026-01-16")
    app = create_app(_settings(tmp_path, str(db.url)), db, CALENDAR, REGISTRY)
    web = Web(db, app, {}, {})
    manager = web.api("ruslan")
    api = manager.get("/api/v1/submissions", params={"org": "OBL", "year": 2025, "lang": "ru"})
    assert api.status_code == 200, api.text
    body = api.json()
    assert (body["subject_name"], body["deadline"], body["submitted"], body["total"]) == (
        "Regional akimat (ru)", DEADLINE, 1, 2)
    assert [(u["code"], u["name"], u["status"], u["submitted_on"]) for u in body["units"]] == [
        ("OBL-EDU", "Education department (ru)", "submitted_on_time", "2026-01-15"),
        ("OBL-D1", "District akimat (ru)", "not_yet", None)]
    assert [(u["code"], u["due"]) for u in body["entities"]] == [("OBL-QS", DEADLINE)]
    # the API describes its answer
    schema = app.openapi()["paths"]["/api/v1/submissions"]["get"]["responses"]["200"]
    assert "Submissions" in json.dumps(schema)
    # the score page links to the list, the coverage page shows it (a list, not a table)
    browser = web.browser("ruslan")
    score = browser.get("/score/OBL?year=2025")
    assert score.status_code == 200, score.text
    assert '/coverage?org=OBL&amp;year=2025#submissions' in score.text
    page = browser.get("/coverage?org=OBL&year=2025")
    assert page.status_code == 200, page.text
    section = page.text[page.text.index('data-testid="submissions"'):]
    assert 'data-org="OBL-EDU" data-status="submitted_on_time"' in section
    assert "submitted on 2026-01-15, on time" in section
    assert 'data-org="OBL-D1" data-status="not_yet"' in section
    assert "not yet submitted, due 2026-01-19" in section
    assert "1 of 2 subdivisions have submitted their final report for 2025." in section
    assert "OBL-APP" not in section
    entities = section[section.index('data-testid="submissions-entities"'):]
    assert 'data-org="OBL-QS" data-status="not_yet"' in entities  # project No. 3's, apart
    assert 'data-org="OBL-EDU"' not in entities
    assert "<table" not in section[:section.index("</section>")]
    # a year whose reports are due beyond the calendar's data: the page without the section
    beyond = browser.get(f"/coverage?org=OBL&year={CALENDAR.last_year}")
    assert beyond.status_code == 200 and 'data-testid="submissions"' not in beyond.text
    # a district's page has no such section; its score page no link
    assert 'data-testid="submissions"' not in browser.get("/coverage?org=OBL-D1").text
    assert "#submissions" not in browser.get("/score/OBL-D1?year=2025").text
    # an officer of another organisation: the 404 of an unknown one, nothing of the region
    marat, marat_page, dana = web.api("marat"), web.browser("marat"), web.api("dana")
    before = web.dump()
    for client, url in ((marat, "/api/v1/submissions?org=OBL&year=2025"),
                        (marat, "/api/v1/submissions?org=OBL-EDU"),
                        (marat_page, "/coverage?org=OBL&year=2025"),
                        (dana, "/api/v1/submissions?org=OBL")):
        refused = client.get(url)
        assert refused.status_code == 404, (url, refused.text)
        assert "Education department" not in refused.text and "2026-01-15" not in refused.text
    assert manager.get("/api/v1/submissions", params={"org": "NOPE"}).status_code == 404
    assert manager.get("/api/v1/submissions", params={"year": 1990}).status_code == 422
    assert web.dump() == before
    # her own organisation by default: the ministry has no units under it
    own = marat.get("/api/v1/submissions", params={"year": 2025}).json()
    assert (own["subject"], own["units"]) == ("MIN", [])


def test_a_root_of_many_units_lists_a_page_of_them_and_finds_any_one(region, db, tmp_path,
                                                                     make_ctx, monkeypatch):
    """The units' reports at a root of thousands: the section's summary counts them all, the
    list is a page of 50 (?reports=N), any unit found by code or name (?unit=); the page does
    not grow with the units."""
    monkeypatch.setenv("MERZIM_TODAY", "2026-01-16")
    app = create_app(_settings(tmp_path, str(db.url)), db, CALENDAR, REGISTRY)
    browser = Web(db, app, {}, {}).browser("ruslan")

    def units(page: str) -> list[str]:
        listed = page[page.index('data-testid="submissions-list"'):]
        return re.findall(r'<li data-org="([^"]+)"', listed[:listed.index("</ul>")])

    add_orgs(db, make_ctx(OPENED), [(f"OBL-U{i:03d}", f"Added unit {i:03d}", "department", "OBL")
                                    for i in range(100)])
    first = browser.get("/coverage?org=OBL&year=2025")
    assert first.status_code == 200, first.text
    assert "0 of 102 subdivisions have submitted" in first.text
    shown = units(first.text)
    pages = [shown, *(units(browser.get(f"/coverage?org=OBL&year=2025&reports={n}").text)
                      for n in (2, 3))]
    assert [len(p) for p in pages] == [50, 50, 2]  # in tree order, each unit once
    assert sorted(sum(pages, [])) == sorted(
        ["OBL-EDU", "OBL-D1", *(f"OBL-U{i:03d}" for i in range(100))])
    found = browser.get("/coverage?org=OBL&year=2025&unit=unit+042").text
    assert units(found) == ["OBL-U042"]
    none = browser.get("/coverage?org=OBL&year=2025&unit=nothing+such").text
    assert 'data-testid="submissions-search-none"' in none
    assert browser.get("/coverage?org=OBL&year=2025&reports=0").status_code == 422
    add_orgs(db, make_ctx(OPENED), [(f"OBL-V{i:03d}", f"More unit {i:03d}", "department", "OBL")
                                    for i in range(300)])
    again = browser.get("/coverage?org=OBL&year=2025")
    assert "0 of 402 subdivisions have submitted" in again.text
    assert len(again.content) - len(first.content) < 500 and len(units(again.text)) == 50


def test_the_api_pages_a_root_of_many_units_with_the_counts_of_all(region, db, tmp_path,
                                                                   make_ctx, monkeypatch):
    """GET /api/v1/submissions at a root of hundreds of units: a page of `limit` units (50
    unless asked) from `offset`, the quasi-state entities paged alike, the counts of them
    all on every page; the pages together are every unit once, in tree order; a page does
    not grow with the units; a bad limit or offset is refused in the reader's language and
    changes nothing."""
    from workflow.i18n import Translator

    monkeypatch.setenv("MERZIM_TODAY", "2026-01-16")
    app = create_app(_settings(tmp_path, str(db.url)), db, CALENDAR, REGISTRY)
    web = Web(db, app, {}, {})
    manager = web.api("ruslan")
    add_orgs(db, make_ctx(OPENED), [(f"OBL-U{i:03d}", f"Added unit {i:03d}", "department", "OBL")
                                    for i in range(120)])

    def get(**params) -> tuple[dict, int]:
        r = manager.get("/api/v1/submissions", params={"org": "OBL", "year": 2025, **params})
        assert r.status_code == 200, r.text
        return r.json(), len(r.content)

    whole, _ = get(limit=500)
    assert (whole["total"], len(whole["units"]), whole["entities_total"]) == (122, 122, 1)
    first, size = get()
    assert (first["limit"], first["offset"], len(first["units"])) == (50, 0, 50)
    pages = [first, *(get(offset=n)[0] for n in (50, 100, 150))]
    assert [len(p["units"]) for p in pages] == [50, 50, 22, 0]
    assert sum((p["units"] for p in pages), []) == whole["units"]  # each once, in order
    assert [len(p["entities"]) for p in pages] == [1, 0, 0, 0]
    counts = ("subject", "deadline", "total", "submitted", "late", "not_yet", "missing",
              "no_case", "entities_total")
    assert all({k: p[k] for k in counts} == {k: whole[k] for k in counts} for p in pages)
    add_orgs(db, make_ctx(OPENED), [(f"OBL-V{i:03d}", f"More unit {i:03d}", "department", "OBL")
                                    for i in range(300)])
    again, size_again = get()
    assert again["total"] == 422 and len(again["units"]) == 50 and size_again - size < 50
    before = web.dump()
    for params, field in (({"limit": 0}, "query.limit"), ({"limit": 501}, "query.limit"),
                          ({"offset": -1}, "query.offset"), ({"offset": "x"}, "query.offset")):
        for lang in ("kk", "ru", "en"):
            r = manager.get("/api/v1/submissions", params={"org": "OBL", "lang": lang,
                                                           **params})
            assert r.status_code == 422, (params, r.text)
            assert r.json()["message"] == Translator(lang)("error.invalid_fields", fields=field)
    assert web.dump() == before


# -- the reminder ----------------------------------------------------------------------------------


def test_the_reminder_goes_to_the_regions_officer_once_a_week_before_its_deadline(
        region, db, merzim_db, tmp_path):
    submit(merzim_db, "OBL-EDU", "2026-01-15", today="2026-01-15")
    sink = SmtpSink().start()
    try:
        cfg = write_config(tmp_path / "smtp.toml", sink.port)

        def cycle(day: str) -> list[tuple]:
            """A worker cycle on `day`, then the final reports' reminders in the outbox."""
            got = merzim_db("worker", "--once", "--json", today=day, config=cfg)
            assert got.returncode == 0, got.stderr
            with Session(db) as s:
                return [(m.recipient_id, m.digest, m.local_day, m.status) for m in s.exec(
                    select(OutboxMessage).where(col(OutboxMessage.digest).like("submissions-%"))
                    .order_by(col(OutboxMessage.id))).all()]

        with Session(db) as s:
            ainur = svc.get_user(s, "ainur").id
        assert cycle("2026-01-16") == []  # 11 working days before 2 February: not yet
        first = (ainur, "submissions-2025-0", date(2026, 1, 19), "sent")
        assert cycle("2026-01-19") == [first]  # 10 working days before
        assert cycle("2026-01-19") == [first]  # once
        assert cycle("2026-01-23") == [first]  # once a week
        second = (ainur, "submissions-2025-1", date(2026, 1, 26), "sent")
        assert cycle("2026-01-26") == [first, second]
        mails = [m.message for m in sink.messages
                 if any(w in str(m.message["Subject"]) for w in ("final report", "итоговый",
                                                                  "қорытынды"))]
        # the region's officer alone: not its manager, not the district's nor the ministry's
        assert [m["To"] for m in mails] == ["ainur@example.kz"] * 2
        assert str(mails[0]["Subject"]) == (
            "merzim, Regional akimat (ru): 1 подразделение ещё не представило итоговый отчёт "
            "за 2025 год (ваш срок — 2026-02-02)")
        text = mails[0].get_body(("plain",)).get_content()
        assert "Здравствуйте, Ainur Bekova!" in text
        assert "Итоговый отчёт за 2025 год представили 1 из 2 подразделений." in text
        assert [ln[2:] for ln in text.splitlines() if ln.startswith("- ")] == [
            "District akimat (ru) (OBL-D1): ещё не представлен, срок 2026-01-19"]
        # every unit has submitted: no more reminders, nor after the deadline
        submit(merzim_db, "OBL-D1", "2026-01-28", today="2026-01-28")
        assert cycle("2026-02-02") == [first, second]
        assert cycle("2026-02-03") == [first, second]
    finally:
        sink.stop()


def test_no_reminder_after_the_deadline_nor_when_switched_off(region, db, merzim_db, tmp_path):
    sink = SmtpSink().start()
    try:
        for day, extra in (("2026-02-03", ""),
                           ("2026-01-26", "[coverage]\nsubmissions_remind_days = 0\n")):
            cfg = write_config(tmp_path / f"smtp-{day}.toml", sink.port, extra=extra)
            got = merzim_db("worker", "--once", "--json", today=day, config=cfg)
            assert got.returncode == 0, got.stderr
        with Session(db) as s:
            assert s.exec(select(OutboxMessage).where(
                col(OutboxMessage.digest).like("submissions-%"))).all() == []
    finally:
        sink.stop()

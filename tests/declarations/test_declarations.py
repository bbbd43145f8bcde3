"""The personnel service's declarations list (002:L174-181): an organisation of 40 employees
obliged to declare, 31 of whose notices of submission are recorded with their scans, names the
9 missing, reminds each of them once (through the outbox and a real SMTP server), and exports;
another organisation's officer cannot see it; a manager sees the count per organisation of his
subtree, never a name; bad input is refused with nothing stored; the flag is set by the people
import and by the page. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from tests.support.databases import dump_tables
from tests.support.smtp_server import SmtpSink, write_config
from tests.support.web_helpers import CALENDAR, Web, _settings, demo_database
from web.app import create_app
from workflow import services as svc
from workflow.declarations import service
from workflow.definitions import load_registry
from workflow.services.files import Upload
from workflow.storage.models import DeclarationNotice, OutboxMessage, User

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ORG = "AK-ALM-EDU"  # the demo's: asel is its officer, nurlan the akimat's manager
REGISTRY = load_registry()
YEAR = 2026  # the declarations of 2026: deadline 15 September 2026 (P-5's setting)
BEFORE = date(2026, 8, 10)  # a Monday, more than a month before the deadline


def _people(n: int = 40) -> list[tuple[str, str]]:
    return [(f"emp{i:02d}", f"Employee {i:02d}") for i in range(1, n + 1)]


def _forty(s: Session, ctx, org: str = ORG):
    """40 employees of `org` (the organisation returned), each obliged to declare."""
    for login, name in _people():
        svc.add_user(s, ctx, login, name, "officer", org, email=f"{login}@example.kz",
                     language="ru")
    s.flush()
    o = svc.get_org(s, org)
    service.set_obliged(s, ctx, o, {login: True for login, _ in _people()})
    return o


def _record(s, ctx, store, limits, org, logins, on=date(2026, 4, 1)) -> None:
    for login in logins:
        service.record_notice(s, ctx, store, limits, org, login, YEAR, on,
                              Upload(f"{login}.pdf", io.BytesIO(PDF)))


@pytest.fixture
def web(backend, tmp_path, monkeypatch):
    """The demo on `BEFORE` with every shipped definition (the declaration reminder's deadline),
    40 employees of AK-ALM-EDU obliged to declare and 31 notices recorded."""
    monkeypatch.setenv("MERZIM_TODAY", BEFORE.isoformat())
    with demo_database(backend, tmp_path) as (eng, ids):
        settings = _settings(tmp_path, str(eng.url))
        ctx = svc.Context(CALENDAR, REGISTRY, BEFORE, actor="test-setup", language="en")
        store = service.files.store(settings)
        with Session(eng) as s:
            org = _forty(s, ctx)
            _record(s, ctx, store, settings.files, org, [x for x, _ in _people()[:31]])
            s.commit()
        app = create_app(settings, eng, CALENDAR, REGISTRY)
        world = Web(eng, app, ids["analyses"], ids["programmes"],
                    _passwords=set(ids.get("passwords", ())))
        try:
            yield world
        finally:
            world.close()


MISSING = [f"emp{i:02d}" for i in range(32, 41)]


def test_the_list_names_the_nine_missing_reminds_each_once_and_exports(web):
    with Session(web.engine) as s:
        ctx = svc.Context(CALENDAR, REGISTRY, BEFORE, actor="t", language="en")
        listed = service.declaration_list(s, ctx, svc.get_org(s, ORG), YEAR)
        assert listed.deadline == date(2026, 9, 15)
        assert listed.counts() == {"obliged": 40, "with_notice": 31, "missing": 9}
        assert [p.login for p in listed.missing] == MISSING
    officer = web.browser("asel")
    assert f'href="/declarations?org={ORG}"' in officer.get(f"/orgs/{ORG}").text
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert page.status_code == 200, page.text
    assert page.text.count('data-state="missing"') == 9
    assert page.text.count('data-state="notified"') == 31
    for login in MISSING:
        assert f'data-login="{login}" data-state="missing"' in page.text
    assert "40 obliged to declare: 31 notices recorded, 9 missing" in page.text
    # one reminder each, through the outbox; a second click the same day writes nothing
    for _ in range(2):
        sent = officer.post("/declarations/remind", data={
            "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR)}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
    with Session(web.engine) as s:
        rows = s.exec(select(User.login, OutboxMessage.channel, OutboxMessage.local_day)
                      .join(User, col(User.id) == OutboxMessage.recipient_id)
                      .where(OutboxMessage.digest == f"declaration-{YEAR}")
                      .order_by(col(User.login))).all()
    assert [tuple(r) for r in rows] == [(x, "email", BEFORE) for x in MISSING]
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert page.text.count("10.08.2026 email") == 9
    # the export: every obliged person, the missing ones said so, the reminders
    xlsx = officer.get(f"/declarations/export?org={ORG}&year={YEAR}&format=xlsx")
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    got = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert got[0] == ["Employee", "Position", "Login", "Submitted on", "Scan of the notice",
                      "Reminded"]
    body = got[1:]
    assert len(body) == 40
    missing_rows = [r for r in body if r[3] == "missing"]
    assert [r[2] for r in missing_rows] == MISSING
    assert all(r[5] == "2026-08-10 email" for r in missing_rows)
    assert {r[4] for r in body if r[3] != "missing"} == {f"emp{i:02d}.pdf" for i in range(1, 32)}
    text = officer.get(f"/declarations/export?org={ORG}&year={YEAR}&format=csv")
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert len(rows) == 41 and sum(r[3] == "missing" for r in rows) == 9
    # a notice's scan downloads as it came in
    notice = next(p for p in listed.notified if p.login == "emp01")
    got_scan = officer.get(f"/declarations/notices/{notice.notice_id}?org={ORG}")
    assert got_scan.status_code == 200 and got_scan.content == PDF


@pytest.mark.parametrize(("lang", "summary", "missing"), [
    ("ru", "40 работников обязаны представить декларацию: уведомлений получено — 31, нет — 9",
     "нет уведомления"),
    ("kk", "Декларация тапсыруға міндетті 40 жұмыскер: хабарлама алынды — 31, жоқ — 9",
     "хабарлама жоқ")])
def test_the_list_in_russian_and_kazakh(web, lang, summary, missing):
    officer = web.browser("asel")
    officer.get(f"/lang/{lang}?next=/declarations")
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert page.status_code == 200
    assert summary in page.text and page.text.count(f"<strong>{missing}</strong>") == 9
    assert "declarations." not in page.text  # no key shown raw
    counts = web.browser("nurlan")
    counts.get(f"/lang/{lang}?next=/declarations")
    assert "declarations." not in counts.get(f"/declarations?org=AK-ALM&year={YEAR}").text


def test_another_organisations_officer_sees_nothing_and_a_manager_sees_counts(web):
    other = web.browser("marat")  # the officer of AK-ALM-HLTH
    manager = web.browser("nurlan")
    before = web.dump()  # (after the sign-ins)
    with Session(web.engine) as s:
        notice = s.exec(select(DeclarationNotice.id)).first()
    for path in (f"/declarations?org={ORG}&year={YEAR}",
                 f"/declarations/export?org={ORG}&year={YEAR}&format=xlsx",
                 f"/declarations/notices/{notice}?org={ORG}"):
        got = other.get(path)
        assert got.status_code == 404, (path, got.status_code)
        assert "Employee 0" not in got.text and "emp0" not in got.text
    refused = other.post("/declarations/remind", data={
        "csrf": web.csrf(other), "org": ORG, "year": str(YEAR)}, follow_redirects=False)
    assert refused.status_code == 404
    own = other.get(f"/declarations?year={YEAR}")  # her own organisation: nobody obliged
    assert own.status_code == 200 and "Employee" in own.text and "emp0" not in own.text
    counts = manager.get(f"/declarations?org=AK-ALM&year={YEAR}")
    assert counts.status_code == 200, counts.text
    assert 'data-testid="declarations-counts"' in counts.text
    row = counts.text.split(f'data-org="{ORG}"')[1].split("</tr>")[0]
    assert '<td class="num">40</td><td class="num">31</td><td class="num">9</td>' in row
    assert "Employee 0" not in counts.text and "emp0" not in counts.text
    # the manager reads no names on the organisation's own list either, nor exports it
    assert 'data-testid="declarations-table"' not in manager.get(
        f"/declarations?org={ORG}&year={YEAR}").text
    assert manager.get(f"/declarations/export?org={ORG}&year={YEAR}").status_code == 404
    assert web.dump() == before


@pytest.mark.parametrize(("form", "status", "words"), [
    ({"login": "emp35", "on": "2026-08-11"}, 422, "is after today"),
    ({"login": "asel", "on": "2026-04-01"}, 422, "not marked as obliged"),
    ({"login": "aigerim", "on": "2026-04-01"}, 404, "is no employee of"),
    ({"login": "emp01", "on": "2026-04-02"}, 422, "already recorded"),
    ({"login": "emp35", "on": "01.04.2026x"}, 422, ""),
    ({"login": "emp35", "on": "2025-12-31"}, 422, "outside the declarations of 2026"),
], ids=["future", "not-obliged", "other-org", "twice", "bad-date", "year-before"])
def test_a_bad_notice_is_refused_with_nothing_stored(web, form, status, words):
    officer = web.browser("asel")
    before = web.dump()
    got = officer.post("/declarations/notice", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), **form},
        files={"file": ("notice.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert got.status_code == status, got.text
    assert words in got.text
    assert web.dump() == before


def test_a_scan_of_another_type_is_refused_and_a_good_one_is_filed(web):
    officer = web.browser("asel")
    before = web.dump()
    bad = officer.post("/declarations/notice", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), "login": "emp35",
        "on": "2026-08-03"}, files={"file": ("notice.pdf", b"MZ\x90\x00 not a pdf", "a/b")},
        follow_redirects=False)
    assert bad.status_code == 422 and "is not one of the accepted types" in bad.text
    assert web.dump() == before
    since = web.last_audit()
    good = officer.post("/declarations/notice", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), "login": "emp35",
        "on": "2026-08-03"}, files={"file": ("notice.pdf", PDF, "application/pdf")},
        follow_redirects=False)
    assert good.status_code == 303, good.text
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert "40 obliged to declare: 32 notices recorded, 8 missing" in page.text
    assert [a[1] for a in web.audit_since(since)] == ["declaration.notice"]


def test_the_page_sets_the_flag(web):
    officer = web.browser("asel")
    people = [x for x, _ in _people()] + ["asel"]
    ticked = [x for x in people if x not in ("emp40", )] + ["asel"]
    done = officer.post("/declarations/oblige", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), "person": people,
        "declares": ticked}, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = officer.get(done.headers["location"]).text
    assert "Who is obliged to declare is saved." in shown
    with Session(web.engine) as s:
        flags = dict(s.exec(select(User.login, User.declares).where(
            col(User.login).in_(["asel", "emp40", "emp39"]))).all())
    assert flags == {"asel": True, "emp40": False, "emp39": True}
    before = web.dump()
    refused = officer.post("/declarations/oblige", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR),
        "person": ["emp01", "marat"], "declares": ["emp01", "marat"]}, follow_redirects=False)
    assert refused.status_code == 404 and "is no employee of" in refused.text
    assert web.dump() == before


# -- the command line, the reminder through a real SMTP server, the import ------------------------


def _world(db, today: date) -> None:
    ctx = svc.Context(CALENDAR, REGISTRY, today, actor="test-setup", language="en")
    with Session(db) as s:
        svc.add_org(s, ctx, "DEP", "Department", "department", None)
        svc.add_org(s, ctx, "OTHER", "Other department", "department", None)
        _forty(s, ctx, "DEP")
        s.commit()


def test_the_command_line_reminds_each_missing_one_once_through_smtp(db, merzim_db, tmp_path):
    _world(db, BEFORE)
    scan = tmp_path / "notice.pdf"
    scan.write_bytes(PDF)
    day = BEFORE.isoformat()
    for login, _ in _people()[:31]:
        got = merzim_db("declarations", "record", "DEP", login, "--on", "2026-04-01",
                        "--scan", str(scan), "--year", str(YEAR), today=day)
        assert got.returncode == 0, got.stderr
    listed = merzim_db("declarations", "list", "DEP", "--year", str(YEAR), "--json", today=day)
    got = json.loads(listed.stdout)
    assert (got["obliged"], got["with_notice"], got["missing"]) == (40, 31, 9)
    assert got["missing_people"] == MISSING and got["deadline"] == "2026-09-15"
    sink = SmtpSink().start()
    try:
        cfg = write_config(tmp_path / "smtp.toml", sink.port)
        first = merzim_db("declarations", "remind", "DEP", "--year", str(YEAR), "--json",
                          today=day, config=cfg)
        assert first.returncode == 0, first.stderr
        assert sorted(json.loads(first.stdout)["written"]) == MISSING
        again = merzim_db("declarations", "remind", "DEP", "--year", str(YEAR), "--json",
                          today=day, config=cfg)
        assert json.loads(again.stdout) == {"written": {}, "already": MISSING,
                                            "unreachable": []}
        for _ in range(2):
            worker = merzim_db("worker", "--once", "--json", today=day, config=cfg)
            assert worker.returncode == 0, worker.stderr
        mine = [m.message for m in sink.messages
                if "2026" in str(m.message["Subject"]) and "декларац" in str(
                    m.message["Subject"]).lower()]
        assert sorted(m["To"] for m in mine) == [f"{x}@example.kz" for x in MISSING]
        assert str(mine[0]["Subject"]) == \
            "Декларация за 2026 год: срок представления — 15.09.2026"
        # the next day, asked again: one more each
        later = merzim_db("declarations", "remind", "DEP", "--year", str(YEAR), "--person",
                          "emp40", "--json", today="2026-08-11", config=cfg)
        assert json.loads(later.stdout)["written"] == {"emp40": ["email"]}
    finally:
        sink.stop()
    # after the deadline: refused, nothing written
    before = dump_tables(db)
    late = merzim_db("declarations", "remind", "DEP", "--year", str(YEAR), today="2026-09-16")
    assert late.returncode != 0 and "has passed" in late.stderr + late.stdout
    out = tmp_path / "list.csv"
    exported = merzim_db("declarations", "export", "DEP", "--year", str(YEAR), "--out",
                         str(out), today=day)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r[2] for r in rows[1:] if r[3] == "missing"] == MISSING
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_a_bad_command_is_refused_with_nothing_stored(db, merzim_db, tmp_path):
    _world(db, BEFORE)
    before = dump_tables(db)
    scan = tmp_path / "notice.pdf"
    scan.write_bytes(b"not a scan")
    day = BEFORE.isoformat()
    for args, words in (
            (("record", "DEP", "emp01", "--on", "2026-04-01", "--scan", str(scan)),
             "is not one of the accepted types"),
            (("record", "DEP", "nobody", "--on", "2026-04-01", "--scan", str(scan)),
             "is no employee of"),
            (("oblige", "OTHER", "emp01"), "is no employee of"),
            (("record", "DEP", "emp01", "--on", "2026-13-01", "--scan", str(scan)), ""),
            (("export", "DEP", "--out", str(tmp_path / "x.pdf")), "xlsx or csv")):
        year = () if args[0] == "oblige" else ("--year", str(YEAR))
        got = merzim_db("declarations", *args, *year, today=day)
        assert got.returncode != 0, args
        assert words in got.stderr + got.stdout, (args, got.stderr)
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_the_people_import_sets_the_flag(db, merzim_db, tmp_path):
    _world(db, BEFORE)
    sheet = tmp_path / "people.csv"
    sheet.write_text("ФИО,E-mail,Подразделение,Декларант\n"
                     "Aida Nurova,aida@example.kz,DEP,да\n"
                     "Berik Sapar,berik@example.kz,DEP,нет\n", encoding="utf-8")
    got = merzim_db("user", "import", str(sheet), today=BEFORE.isoformat())
    assert got.returncode == 0, got.stderr
    with Session(db) as s:
        flags = dict(s.exec(select(User.full_name, User.declares).where(
            col(User.full_name).in_(["Aida Nurova", "Berik Sapar"]))).all())
    assert flags == {"Aida Nurova": True, "Berik Sapar": False}
    before = dump_tables(db)
    bad = tmp_path / "bad.csv"
    bad.write_text("ФИО,E-mail,Подразделение,Декларант\n"
                   "Dana Ali,dana@example.kz,DEP,perhaps\n", encoding="utf-8")
    refused = merzim_db("user", "import", str(bad), today=BEFORE.isoformat())
    assert refused.returncode != 0 and "yes or no" in refused.stderr + refused.stdout
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_the_deadline_is_the_declaration_reminders_setting():
    """P-5: the operator's `declaration_deadline` moves the list's deadline (and the reminders'
    last day) with the reminder's own; no date of its own."""
    moved = load_registry(interpretations={"declaration_reminder": {
        "declaration_deadline": "09-30", "declaration_reminder_date": "08-30"}})
    for registry, day in ((REGISTRY, date(2026, 9, 15)), (moved, date(2026, 9, 30))):
        ctx = svc.Context(CALENDAR, registry, BEFORE, actor="t", language="en")
        assert service.deadline(ctx, YEAR) == day

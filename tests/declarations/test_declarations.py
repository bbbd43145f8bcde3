"""The personnel service's declarations list (002:L174-181): an organisation of 40 employees
obliged to declare, 31 of whose notices of submission are recorded with their scans, names the
9 missing, reminds each of them once (through the outbox and a real SMTP server), and exports;
another organisation's officer cannot see it; a manager sees the count per organisation of his
subtree, never a name; bad input is refused with nothing stored. The employees come in as the
organisation's staff list -- a staff file (XLSX or CSV, on the page and the command line) and
the page's form -- and never as accounts: nobody is invited, nobody can sign in. On SQLite and
PostgreSQL."""

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
from workflow import tabular
from workflow.declarations import service
from workflow.definitions import load_registry
from workflow.services.files import Upload
from workflow.storage.models import Declarant, DeclarationNotice, OutboxMessage, User

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ORG = "AK-ALM-EDU"  # the demo's: asel is its officer, nurlan the akimat's manager
REGISTRY = load_registry()
YEAR = 2026  # the declarations of 2026: deadline 15 September 2026 (P-5's setting)
BEFORE = date(2026, 8, 10)  # a Monday, more than a month before the deadline


def _people(n: int = 40) -> list[tuple[str, str]]:
    return [(f"emp{i:02d}", f"Employee {i:02d}") for i in range(1, n + 1)]


def _staff_file(path, people, header=("ФИО", "Должность", "E-mail", "Язык")):
    """A staff file as an office writes one (Russian headers), XLSX or CSV by the suffix."""
    rows = [[name, "Teacher", f"{login}@example.kz", "ru"] for login, name in people]
    data = (tabular.table_xlsx("Staff", list(header), rows) if path.suffix == ".xlsx"
            else tabular.table_csv(list(header), rows))
    path.write_bytes(data)
    return path


def _forty(s: Session, ctx, tmp_path, org: str = ORG):
    """40 employees of `org` on its staff list (the organisation returned): 39 from a staff
    file, one added as the page's form adds her."""
    o = svc.get_org(s, org)
    rows = tabular.read_rows(_staff_file(tmp_path / "staff.xlsx", _people()[:39]), (),
                             as_written=True)
    done = service.import_staff(s, ctx, o, rows, "en")
    assert len(done.added) == 39
    service.add(s, ctx, o, "Employee 40", "Teacher", "emp40@example.kz", "ru")
    s.flush()
    return o


def _ids(s: Session, org) -> dict[str, int]:
    return dict(s.exec(select(Declarant.name, Declarant.id)
                       .where(Declarant.organisation_id == org.id)).all())


def _record(s, ctx, store, limits, org, names, on=date(2026, 4, 1)) -> None:
    for name in names:
        service.record_notice(s, ctx, store, limits, org, name, YEAR, on,
                              Upload(f"{name}.pdf", io.BytesIO(PDF)))


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
            org = _forty(s, ctx, tmp_path)
            _record(s, ctx, store, settings.files, org, [x for _, x in _people()[:31]])
            s.commit()
        app = create_app(settings, eng, CALENDAR, REGISTRY)
        world = Web(eng, app, ids["analyses"], ids["programmes"],
                    _passwords=set(ids.get("passwords", ())))
        try:
            yield world
        finally:
            world.close()


MISSING = [f"Employee {i:02d}" for i in range(32, 41)]
MISSING_ADDRESSES = [f"emp{i:02d}@example.kz" for i in range(32, 41)]


def test_the_list_names_the_nine_missing_reminds_each_once_and_exports(web):
    with Session(web.engine) as s:
        ctx = svc.Context(CALENDAR, REGISTRY, BEFORE, actor="t", language="en")
        listed = service.declaration_list(s, ctx, svc.get_org(s, ORG), YEAR)
        assert listed.deadline == date(2026, 9, 15)
        assert listed.counts() == {"obliged": 40, "with_notice": 31, "missing": 9,
                                   "no_email": 0}
        assert [p.name for p in listed.missing] == MISSING
        ids = _ids(s, svc.get_org(s, ORG))
    officer = web.browser("asel")
    assert f'href="/declarations?org={ORG}"' in officer.get(f"/orgs/{ORG}").text
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert page.status_code == 200, page.text
    assert page.text.count('data-state="missing"') == 9
    assert page.text.count('data-state="notified"') == 31
    for name in MISSING:
        assert f'data-declarant="{ids[name]}" data-state="missing"' in page.text
    assert "40 obliged to declare: 31 notices recorded, 9 missing" in page.text
    # one reminder each, through the outbox; a second click the same day writes nothing
    for _ in range(2):
        sent = officer.post("/declarations/remind", data={
            "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR)}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
    with Session(web.engine) as s:
        rows = s.exec(select(Declarant.name, OutboxMessage.address, OutboxMessage.channel,
                             OutboxMessage.local_day, OutboxMessage.recipient_id)
                      .join(Declarant, col(Declarant.id) == OutboxMessage.declarant_id)
                      .where(OutboxMessage.digest == f"declaration-{YEAR}")
                      .order_by(col(Declarant.name))).all()
    assert [tuple(r) for r in rows] == [(x, a, "email", BEFORE, None)
                                        for x, a in zip(MISSING, MISSING_ADDRESSES, strict=True)]
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert page.text.count("10.08.2026 email") == 9
    # the export: every obliged person, the missing ones said so, the reminders
    xlsx = officer.get(f"/declarations/export?org={ORG}&year={YEAR}&format=xlsx")
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    got = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert got[0] == ["Employee", "Position", "E-mail", "Submitted on", "Scan of the notice",
                      "Reminded"]
    body = got[1:]
    assert len(body) == 40
    missing_rows = [r for r in body if r[3] == "missing"]
    assert [r[0] for r in missing_rows] == MISSING
    assert [r[2] for r in missing_rows] == MISSING_ADDRESSES
    assert all(r[5] == "2026-08-10 email" for r in missing_rows)
    assert {r[4] for r in body if r[3] != "missing"} == {
        f"Employee {i:02d}.pdf" for i in range(1, 32)}
    text = officer.get(f"/declarations/export?org={ORG}&year={YEAR}&format=csv")
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert len(rows) == 41 and sum(r[3] == "missing" for r in rows) == 9
    # a notice's scan downloads as it came in
    notice = next(p for p in listed.notified if p.name == "Employee 01")
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
    assert own.status_code == 200 and "Employee" in own.text and "Employee 0" not in own.text
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
    ({"declarant": "Employee 35", "on": "2026-08-11"}, 422, "is after today"),
    ({"declarant": "OTHER", "on": "2026-04-01"}, 404, "is no employee of"),
    ({"declarant": "asel", "on": "2026-04-01"}, 404, "is no employee of"),
    ({"declarant": "Employee 01", "on": "2026-04-02"}, 422, "already recorded"),
    ({"declarant": "Employee 35", "on": "01.04.2026x"}, 422, ""),
    ({"declarant": "Employee 35", "on": "2025-12-31"}, 422, "outside the declarations of 2026"),
], ids=["future", "other-org", "an-account", "twice", "bad-date", "year-before"])
def test_a_bad_notice_is_refused_with_nothing_stored(web, form, status, words):
    officer = web.browser("asel")
    with Session(web.engine) as s:
        if form["declarant"] == "OTHER":  # a declarant of another organisation
            other = service.add(s, svc.Context(CALENDAR, REGISTRY, BEFORE, actor="t"),
                                svc.get_org(s, "AK-ALM-HLTH"), "Other Person")
            s.commit()
            form = {**form, "declarant": str(other.id)}
        else:
            ids = _ids(s, svc.get_org(s, ORG))
            form = {**form, "declarant": str(ids.get(form["declarant"], "asel"))}
    before = web.dump()
    got = officer.post("/declarations/notice", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), **form},
        files={"file": ("notice.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert got.status_code == status, got.text
    assert words in got.text
    assert web.dump() == before


def test_a_scan_of_another_type_is_refused_and_a_good_one_is_filed(web):
    officer = web.browser("asel")
    with Session(web.engine) as s:
        emp35 = str(_ids(s, svc.get_org(s, ORG))["Employee 35"])
    before = web.dump()
    bad = officer.post("/declarations/notice", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), "declarant": emp35,
        "on": "2026-08-03"}, files={"file": ("notice.pdf", b"MZ\x90\x00 not a pdf", "a/b")},
        follow_redirects=False)
    assert bad.status_code == 422 and "is not one of the accepted types" in bad.text
    assert web.dump() == before
    since = web.last_audit()
    good = officer.post("/declarations/notice", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR), "declarant": emp35,
        "on": "2026-08-03"}, files={"file": ("notice.pdf", PDF, "application/pdf")},
        follow_redirects=False)
    assert good.status_code == 303, good.text
    page = officer.get(f"/declarations?org={ORG}&year={YEAR}")
    assert "40 obliged to declare: 32 notices recorded, 8 missing" in page.text
    assert [a[1] for a in web.audit_since(since)] == ["declaration.notice"]


def _accounts(engine) -> tuple[int, int]:
    from workflow.storage.models import Invitation

    with Session(engine) as s:
        return (len(s.exec(select(User.id)).all()), len(s.exec(select(Invitation.id)).all()))


def test_the_page_builds_the_staff_list_from_a_file_and_its_form_and_makes_no_account(
        web, tmp_path):
    """Another organisation's 40 employees come in on the page: 39 from a staff file, one by
    the form; none becomes an account (no user, no invitation, no outbox message), a name
    already listed is updated, one who left is marked so, one without e-mail is shown so."""
    officer = web.browser("marat")  # the officer of AK-ALM-HLTH
    accounts, outbox_before = _accounts(web.engine), web.dump()["outbox"]
    sheet = _staff_file(tmp_path / "staff.csv", _people()[:39])
    got = officer.post("/declarations/import", data={
        "csrf": web.csrf(officer), "org": "AK-ALM-HLTH", "year": str(YEAR)},
        files={"file": ("staff.csv", sheet.read_bytes(), "text/csv")}, follow_redirects=False)
    assert got.status_code == 303, got.text
    assert "The staff file is imported." in officer.get(got.headers["location"]).text
    added = officer.post("/declarations/staff", data={
        "csrf": web.csrf(officer), "org": "AK-ALM-HLTH", "year": str(YEAR),
        "name": "Employee 40", "position": "Nurse", "email": "", "language": "kk"},
        follow_redirects=False)
    assert added.status_code == 303, added.text
    page = officer.get(added.headers["location"]).text
    assert "The employee is on the list." in page
    assert "40 obliged to declare: 0 notices recorded, 40 missing" in page
    assert 'data-testid="no-email"' in page and "no reminder reaches her (Employee 40)" in page
    # the same file again: updated, not doubled
    again = officer.post("/declarations/import", data={
        "csrf": web.csrf(officer), "org": "AK-ALM-HLTH", "year": str(YEAR)},
        files={"file": ("staff.csv", sheet.read_bytes(), "text/csv")}, follow_redirects=False)
    assert again.status_code == 303, again.text
    with Session(web.engine) as s:
        org = svc.get_org(s, "AK-ALM-HLTH")
        assert len(_ids(s, org)) == 40
        emp01 = _ids(s, org)["Employee 01"]
    assert _accounts(web.engine) == accounts  # no account, no invitation
    assert web.dump()["outbox"] == outbox_before  # nobody was written to
    # the reminders: by e-mail to the 39 who have one, the one without counted apart
    sent = officer.post("/declarations/remind", data={
        "csrf": web.csrf(officer), "org": "AK-ALM-HLTH", "year": str(YEAR)},
        follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert len(web.dump()["outbox"]) == len(outbox_before) + 39
    # one who left: off the list
    gone = officer.post("/declarations/left", data={
        "csrf": web.csrf(officer), "org": "AK-ALM-HLTH", "year": str(YEAR),
        "declarant": str(emp01)}, follow_redirects=False)
    assert gone.status_code == 303, gone.text
    assert "39 obliged to declare" in officer.get(gone.headers["location"]).text
    # another organisation's declarant cannot be marked from here
    before = web.dump()
    with Session(web.engine) as s:
        theirs = _ids(s, svc.get_org(s, ORG))["Employee 02"]
    refused = officer.post("/declarations/left", data={
        "csrf": web.csrf(officer), "org": "AK-ALM-HLTH", "year": str(YEAR),
        "declarant": str(theirs)}, follow_redirects=False)
    assert refused.status_code == 404 and "is no employee of" in refused.text
    assert web.dump() == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_staff_file_with_a_bad_cell_is_refused_whole_with_nothing_stored(web, tmp_path,
                                                                            suffix):
    officer = web.browser("asel")
    officer.get("/lang/ru?next=/declarations")
    people = [["Aida Nurova", "Teacher", "aida@example.kz", "ru"],
              ["", "Teacher", "no-name@example.kz", "kk"],
              ["Berik Sapar", "Teacher", "not an address", "fr"]]
    header = ["ФИО", "Должность", "E-mail", "Язык"]
    data = (tabular.table_xlsx("Staff", header, people) if suffix == ".xlsx"
            else tabular.table_csv(header, people))
    before = web.dump()
    got = officer.post("/declarations/import", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR)},
        files={"file": (f"staff{suffix}", data, "application/octet-stream")},
        follow_redirects=False)
    assert got.status_code == 422, got.text
    # every bad cell named by its row and column, in the reader's language
    for row, column in ((3, "ФИО"), (4, "Электронная почта"), (4, "Язык")):
        assert f"Строка {row}, столбец «{column}»" in got.text.replace("“", "«").replace(
            "”", "»"), (row, column)
    assert web.dump() == before


def test_a_failed_reminder_is_retried_to_the_declarants_email_as_it_is_now(web):
    """A declarant's reminder has no account behind it: a retry takes her e-mail from the
    staff list (changed since), and one who left stays failed."""
    from workflow.reminders import outbox as ob

    officer = web.browser("asel")
    sent = officer.post("/declarations/remind", data={
        "csrf": web.csrf(officer), "org": ORG, "year": str(YEAR)}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    ctx = svc.Context(CALENDAR, REGISTRY, BEFORE, actor="t", language="en")
    with Session(web.engine) as s:
        org = svc.get_org(s, ORG)
        service.add(s, ctx, org, "Employee 32", "Teacher", "new32@example.kz", "ru")
        service.mark_left(s, ctx, org, "Employee 33")
        ids = _ids(s, org)
        rows = {r.declarant_id: r for r in s.exec(select(OutboxMessage).where(
            col(OutboxMessage.declarant_id).in_([ids["Employee 32"], ids["Employee 33"]])))}
        for row in rows.values():
            row.status = "failed"
            s.add(row)
        s.commit()
        assert ob.retry(s, [r.id for r in rows.values()], "t") == 1
        s.commit()
        again = s.get(OutboxMessage, rows[ids["Employee 32"]].id)
        assert (again.status, again.address) == ("pending", "new32@example.kz")
        assert s.get(OutboxMessage, rows[ids["Employee 33"]].id).status == "failed"


def test_a_declarant_cannot_sign_in(web):
    """A declarant has no account: her e-mail or name as a login is refused as any unknown
    sign-in (no session), while an account's own sign-in passes the same way."""
    assert web.post_login(web.client(), "asel").status_code == 303  # the way works
    for login in ("emp01@example.kz", "Employee 01", "emp01"):
        client = web.client()
        got = web.post_login(client, login, password="a-long-password-1")
        assert got.status_code != 303, login
        assert client.get("/declarations", follow_redirects=False).status_code in (302, 303,
                                                                                  401), login
    with Session(web.engine) as s:
        assert s.exec(select(User).where(col(User.email) == "emp01@example.kz")).first() is None
        assert s.exec(select(User).where(col(User.full_name) == "Employee 01")).first() is None


# -- the command line, the reminder through a real SMTP server, the import ------------------------


def _world(db, today: date) -> None:
    ctx = svc.Context(CALENDAR, REGISTRY, today, actor="test-setup", language="en")
    with Session(db) as s:
        svc.add_org(s, ctx, "DEP", "Department", "department", None)
        svc.add_org(s, ctx, "OTHER", "Other department", "department", None)
        svc.get_org(s, "DEP")
        s.commit()


def _cli_staff(db, merzim_db, tmp_path, day: str) -> None:
    """The 40 employees of DEP by the command line: 39 from a staff file, one added."""
    sheet = _staff_file(tmp_path / "staff.xlsx", _people()[:39])
    got = merzim_db("declarations", "import", "DEP", str(sheet), today=day)
    assert got.returncode == 0, got.stderr
    assert "39 added, 0 updated" in got.stdout
    got = merzim_db("declarations", "add", "DEP", "Employee 40", "--position", "Teacher",
                    "--email", "emp40@example.kz", "--language", "ru", today=day)
    assert got.returncode == 0, got.stderr


def test_the_command_line_reminds_each_missing_one_once_through_smtp(db, merzim_db, tmp_path):
    _world(db, BEFORE)
    scan = tmp_path / "notice.pdf"
    scan.write_bytes(PDF)
    day = BEFORE.isoformat()
    users = len(dump_tables(db)["app_user"])
    _cli_staff(db, merzim_db, tmp_path, day)
    assert len(dump_tables(db)["app_user"]) == users  # the staff are no accounts
    for _, name in _people()[:31]:
        got = merzim_db("declarations", "record", "DEP", name, "--on", "2026-04-01",
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
        assert sorted(m["To"] for m in mine) == MISSING_ADDRESSES
        assert str(mine[0]["Subject"]) == \
            "Декларация за 2026 год: срок представления — 15.09.2026"
        # the next day, asked again: one more each
        later = merzim_db("declarations", "remind", "DEP", "--year", str(YEAR), "--person",
                          "Employee 40", "--json", today="2026-08-11", config=cfg)
        assert json.loads(later.stdout)["written"] == {"Employee 40": ["email"]}
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
    assert [r[0] for r in rows[1:] if r[3] == "missing"] == MISSING
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_a_bad_command_is_refused_with_nothing_stored(db, merzim_db, tmp_path):
    _world(db, BEFORE)
    day = BEFORE.isoformat()
    _cli_staff(db, merzim_db, tmp_path, day)
    before = dump_tables(db)
    scan = tmp_path / "notice.pdf"
    scan.write_bytes(b"not a scan")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,language\nEmployee 41,emp41@example.kz,ru\n"
                   "Employee 42,nowhere,de\nEmployee 41,x@example.kz,en\n", encoding="utf-8")
    for args, words in (
            (("record", "DEP", "Employee 01", "--on", "2026-04-01", "--scan", str(scan)),
             "is not one of the accepted types"),
            (("record", "DEP", "nobody", "--on", "2026-04-01", "--scan", str(scan)),
             "is no employee of"),
            (("left", "OTHER", "Employee 01"), "is no employee of"),
            (("import", "DEP", str(bad)), "Row 3, column “E-mail”"),
            (("import", "DEP", str(bad)), "Row 4, column “Full name”"),
            (("add", "DEP", "Employee 43", "--email", "nowhere"), "not an e-mail address"),
            (("record", "DEP", "Employee 01", "--on", "2026-13-01", "--scan", str(scan)), ""),
            (("export", "DEP", "--out", str(tmp_path / "x.pdf")), "xlsx or csv")):
        year = () if args[0] in ("left", "import", "add") else ("--year", str(YEAR))
        got = merzim_db("declarations", *args, *year, today=day)
        assert got.returncode != 0, args
        assert words in got.stderr + got.stdout, (args, got.stderr)
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_the_people_import_has_no_column_of_declarants(db, merzim_db, tmp_path):
    """Who declares is the staff list's, not the accounts': the people import refuses such a
    column as one it does not know, nothing stored."""
    _world(db, BEFORE)
    before = dump_tables(db)
    sheet = tmp_path / "people.csv"
    sheet.write_text("ФИО,E-mail,Подразделение,Декларант\n"
                     "Aida Nurova,aida@example.kz,DEP,да\n", encoding="utf-8")
    got = merzim_db("user", "import", str(sheet), today=BEFORE.isoformat())
    assert got.returncode != 0 and "Декларант" in got.stderr + got.stdout
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

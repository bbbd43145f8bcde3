"""A case's history on its page: every record, not-done (with its reason),
void (with what it voided and why), file (attached, voided), assignment, the opening and the
withdrawal, with who and when, oldest first; voided records struck through, never silently
gone; and every selection list names a not-done stage as not done, never as the event.

On SQLite and PostgreSQL, through the service, the command line, the page and the API.
"""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.web_helpers import CALENDAR, Web, csrf_of, en
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.services import files as files_service
from workflow.settings import FilesSettings
from workflow.storage.db import session as open_session
from workflow.storage.filestore import FileStore
from workflow.storage.models import Case

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 2, 2)  # a Monday
NOTICE = date(2026, 1, 5)
COI = "conflict_of_interest"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ctx_of(actor: str = "test", language: str = "en"):
    return svc.Context(CAL, REGISTRY, TODAY, actor=actor, language=language)


def prepared(store: FileStore, name: str):
    """A PDF checked and staged, as an upload is (workflow.services.files.prepare)."""
    return files_service.prepare(store, FilesSettings(),
                                 [files_service.Upload(name, io.BytesIO(PDF))])[0]


def story(s, store: FileStore) -> int:
    """A notice with every kind of entry: forwarded (then voided and forwarded again, a file
    attached to the first and voided with it), the recommendation closed as not done, a file
    of the case voided on its own, handed over to another officer, and withdrawn."""
    ctx = ctx_of("cli:setup")
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    svc.add_org(s, ctx, "AK-EDU", "Education Department", "department", "AK")
    svc.add_user(s, ctx, "asel", "Asel", "officer", "AK-EDU")
    svc.add_user(s, ctx, "dana", "Dana", "officer", "AK-EDU")
    case = svc.open_case(s, ctx, COI, "AK-EDU", person="Erlan Sadykov",
                         dates={"notified": NOTICE})
    asel = ctx_of("web:asel")
    first = svc.record_event(s, asel, case.id, "forwarded", date(2026, 1, 6),
                             {"number": "12"})
    files_service.attach(s, asel, store, case, first.id, [prepared(store, "order.pdf")])
    svc.void_record(s, asel, case.id, str(first.id), "wrong date")
    svc.record_event(s, asel, case.id, "forwarded", date(2026, 1, 7), {"number": "12"})
    svc.record_not_done(s, asel, case.id, "recommendation", "the leadership was away")
    [loose] = files_service.attach(s, asel, store, case, None, [prepared(store, "scan.pdf")])
    files_service.void_file(s, asel, case, loose.id, "wrong scan")
    svc.assign_responsible(s, ctx, case.id, "dana")
    svc.withdraw_case(s, ctx_of("web:dana"), case.id, "opened by mistake")
    return case.id


@pytest.fixture
def store(tmp_path) -> FileStore:
    return FileStore(tmp_path / "files")


def test_every_entry_in_order_with_who_when_and_the_voided_marked(db, store):
    case_id = commit(db, lambda s: story(s, store))
    with open_session(db) as s:
        history = svc.case_history(s, ctx_of(), s.get(Case, case_id))
    shown = [(h["kind"], h["actor"], h.get("record"), h.get("name"), h.get("on"),
              h.get("void"), h.get("voided_by"), h.get("voids"), h.get("note"))
             for h in history]
    first, void, second, not_done = 1, 2, 3, 4
    forwarded = "Notice forwarded to the subdivision"
    recommendation = "Recommendations or a no-conflict conclusion to the leadership"
    assert shown == [
        ("opened", "cli:setup", None, None, NOTICE, None, None, None, None),
        ("event", "web:asel", first, forwarded, date(2026, 1, 6), True, void, None, None),
        ("file", "web:asel", first, forwarded, None, True, None, None, None),
        ("void", "web:asel", void, forwarded, TODAY, False, None, first, "wrong date"),
        ("file_void", "web:asel", first, forwarded, None, None, None, None, "wrong date"),
        ("event", "web:asel", second, forwarded, date(2026, 1, 7), False, None, None, None),
        ("not_done", "web:asel", not_done, recommendation, TODAY, False, None, None,
         "the leadership was away"),
        ("file", "web:asel", None, None, None, True, None, None, None),
        ("file_void", "web:asel", None, None, None, None, None, None, "wrong scan"),
        ("assigned", "cli:setup", None, None, None, None, None, None, None),
        ("withdrawn", "web:dana", None, None, None, None, None, None, "opened by mistake"),
    ]
    assert [h.get("file_name") for h in history if h["kind"].startswith("file")] == [
        "order.pdf", "order.pdf", "scan.pdf", "scan.pdf"]
    assert (history[3]["voids_kind"], history[3]["voids_on"]) == ("event", date(2026, 1, 6))
    assert (history[9]["from"], history[9]["to"]) == ("asel", "dana")
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    # hidden with the person: no note, no evidence, no file name
    with open_session(db) as s:
        hidden = svc.case_history(s, ctx_of(), s.get(Case, case_id), show_person=False,
                                  show_files=False)
    assert [h["kind"] for h in hidden] == [h["kind"] for h in history]
    assert all(not h.get("note") and not h.get("evidence") and not h.get("file_name")
               for h in hidden)


def test_the_cli_prints_the_history_in_words(db, db_url, store, tmp_path):
    from tests.support.cli_runner import Merzim

    case_id = commit(db, lambda s: story(s, store))
    merzim = Merzim(tmp_path, db_url=db_url, today=TODAY, env={"COLUMNS": "300"})
    out = merzim("case", "history", str(case_id), lang="en").stdout
    for line in ("#1 Notice forwarded to the subdivision recorded, dated 2026-01-06 — "
                 "voided by #2",
                 "#2 Record #1 voided: Notice forwarded to the subdivision (2026-01-06) — "
                 "Reason: wrong date",
                 "Responsible officer: asel → dana",
                 "Case withdrawn — Reason: opened by mistake"):
        assert line in out, out
    ru = merzim("case", "history", str(case_id), lang="ru")
    assert ru.returncode == 0 and "Дело отозвано" in ru.stdout and "{" not in ru.stdout
    missing = merzim("case", "history", "999", lang="en")
    assert missing.returncode == 4 and "Traceback" not in missing.stderr


# -- the page --------------------------------------------------------------------------------------


@pytest.fixture
def cw(web) -> Web:
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


def test_the_page_shows_every_entry_struck_voided_and_labels_not_done_as_not_done(cw):
    asel = cw.browser("asel")
    page = asel.get(f"/cases/new/{COI}")
    opened = asel.post(f"/cases/new/{COI}", data={
        "csrf": csrf_of(page.text), "person": "Bakyt Ermekov", "date_notified": "2025-10-01"})
    case_id = int(opened.headers["location"].rsplit("/", 1)[1])
    csrf = csrf_of(asel.get(f"/cases/{case_id}").text)
    assert asel.post(f"/cases/{case_id}/events", data={
        "csrf": csrf, "event": "forwarded", "date": "2025-10-02"}).status_code == 303
    assert asel.post(f"/cases/{case_id}/not-done", data={
        "csrf": csrf, "stage": "recommendation", "note": "no answer", "confirm": "yes"}
    ).status_code == 303
    with open_session(cw.engine) as s:
        records = [r.id for r in svc.records_of(s, s.get(Case, case_id))]
    _forwarded_id, not_done_id = records
    text = html.unescape(asel.get(f"/cases/{case_id}").text)
    # the void and attach lists name the not-done stage as not done, never as done
    label = en("history.not_done_label",
               stage="Recommendations or a no-conflict conclusion to the leadership")
    void_options = re.findall(r'<select id="void-record".*?</select>', text, re.S)[0]
    attach_options = re.findall(r'<select id="attach-record".*?</select>', text, re.S)[0]
    for options in (void_options, attach_options):
        assert f"#{not_done_id} {label} (2025-11-19)" in options, options
    # the history: opened, recorded, not done with its reason
    kinds = re.findall(r'<tr data-kind="([a-z_]+)"', text)
    assert kinds == ["opened", "event", "not_done"]
    assert en("history.reason", reason="no answer") in text
    # a void: the record struck through, marked, with the void and its reason after it
    assert asel.post(f"/cases/{case_id}/void", data={
        "csrf": csrf, "record": str(not_done_id), "note": "asked again", "confirm": "yes"}
    ).status_code == 303
    text = html.unescape(asel.get(f"/cases/{case_id}").text)
    assert re.findall(r'<tr data-kind="([a-z_]+)"', text) == [
        "opened", "event", "not_done", "void"]
    row = re.search(rf'<tr data-kind="not_done" data-record="{not_done_id}" class="void" '
                    r'data-void="yes">(.*?)</tr>', text, re.S)
    assert row and "<del>" in row.group(1)
    assert en("history.voided_by", record=not_done_id + 1) in row.group(1)
    assert en("history.reason", reason="asked again") in text
    # every cell carries its label (the table becomes cards on a phone)
    table = re.search(r'<table class="history".*?</table>', text, re.S).group(0)
    assert all(re.search(r'data-label="[^"]+"', td) for td in re.findall(r"<td[^>]*>", table))


def test_the_api_answers_the_history_and_hides_it_with_the_person(cw):
    api = cw.api("asel")
    body = {"process": COI, "subject": "AK-ALM-EDU", "person": "Ainur Kassym",
            "dates": {"notified": "2025-10-01"}}
    case_id = api.post("/api/v1/cases", json=body).json()["id"]
    api.post(f"/api/v1/cases/{case_id}/not-done", json={"stage": "forward", "note": "late"})
    mine = api.get(f"/api/v1/cases/{case_id}").json()["history"]
    # (each answer about a person's case is a view of it, in the history too)
    assert [(h["kind"], h.get("note")) for h in mine if h["kind"] != "viewed"] == [
        ("opened", None), ("not_done", "late")]
    manager = cw.api("nurlan").get(f"/api/v1/cases/{case_id}").json()
    assert manager["person"] is None  # the person hidden from the manager: so is the note
    assert [(h["kind"], h.get("note")) for h in manager["history"]
            if h["kind"] != "viewed"] == [("opened", None), ("not_done", None)]
    assert "late" not in str(manager["history"])

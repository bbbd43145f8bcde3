"""Who sees the person of a case, on every surface (procedures.md, "Who may see a case about a
person").

A world of four cases about a person in the akimat's education department (AK-ALM-EDU): a
conflict-of-interest notice with an overdue stage, a gift with a voided record, a foreign
account with a stage closed as not done, and a whistleblower's protection whose responsible
officer is the department's second officer. Every person, position, piece of evidence, note,
not-done reason and void note is a distinctive string.

The matrix: each role (the department's officer, the whistleblower case's responsible officer,
a manager of the department, the manager of its parent, the admin, an officer, a manager and an
admin outside the subtree) x each surface (the case page at both addresses, the API's case at
both addresses, the HTML lists, the exports, the API lists, the calendar feeds, every other
page, the reminder and re-planning messages, the answers to writes). The person, the evidence
and the notes are shown only on a case's own page and API answer, only to the officers of the
department and the admin (the whistleblower's: only to its responsible officer); the managers
see the same stages, due dates and statuses with the person hidden; outside, the cases do not
exist. Every case view is audited (view.person_case, person_shown); refused views are not.

The world, the roles and `leaks` are in tests/support/person_helpers.py (drafts, files, "my work" and the
cases search use them too).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.support.person_helpers import (
    CASE_KEYS,
    DEPT,
    HELD,
    IDS,
    NOT_WB,
    PERSON,
    PROCESS,
    ROLES,
    SECRETS,
    Role,
    leaks,
    person_web,
    person_world_fixture,  # noqa: F401 - the `pw` fixture
)
from tests.support.web_helpers import (
    CALENDAR,
    TODAY,
    Web,
    _settings,
    en,
    route_paths,
    wd,
)
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.reminders.planner import notify_moved, plan_reminders
from workflow.services import accounts as auth
from workflow.settings import load_notify_settings
from workflow.storage.models import OPEN, OutboxMessage, Stage

pytestmark = pytest.mark.slow  # the person matrix: every surface for every role

MISSING = 999999
# What the case page shows to those who see the person: the person and the evidence of the
# stages (the number and the signatory; the notes and reasons are kept for the API).
ON_PAGE = {"coi": (*PERSON["coi"], "EVIDENCE-SECRET-1-NUMBER", "EVIDENCE-SECRET-1-SIGNER"),
           "gift": PERSON["gift"], "foreign": PERSON["foreign"],
           "wb": (*PERSON["wb"], "EVIDENCE-SECRET-4-NUMBER", "EVIDENCE-SECRET-4-SIGNER")}


def open_stage_rows(w: Web) -> list[tuple[str, int, str, date, int]]:
    """(case key, case id, stage key, due date, stage id) of every open stage with a due date
    of the four cases, straight from the database."""
    by_id = {w.analyses[k]: k for k in CASE_KEYS}
    with Session(w.engine) as s:
        rows = s.exec(select(Stage).where(Stage.case_id.in_(list(by_id)), Stage.status == OPEN,
                                          Stage.due_date.is_not(None)))
        return sorted((by_id[st.case_id], st.case_id, st.key, st.due_date, st.id) for st in rows)


def xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join("\t".join("" if v is None else str(v) for v in row)
                     for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))


def unfolded(ics: bytes) -> str:
    """An iCalendar body with its folded lines joined (a secret could straddle a fold)."""
    return ics.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


# A list row: its stage, its case's link, and the first date in it (the due date), whatever
# attributes the cells carry (data-label on phones) and whether the date is a <time>.
ROW = re.compile(r'<tr[^>]*\bdata-stage="([^"]+)"[^>]*>(?:(?!</tr>).)*?href="/cases/(\d+)"'
                 r'(?:(?!</tr>).)*?<td[^>]*>(?:<time[^>]*>)?(\d{4}-\d{2}-\d{2})', re.DOTALL)


def html_rows(page: str) -> set[tuple[int, str, date]]:
    """(case, stage, due) of each row of an overdue/due list page."""
    return {(int(cid), key, date.fromisoformat(due)) for key, cid, due in ROW.findall(page)}


# -- the case page and the API's case ---------------------------------------------------------------


def test_the_world_is_what_the_matrix_assumes(pw: Web):
    """Not vacuous: something of each case is overdue or due, the records hold the secrets."""
    rows = open_stage_rows(pw)
    overdue = {k for k, _c, _s, due, _i in rows if due < TODAY}
    due = {k for k, _c, _s, d, _i in rows if TODAY <= d <= wd(250)}
    assert {"coi", "wb"} <= overdue, rows
    assert {"gift", "foreign"} <= due, rows
    got = pw.api("kairat").get(f"/api/v1/cases/{pw.analyses['wb']}").json()
    assert got["person"] == {"name": PERSON["wb"][0], "position": PERSON["wb"][1]}
    for key in CASE_KEYS:
        text = pw.api("erlan" if key != "wb" else "kairat").get(
            f"/api/v1/cases/{pw.analyses[key]}").text
        assert leaks(text, ()) == list(SECRETS[key]), key  # every secret is really held


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_case_page_and_api_show_the_person_only_to_those_named(pw: Web, role: Role):
    w = pw
    b, api = w.browser(role.login), w.api(role.login)  # signed in before the counting
    reference = w.api("kairat")  # the department's officer who sees every person of the four
    for key in CASE_KEYS:
        cid = w.analyses[key]
        shown = key in role.sees
        pages = (f"/cases/{cid}", f"/analyses/{cid}")
        answers = (f"/api/v1/cases/{cid}", f"/api/v1/analyses/{cid}")
        since = w.last_audit()
        if not role.visible:
            for url, missing in ((pages[0], f"/cases/{MISSING}"),
                                 (pages[1], f"/analyses/{MISSING}")):
                _same_404(b.get(url), b.get(missing), cid, f"{role} {url}")
            for url, missing in ((answers[0], f"/api/v1/cases/{MISSING}"),
                                 (answers[1], f"/api/v1/analyses/{MISSING}")):
                _same_404(api.get(url), api.get(missing), cid, f"{role} {url}")
            views = [x for x in w.audit_since(since) if x[1] == "view.person_case"]
            assert views == [], (str(role), key, "a refused view is not a view")
            continue
        if (w.engine.url, cid) not in REFERENCE:  # the same answer for every role
            REFERENCE[(w.engine.url, cid)] = reference.get(answers[0]).json()
        ref = REFERENCE[(w.engine.url, cid)]
        truth = {st["key"]: st for st in ref["stages"]}
        since = w.last_audit()
        for url in pages:
            r = b.get(url)
            label = f"{role} {url} ({key})"
            assert r.status_code == 200, label
            assert leaks(r.text, role.sees) == [], label
            for secret in ON_PAGE[key]:
                assert (secret in r.text) is shown, (label, secret)
            assert (f"<em>{en('web.person_hidden')}</em>" in r.text) is not shown, label
            # the stages, their due dates and statuses: the same for everyone who sees the case
            for k, st in truth.items():
                assert f'data-stage="{k}" data-status="{st["status"]}"' in r.text, (label, k)
                if st["due"]:
                    assert st["due"] in r.text, (label, k)
        for url in answers:
            r = api.get(url)
            label = f"{role} {url} ({key})"
            assert r.status_code == 200, label
            got = r.json()
            assert got["process"] == PROCESS[key], label
            assert leaks(r.text, role.sees) == [], label
            if shown:
                name, position = PERSON[key]
                assert got["person"] == {"name": name, "position": position}, label
                assert leaks(r.text, ()) == list(SECRETS[key]), label  # all of it
            else:
                assert got["person"] is None, label
                assert all(st["evidence"] is None for st in got["stages"]), label
                assert all(rec["note"] is None and rec["evidence"] is None
                           for rec in got["records"]), label
            assert {st["key"]: (st["due"], st["status"], st["done_on"], st["projected"])
                    for st in got["stages"]} == {
                k: (st["due"], st["status"], st["done_on"], st["projected"])
                for k, st in truth.items()}, label
            assert got["state"] == ref["state"], label
        views = [(actor, action, p) for actor, action, p in w.audit_since(since)
                 if action == "view.person_case"]
        assert views == [(f"web:{role.login}", "view.person_case", {"person_shown": shown})] * 4, \
            (str(role), key)


# (database, case id) -> the case as the API answers the department's officer who sees every
# person of the four (kairat): read once per world; the world's cases do not change.
REFERENCE: dict[tuple, dict] = {}


def _same_404(hidden, missing, cid: int, label: str) -> None:
    """Something hidden answers as something that does not exist."""
    assert hidden.status_code == 404, (label, hidden.status_code)
    assert missing.status_code == 404, (label, missing.status_code)
    assert hidden.headers["content-type"] == missing.headers["content-type"], label
    assert hidden.text == missing.text.replace(str(MISSING), str(cid)), label
    assert leaks(hidden.text) == [], label


def test_whistleblower_person_is_shown_to_its_responsible_officer_only(pw: Web):
    """The other officer of the department, the admin and the managers see the case without
    the person (002:L271-272); outside it does not exist."""
    cid = pw.analyses["wb"]
    shown_to = set()
    for role in ROLES:
        r = pw.api(role.login).get(f"/api/v1/cases/{cid}")
        if r.status_code == 200 and r.json()["person"] is not None:
            shown_to.add(role.login)
        page = pw.browser(role.login).get(f"/cases/{cid}")
        if PERSON["wb"][0] in page.text:
            shown_to.add(role.login)
    assert shown_to == {"kairat"}


# -- lists and exports ----------------------------------------------------------------------------


def _list_urls() -> list[str]:
    urls = ["/cases", "/overdue", "/due", "/due?within=250", "/overdue.csv", "/overdue.xlsx",
            "/work", "/work?within=250", "/cases?q=Secret", "/cases?person=Secret",
            "/cases?overdue=1",
            "/api/v1/cases?limit=500", "/api/v1/overdue?limit=500",
            "/api/v1/due?within=250&limit=500"]
    for process in sorted(set(PROCESS.values())):
        urls += [f"/cases?process={process}", f"/overdue?process={process}",
                 f"/due?process={process}&within=250", f"/overdue.csv?process={process}",
                 f"/overdue.xlsx?process={process}", f"/overdue?process={process}&sort=due",
                 f"/api/v1/cases?process={process}&limit=500",
                 f"/api/v1/overdue?process={process}&limit=500",
                 f"/api/v1/overdue?process={process}&sort=days&limit=500",
                 f"/api/v1/due?process={process}&within=250&limit=500"]
    urls += [f"/overdue?org={DEPT}", f"/due?org={DEPT}&within=250", f"/overdue.csv?org={DEPT}",
             f"/api/v1/overdue?org={DEPT}&limit=500", f"/api/v1/cases?org={DEPT}&limit=500"]
    return urls


def _zip_text(data: bytes) -> str:
    """Every name and every member of a ZIP (and of the ZIPs inside it), as text: the
    cross-platform package is a ZIP of one ZIP per sub-task, with manifests and files."""
    import zipfile

    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            member = z.read(name)
            parts.append(name)
            parts.append(_zip_text(member) if name.endswith(".zip")
                         else member.decode("utf-8", "replace"))
    return "\n".join(parts)


def _body(r) -> str:
    if r.headers.get("content-type", "").startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml"):
        return _docx_text(r.content)
    if r.headers.get("content-type", "").startswith("application/vnd.openxml"):
        return xlsx_text(r.content)
    if r.headers.get("content-type", "").startswith("application/zip"):
        return _zip_text(r.content)
    return r.content.decode("utf-8-sig")


def _docx_text(content: bytes) -> str:
    """Every paragraph, table cell and header line of a drafted document."""
    import docx

    d = docx.Document(io.BytesIO(content))
    return "\n".join([p.text for p in d.paragraphs]
                     + [c.text for t in d.tables for row in t.rows for c in row.cells]
                     + [p.text for sec in d.sections for p in sec.header.paragraphs])


def _shown_ids(url: str, r, body: str) -> set[int]:
    """The cases a list shows: its links, the case column of an export, the API's items."""
    if url.startswith("/api/"):
        return {it.get("id", it.get("case")) for it in r.json()["items"]}
    if ".csv" in url or ".xlsx" in url:
        sep = "," if ".csv" in url else "\t"
        table = list(csv.reader(io.StringIO(body), delimiter=sep))
        return {int(row[1]) for row in table[1:] if row}
    return {int(x) for x in re.findall(r'href="/cases/(\d+)"', body)}


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_lists_exports_and_api_lists_name_no_person(pw: Web, role: Role):
    """Every list, export and API list: no person, evidence or note, to anyone; those who see
    the department see the rows (stage and due date) of the four cases, outside none."""
    w = pw
    b, api = w.browser(role.login), w.api(role.login)
    rows = open_stage_rows(w)
    ids = {w.analyses[k] for k in CASE_KEYS}
    answered = {}  # url -> its answer: the rows below are looked for in the same answers
    for url in _list_urls():
        r = answered[url] = (api if url.startswith("/api/") else b).get(url)
        label = f"{role} {url}"
        if (url.endswith(f"org={DEPT}") or f"org={DEPT}&" in url) and not role.visible:
            assert r.status_code == 404, label
            assert leaks(r.text) == [], label
            continue
        assert r.status_code == 200, (label, r.text[:300])
        body = _body(r)
        assert leaks(body) == [], label
        if not role.visible:
            assert not ids & _shown_ids(url, r, body), label
    if not role.visible:
        return
    # the rows are there: the stage and its due date, for the managers above too
    overdue = {(c, k, d) for key, c, k, d, _i in rows if d < TODAY}
    due = {(c, k, d) for key, c, k, d, _i in rows if TODAY <= d <= wd(250)}
    for key in CASE_KEYS:
        process, cid = PROCESS[key], w.analyses[key]
        mine_o = {x for x in overdue if x[0] == cid}
        mine_d = {x for x in due if x[0] == cid}
        label = f"{role} {process}"
        # the sweep's answers (the same browser and token, nothing written since)
        assert html_rows(answered[f"/overdue?process={process}"].text) >= mine_o, label
        assert html_rows(answered[f"/due?process={process}&within=250"].text) >= mine_d, label
        got = answered[f"/api/v1/overdue?process={process}&limit=500"].json()["items"]
        assert {(it["case"], it["stage"], date.fromisoformat(it["due"])) for it in got} >= mine_o
        got = answered[f"/api/v1/due?process={process}&within=250&limit=500"].json()["items"]
        assert {(it["case"], it["stage"], date.fromisoformat(it["due"])) for it in got} >= mine_d
        table = list(csv.reader(io.StringIO(_body(answered[f"/overdue.csv?process={process}"]))))
        assert {(int(r[1]), r[4]) for r in table[1:]} >= {(c, d.isoformat())
                                                          for c, _k, d in mine_o}, label
        assert f'href="/cases/{cid}"' in answered[f"/cases?process={process}"].text, label
        got = answered[f"/api/v1/cases?process={process}&limit=500"].json()["items"]
        assert cid in {it["id"] for it in got}, label
    assert any(x[0] == w.analyses["coi"] for x in overdue)
    assert any(x[0] == w.analyses["wb"] for x in overdue)


def test_lists_write_no_person_view(pw: Web):
    """A list names no person: it is not a view of a person's case (nothing to audit)."""
    since = pw.last_audit()
    for url in ("/cases", "/overdue?process=conflict_of_interest", "/overdue.csv"):
        assert pw.browser("asel").get(url).status_code == 200
    assert "view.person_case" not in [a for _x, a, _p in pw.audit_since(since)]


# -- every other page ------------------------------------------------------------------------------


OTHER_PAGES = ["/", "/programmes", "/programmes/{p}", "/programmes/{p}/score", "/programmes/{p}.csv",
               "/programmes/{p}/package.zip",  # the cross-platform package, unpacked (_body)
               "/programmes/{p}/schedule.docx",  # the year's schedule, its text (_body)
               "/programmes/{p}.xlsx", "/score", "/score.xlsx", "/score.csv", f"/score/{DEPT}",
               f"/score?org={DEPT}", "/calendar", "/calendar/2025", "/account", "/outbox",
               "/cases/new/{coi}", "/cases/new/{wb}", "/obligations", f"/obligations?org={DEPT}",
               f"/obligations.csv?org={DEPT}", f"/obligations.xlsx?org={DEPT}",
               f"/obligations?org={DEPT}&year=2026", "/login", "/openapi.json", "/api/docs",
               "/api/redoc", "/overview", f"/overview?org={DEPT}",
               f"/overview?org={DEPT}&month=2025-12&day=2025-12-03", "/coverage",
               f"/coverage?org={DEPT}", "/notifications", "/account/reminders",
               "/orgs/suggest?q=", "/orgs/suggest?q=edu",  # the organisation filter's typing
               "/bulk/assignees?q=a",  # the hand-over's typing: officers, no case's person
               f"/orgs/{DEPT}",  # an organisation's page: its units and headcount, no person
               "/orgs", "/orgs?q=edu",  # the organisations of her subtree: codes and names
               "/registers", "/cases/new",  # the registers' index, the picker
               "/views"]  # saved views
OTHER_API = ["/api/v1/organisations?limit=500", "/api/v1/programmes", "/api/v1/programmes/{p}",
             "/api/v1/programmes/{p}/schedule",  # the year's schedule, its text (_body)
             "/api/v1/analyses?limit=500", "/api/v1/processes", "/api/v1/processes/{wb}",
             "/api/v1/processes/{coi}", "/api/v1/scores?subtree=true&limit=500",
             "/api/v1/coverage", "/api/v1/submissions", "/api/v1/notifications?limit=500",
             "/api/v1/scores/summary", "/api/v1/scores/organisations?limit=500"]
# Every GET route of the application, and the test above or below that covers it: a new page,
# export, feed or API answer must be added here (and to a sweep) before it can show a case.
COVERED_GET = {
    "GET /cases/{case_id}", "GET /analyses/{analysis_id}", "GET /api/v1/cases/{case_id}",
    "GET /api/v1/analyses/{analysis_id}",  # test_case_page_and_api_...
    "GET /cases", "GET /overdue", "GET /overdue.{fmt}", "GET /due", "GET /api/v1/cases",
    "GET /cases.{fmt}",  # test_a_registers_export_names_the_person_only_to_those_who_see_her
    "GET /forms/{n}.xlsx",  # tests/forms/test_forms.py: persons hidden from managers above
    "GET /forms/national.xlsx",  # tests/forms/test_national_report.py: the same
    "GET /api/v1/overdue", "GET /api/v1/due", "GET /work",  # test_lists_exports_and_api_lists_...
    "GET /ics/{token}.ics",  # test_calendar_feeds_...
    # the public pages (no person ever, whoever asks: tests/public/test_public_page.py), and the
    # admin's switch of them (organisations only)
    "GET /public/{code}", "GET /public/{code}.atom", "GET /public/{code}/embed",
    "GET /public/{code}/files/{file_id}", "GET /admin/public",
    "GET /", "GET /programmes", "GET /programmes/{programme_id}",
    "GET /programmes/{programme_id}/package.zip", "GET /programmes/{programme_id}/score",
    "GET /programmes/{programme_id}/schedule.docx", "GET /api/v1/programmes/{programme_id}/schedule",
    "GET /score", "GET /score.{fmt}", "GET /score/{org}",
    "GET /calendar", "GET /calendar/{year}", "GET /account", "GET /outbox", "GET /orgs/suggest",
    "GET /bulk/assignees",  # test_every_other_page_... (officers' names, no case's person)
    "GET /orgs/{code}", "GET /orgs",
    # people and their invitations: names, logins and organisations, never a case's person
    # (an administrator's page; the invitation's own page shows only its own login:
    # tests/web/test_web_account.py)
    "GET /people", "GET /invite/{token}",
    "GET /cases/new/{process}", "GET /obligations", "GET /obligations.{fmt}", "GET /login",
    "GET /openapi.json", "GET /api/docs", "GET /api/v1/organisations", "GET /api/v1/programmes",
    "GET /api/v1/programmes/{programme_id}", "GET /api/v1/analyses", "GET /api/v1/processes",
    "GET /api/v1/processes/{key}", "GET /api/v1/scores",  # test_every_other_page_...
    "GET /api/v1/scores/summary", "GET /api/v1/scores/organisations",  # the same
    "GET /lang/{code}", "GET /api/docs/{asset}",  # a redirect and static files: no case data
    "GET /api/redoc",  # the API's documentation: a static page
    # health and metrics: counts and checks, never a case or a person
    # (tests/operations/test_health_metrics.py)
    "GET /healthz", "GET /readyz", "GET /metrics",
    "GET /overview",  # test_every_other_page_... (counts and organisations, no person)
    "GET /coverage", "GET /api/v1/coverage",  # test_every_other_page_... (organisations only)
    "GET /api/v1/submissions",  # test_every_other_page_... (organisations and dates only)
    # the notification centre: a person's own items, never the person a case is
    # about (test_every_other_page_...; tests/notices/test_notifications.py)
    "GET /notifications", "GET /account/reminders", "GET /api/v1/notifications",
    # a case's files, as private as its person: tests/services/test_files.py,
    # test_a_person_cases_files_are_as_private_as_its_person (this module's roles and cases)
    "GET /cases/{case_id}/files/{file_id}", "GET /api/v1/cases/{case_id}/files",
    "GET /api/v1/cases/{case_id}/files/{file_id}",
    # announcement drafts, as private as the case's person: tests/drafts/test_drafts.py,
    # test_the_shipped_cases_about_a_person_have_no_draft_and_show_nothing (this module's
    # roles and cases) and test_a_draft_of_a_case_about_a_person_is_as_private_as_its_person
    "GET /cases/{case_id}/drafts/{stage}", "GET /cases/{case_id}/drafts/{stage}/docx",
    "GET /api/v1/cases/{case_id}/drafts", "GET /api/v1/cases/{case_id}/drafts/{stage}",
    # the documents of an analysis and the procedures' papers (who may draft: who may see the
    # case and its person): tests/documents/test_documents.py,
    # tests/documents/test_procedure_papers.py (test_who_may_not_see_the_person_drafts_nothing)
    "GET /cases/{case_id}/documents/{stage}", "GET /cases/{case_id}/documents/{stage}/docx",
    "GET /api/v1/cases/{case_id}/documents", "GET /api/v1/cases/{case_id}/documents/{stage}",
    # an analysis's risks and maps (no process about a person has risks; who may see them: who
    # may see the case or the organisation): tests/documents/test_risk_map.py
    "GET /cases/{case_id}/risk-map.svg", "GET /orgs/{code}/risk-map",
    "GET /orgs/{code}/risk-map.svg", "GET /api/v1/cases/{case_id}/risks",
    # a register's import form and template: no case, no person (the rows a preview shows are
    # the uploader's own file; who may import: tests/web/test_web_import.py)
    "GET /registers/{process}/import", "GET /registers/{process}/template.xlsx",
    "GET /registers/{process}/imports/{import_id}",  # counts of the uploader's own import
    # a register's page: the person and what may name her only for those who see her
    # (tests/registers/test_register_pages.py); the registers' index and the picker name no case
    "GET /registers/{process}", "GET /registers", "GET /cases/new",
    # a case's comments, for those who see the case and, for a case about a person, the
    # person: tests/web/test_comments_page.py, tests/services/test_comments.py
    "GET /api/v1/cases/{case_id}/comments",
    # saved views: names, addresses and counts, never a case or a person
    # (test_every_other_page_...; tests/web/test_saved_views.py)
    "GET /views", "GET /api/v1/views",
    # her e-mail change's confirmation: her own address only, in her own session, no case
    # (tests/web/test_own_channels_web.py)
    "GET /account/email/{token}",
    # the declarations list: no case; an organisation's employees by name, their notices and
    # scans only for its officers and administrators, a manager its counts, anyone else 404
    # (tests/declarations/test_declarations.py)
    "GET /declarations", "GET /declarations/export", "GET /declarations/notices/{notice_id}",
}


def _get_routes(w: Web) -> set[str]:
    return {p for p in route_paths(w.app.routes) if p.startswith("GET ")}


def test_every_get_route_is_swept(pw: Web):
    assert _get_routes(pw) - COVERED_GET == set()


def _expected(role: Role, path: str) -> int:
    if path in ("/", "/calendar"):
        return 303
    if path == "/outbox":
        return 200 if role.login in ("erlan", "askar") else 404
    if DEPT in path or "{p}" in path:
        return 200 if role.visible else 404
    return 200


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_every_other_page_names_no_person(pw: Web, role: Role):
    """Every other GET route (programmes, scorecards, calendar, account, outbox, the opening
    forms, the API's other lists) shows no person, evidence or note, whoever asks."""
    w = pw
    fill = {"p": w.programmes[DEPT], "coi": PROCESS["coi"], "wb": PROCESS["wb"]}
    b, api = w.browser(role.login), w.api(role.login)
    routes = _get_routes(w)
    for path in OTHER_PAGES:
        if path.startswith("/obligations") and "GET /obligations" not in routes:
            continue  # (the page is being added: swept as soon as it is there)
        url = path.format(**fill)
        r = b.get(url)
        assert r.status_code == _expected(role, path), (str(role), url, r.status_code)
        assert leaks(_body(r)) == [], (str(role), url)
    for path in OTHER_API:
        url = path.format(**fill)
        r = api.get(url)
        assert r.status_code == _expected(role, path), (str(role), url, r.status_code)
        assert leaks(_body(r)) == [], (str(role), url)


# -- calendar feeds --------------------------------------------------------------------------------


def _feed(w: Web, login: str, scope: str, org: str | None = None) -> str:
    with Session(w.engine) as s:
        org_id = svc.get_org(s, org).id if org else None
        token = auth.create_feed(s, svc.get_user(s, login), scope, org_id)
        s.commit()
    return token


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_calendar_feeds_name_no_person(pw: Web, role: Role):
    """The personal feed and the department's feed: the due dates of the cases (an officer's
    own feed: her cases), never the person, evidence or notes; outside: none of the cases."""
    w = pw
    rows = open_stage_rows(w)
    responsible = {"coi": "asel", "gift": "asel", "foreign": "asel", "wb": "kairat"}
    anon = w.client()
    feeds = {"user": _feed(w, role.login, "user")}
    if role.visible:
        feeds["organisation"] = _feed(w, role.login, "organisation", DEPT)
    for scope, token in feeds.items():
        r = anon.get(f"/ics/{token}.ics")
        label = f"{role} {scope} feed"
        assert r.status_code == 200, label
        body = unfolded(r.content)
        assert leaks(body) == [], label
        assert "→ None" not in body and "→ ;" not in body, label  # a case with no object
        uids = set(re.findall(r"UID:(stage-\d+@merzim)", body))
        expected = {f"stage-{sid}@merzim" for key, _c, _k, _d, sid in rows
                    if role.visible and (scope == "organisation" or not role.officer
                                         or responsible[key] == role.login)}
        ours = {f"stage-{sid}@merzim" for *_x, sid in rows}
        assert uids & ours == expected, label


# -- reminders -------------------------------------------------------------------------------------


def test_reminders_and_moved_deadline_messages_name_no_person(pw: Web, tmp_path):
    """Today's digests (to the responsible officers and, escalated, to the managers) and the
    messages of deadlines a calendar change moved: subject, text and HTML of every outbox row
    name the case and its stage, never the person, evidence or notes. Nothing is kept."""
    w = pw
    registry = load_registry()
    ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-reminders", language="en")
    settings = _settings(tmp_path, str(w.engine.url))
    ns = load_notify_settings(settings, env={}, require_secrets=False)
    rows = open_stage_rows(w)
    moved = [{"analysis": cid, "case": cid, "stage": key, "old": due - timedelta(days=1),
              "new": due} for _k, cid, key, due, _i in rows]
    with Session(w.engine) as s:
        try:
            written = plan_reminders(s, ctx, ns) + notify_moved(s, ctx, ns, moved)
            messages = [(s.get(OutboxMessage, m.id), svc.user_by_id(s, m.recipient_id).login)
                        for m in written]
            told = {}
            for m, login in messages:
                for part in (m.subject, m.body_text, m.body_html):
                    assert leaks(part) == [], (login, m.digest)
                for key in CASE_KEYS:
                    if re.search(rf"[#№]{w.analyses[key]}\b", m.body_text):
                        told.setdefault(key, set()).add(login)
        finally:
            s.rollback()
    # not vacuous: the cases' officers and the managers above hear of them
    assert "asel" in told["coi"] and "kairat" in told["wb"], told
    assert {"zhanna", "nurlan"} <= told["coi"] & told["wb"], told
    assert set(told) == set(CASE_KEYS), told


# -- the answers to writes ------------------------------------------------------------------------


def test_writes_answer_with_the_person_hidden_from_those_not_named(web: Web, tmp_path):
    """A refused write (a manager) and an accepted one (the department's other officer and the
    admin on the whistleblower's case) answer with the case as the writer may see it."""
    w = person_web(web.engine, tmp_path, web.analyses, web.programmes, cache=True)
    wb, coi = w.analyses["wb"], w.analyses["coi"]
    for login in ("asel", "erlan", "nurlan", "kairat"):
        w.browser(login), w.api(login)
    # a manager's refused writes: 409, nothing named
    r = w.api("nurlan").post(f"/api/v1/cases/{coi}/not-done",
                             json={"stage": "recommendation", "note": "late"})
    assert r.status_code == 409 and leaks(r.text) == []
    b = w.browser("nurlan")
    r = b.post(f"/cases/{coi}/not-done", data={"stage": "recommendation", "note": "late",
                                               "csrf": w.csrf(b)})
    assert r.status_code == 409 and leaks(r.text) == []
    assert f"<em>{en('web.person_hidden')}</em>" in r.text
    # the department's other officer writes on the whistleblower's case: it stays hidden
    since = w.last_audit()
    r = w.api("asel").post(f"/api/v1/cases/{wb}/not-done",
                           json={"stage": "protocol_to_agency", "note": "handled elsewhere"})
    assert r.status_code == 200, r.text
    assert r.json()["person"] is None and leaks(r.text, NOT_WB) == []
    assert ("web:asel", "view.person_case", {"person_shown": False}) in w.audit_since(since)
    r = w.api("erlan").post(f"/api/v1/cases/{wb}/void",
                            json={"record": "protocol_to_agency", "note": "by mistake"})
    assert r.status_code == 200, r.text
    assert r.json()["person"] is None and leaks(r.text, NOT_WB) == []
    # the form's re-rendered refusal for the admin hides it too
    b = w.browser("erlan")
    r = b.post(f"/cases/{wb}/events", data={"event": "decided", "date": TODAY.isoformat(),
                                            "csrf": w.csrf(b)})
    assert r.status_code == 409 and leaks(r.text, NOT_WB) == []
    # its responsible officer's answer shows it
    r = w.api("kairat").post(f"/api/v1/cases/{wb}/events",
                             json={"event": "protocol_sent", "date": TODAY.isoformat(),
                                   "number": "OUT-7"})
    assert r.status_code == 200, r.text
    assert r.json()["person"] == {"name": PERSON["wb"][0], "position": PERSON["wb"][1]}


def test_a_whistleblowers_responsible_who_is_no_longer_its_officer_sees_no_person(web: Web,
                                                                                  tmp_path):
    """The person is shown to the case's responsible *officer*: promoted to manager above, or
    made an admin, the same account sees the stages with the person hidden, like any manager
    or admin; back as the department's officer, it sees the person again."""
    w = person_web(web.engine, tmp_path, web.analyses, web.programmes, cache=True)
    cid = w.analyses["wb"]
    b, api = w.browser("kairat"), w.api("kairat")
    ctx = svc.Context(CALENDAR, load_registry(), TODAY, actor="test-setup", language="en")
    for changes, shown in (({"role": "manager", "org": "AK-ALM"}, False),
                           ({"role": "admin", "org": "AK-ALM"}, False),
                           ({"role": "manager", "org": DEPT}, False),
                           ({"role": "officer", "org": DEPT}, True)):
        with Session(w.engine) as s:
            svc.update_user(s, ctx, "kairat", **changes)
            s.commit()
        label = f"kairat as {changes}"
        since = w.last_audit()
        page = b.get(f"/cases/{cid}")
        got = api.get(f"/api/v1/cases/{cid}")
        assert page.status_code == 200 and got.status_code == 200, label
        assert (PERSON["wb"][0] in page.text) is shown, label
        assert (got.json()["person"] is not None) is shown, label
        if not shown:
            assert leaks(page.text, NOT_WB) == [] and leaks(got.text, NOT_WB) == [], label
        assert [(a, p) for _x, a, p in w.audit_since(since) if a == "view.person_case"] == [
            ("view.person_case", {"person_shown": shown})] * 2, label


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_a_registers_export_names_the_person_only_to_those_who_see_her(pw: Web, role: Role):
    """/cases.{xlsx,csv} filtered by a process about a person (a register) has the person's
    columns: filled for the cases whose person the role sees, "hidden" otherwise; never the
    evidence or notes; outside the tree nothing of the cases."""
    b = pw.browser(role.login)
    for process in sorted(set(PROCESS.values())):
        for fmt in ("xlsx", "csv"):
            r = b.get(f"/cases.{fmt}?process={process}")
            label = f"{role} {process} {fmt}"
            assert r.status_code == 200, (label, r.text[:300])
            body = _body(r)
            allowed = frozenset(k for k in role.sees if PROCESS[k] == process)
            assert leaks(body, allowed) == [], label
            for key in allowed:  # only the person and position; no evidence, no note
                assert PERSON[key][0] in body, label
                assert not [x for x in HELD[key] if x in body], label

"""Accounts and access: the access matrix of every page, export, feed and API endpoint
(officer, manager, admin x own subtree, other subtree, anonymous), logins, lock-out,
session cookies and logout.

Outside the viewer's subtree everything answers 404 with the same body as an id that does not
exist; anonymous pages go to /login (303), the anonymous API answers 401.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.support.features import of, of_map
from tests.support.web_helpers import (
    AK_CODES,
    MF_CODES,
    MF_NAMES,
    ORGS,
    TODAY,
    Web,
    csrf_of,
    en,
    refusal_of,
    route_paths,
    wd,
)
from workflow.services.accounts import digest
from workflow.storage.models import CalendarFeed, WebSession

pytestmark = pytest.mark.slow  # the access matrix: every route for every role, both trees

MISSING = 999999
NO_ORG = "NO-SUCH-ORG"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def subtree(code: str) -> set[str]:
    """The organisation and its descendants, from the demo's own list (not from merzim)."""
    parents = {c: p for c, _k, p, *_names in ORGS}
    out = set()
    for c in parents:
        x = c
        while x is not None and x != code:
            x = parents[x]
        if x == code:
            out.add(c)
    return out


NAMES = {c: en_name for c, _k, _p, en_name, _ru, _kk in ORGS}


@dataclass(frozen=True)
class Case:
    login: str
    role: str
    home: str  # the user's organisation
    own: str  # an analysis (key of Web.analyses) the user may see
    other: str  # an analysis of the other tree
    own_org: str  # the subject of `own`
    other_org: str  # the subject of `other`

    @property
    def visible(self) -> set[str]:
        return {self.home} if self.role == "officer" else subtree(self.home)


CASES = [
    Case("asel", "officer", "AK-ALM-EDU", "edu", "kgd", "AK-ALM-EDU", "MF-KGD-ALM"),
    Case("aigerim", "officer", "MF-KGD-ALM", "kgd", "edu", "MF-KGD-ALM", "AK-ALM-EDU"),
    Case("nurlan", "manager", "AK-ALM", "ile", "kgd", "AK-ALM-ILE", "MF-KGD-ALM"),
    Case("gulnar", "manager", "MF", "kgd", "ile", "MF-KGD-ALM", "AK-ALM-ILE"),
    Case("erlan", "admin", "AK-ALM", "edu", "kk", "AK-ALM-EDU", "MF-KK-ALM"),
]
IDS = [f"{c.role}-{c.login}" for c in CASES]

# A legal event for each analysis the tests try to record on (so only access can refuse it).
LEGAL = {
    "edu": {"event": "analytic_note", "number": "12", "signed_by": "Head"},
    "kgd": {"event": "order", "number": "1-ө", "signed_by": "Head"},
    "ile": {"event": "start_announcement", "url": "https://example.kz/a"},
    "kk": {"event": "discussion_announcement", "url": "https://example.kz/b"},
}


def legal(key: str) -> dict[str, str]:
    return {**LEGAL[key], "date": TODAY.isoformat()}


PROCESS = "internal_risk_analysis"
# A stage each analysis may close as not done, and a record each may void: legal requests, so
# that only access can refuse them (the akimat's ILE, KK and EDU have records to void; the
# extra KGD analysis has none, and is only ever refused as hidden or by role).
NOT_DONE = {"edu": "analytic_note", "kgd": "order", "ile": "start_announcement",
            "kk": "discussion_announcement"}
VOID = {"edu": "analysis_end", "ile": "order", "kk": "order"}


def legal_not_done(key: str) -> dict[str, str]:
    return {"stage": NOT_DONE[key], "note": "not required this year"}


def legal_void(key: str) -> dict[str, str]:
    return {"record": VOID.get(key, "order"), "note": "recorded by mistake"}


def legal_open(subject: str) -> dict:
    """A case the subject's officer may open (the API's body)."""
    return {"process": PROCESS, "subject": subject, "object": subject,
            "dates": {"start": wd(40).isoformat()}}


def legal_upload() -> dict[str, str]:
    """A sub-task's upload day the programme's officer may record (the API's body)."""
    return {"subtask": "1.1.2", "date": TODAY.isoformat()}


def legal_open_form(subject: str) -> dict[str, str]:
    return {"subject": subject, "object": subject, "date_start": wd(40).isoformat()}


def hidden_and_missing(paths: Iterable[str], hidden: object,
                       missing: object = MISSING) -> list[tuple[str, str, str, str]]:
    """For each path with a "{}": the path of the `hidden` id or code, the path of a `missing`
    one, and both as an answer would show them (for `same_404`)."""
    return [(p.format(hidden), p.format(missing), str(hidden), str(missing)) for p in paths]


def org_filtered(pages: Iterable[str]) -> list[str]:
    """Each page (ending in "&" when it has a query already) filtered by an organisation "{}"."""
    return [f"{page}{'' if page.endswith('&') else '?'}org={{}}" for page in pages]


def same_404(hidden, missing, hidden_token: str, missing_token: str) -> None:
    """The refusal of something hidden is the refusal of something that does not exist."""
    assert hidden.status_code == 404, (hidden.status_code, hidden.text[:300])
    assert missing.status_code == 404, (missing.status_code, missing.text[:300])
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    assert once_keys(hidden.text) == once_keys(missing.text.replace(missing_token, hidden_token))


def once_keys(page: str) -> str:
    """A page with its forms' idempotency keys (new at each rendering) as one word."""
    return re.sub(r'name="idempotency_key" value="[^"]*"', 'name="idempotency_key" value="K"',
                  page)


# -- every route is covered ------------------------------------------------------------------------

ANON_GET = ["/", "/account/email/not-a-link", "/overdue", "/overdue.xlsx", "/overdue.csv",
            "/due", "/analyses/{edu}",
            f"/analyses/{MISSING}", "/cases/{edu}", f"/cases/{MISSING}", "/cases",
            f"/cases?process={PROCESS}", f"/cases/new/{PROCESS}", f"/overdue?process={PROCESS}",
            f"/due?process={PROCESS}", "/programmes", "/programmes/{p}", "/programmes/{p}.xlsx",
            "/programmes/{p}.csv", "/programmes/{p}/score", "/programmes/{p}/package.zip",
            "/programmes/{p}/schedule.docx", "/score", "/score.xlsx",
            "/score/AK-ALM-EDU", "/calendar", "/calendar/2025", "/outbox", "/account",
            "/obligations", "/obligations.xlsx", "/obligations.csv", "/work", "/work?within=20",
            "/overview", "/overview?month=2025-12&day=2025-12-03",
            "/orgs/suggest?q=AK",  # an organisation filter's choices (her subtree only:
            # tests/web/test_web_org_filter.py)
            "/bulk/assignees?q=asel",  # the hand-over's people typed (the list's officers
            # only: tests/web/test_bulk_picker.py)
            "/admin/public",  # (the public pages' switch, tests/public/test_public_page.py)
            "/orgs/AK-ALM-EDU",  # an organisation's page (tests/web/test_web_org_headcount.py)
            "/orgs",  # the organisations of her subtree (tests/web/test_web_orgs_list.py)
            *of("drafts", "/cases/{edu}/drafts/publication",
                "/cases/{edu}/drafts/publication/docx"),
            *of("documents", "/cases/{edu}/documents/order",
                "/cases/{edu}/documents/order/docx"),
            "/cases/{edu}/files/1", "/cases.xlsx", f"/cases.csv?process={PROCESS}",
            "/forms/2.xlsx?org=AK-ALM-EDU&year=2025",
            "/forms/national.xlsx?org=AK-ALM-EDU&year=2025", "/coverage", "/coverage?org=AK-ALM-EDU",
            "/notifications", "/account/reminders",
            f"/registers/{PROCESS}/import", f"/registers/{PROCESS}/template.xlsx",
            f"/registers/{PROCESS}/imports/0123456789ab?sig=0",
            "/registers", "/registers/offence_notice", "/cases/new", "/people", "/views",
            *of("declarations", "/declarations", "/declarations/export?org=AK-ALM-EDU",
                "/declarations/notices/1?org=AK-ALM-EDU")]
ANON_POST = ["/logout", "/analyses/{edu}/events", "/cases/{edu}/events", "/cases/{edu}/not-done",
             "/cases/{edu}/void", f"/cases/new/{PROCESS}", "/outbox/retry", "/account/feeds",
             "/account/feeds/1/revoke", "/account/tokens", "/account/tokens/1/revoke",
             "/admin/public", "/orgs/AK-ALM-EDU/headcount", "/orgs/AK-ALM-EDU/names",
             "/orgs/AK-ALM-EDU/import",
             "/orgs/AK-ALM-EDU/import/confirm", "/people/import/confirm",
             *of("drafts", "/cases/{edu}/drafts/publication",
                                  "/cases/{edu}/drafts/publication/docx"),
             *of("documents", "/cases/{edu}/documents/order",
                 "/cases/{edu}/documents/analytic_note/risks"),
             "/cases/{edu}/files",
             "/cases/{edu}/files/1/public", "/cases/{edu}/files/1/void", "/programmes/{p}/uploads",
             "/cases/{edu}/withdraw", "/cases/{edu}/edit", "/notifications/read",
             "/cases/{edu}/restore", "/cases/{edu}/linked", "/cases/{edu}/links",
             "/account/reminders", "/account/password", "/account/telegram",
             "/account/telegram/unlink", "/people/import", "/people/reset",
             "/people/asel/resend", "/people/asel/active", "/people/asel/reset",
             "/account/email", "/account/email/not-a-link", "/account/position",
             "/account/reminders/mute", "/account/reminders/snooze",
             "/account/reminders/holds/1/release", "/bulk", "/account/language",
             f"/registers/{PROCESS}/import", f"/registers/{PROCESS}/import/confirm",
             f"/registers/{PROCESS}/import/map",
             "/cases/{edu}/comments", "/cases/{edu}/comments/1", "/cases/{edu}/assign",
             "/views", "/views/1/rename", "/views/1/share", "/views/1/delete",
             *of("declarations", "/declarations/staff", "/declarations/left",
                 "/declarations/import", "/declarations/notice", "/declarations/remind")]
API_GET = ["/api/v1/organisations", "/api/v1/programmes", "/api/v1/programmes/{p}",
           *of("documents", "/api/v1/programmes/{p}/schedule"),
           "/api/v1/analyses", "/api/v1/analyses/{edu}", "/api/v1/cases",
           f"/api/v1/cases?process={PROCESS}", "/api/v1/cases/{edu}", "/api/v1/processes",
           f"/api/v1/processes/{PROCESS}", "/api/v1/overdue", f"/api/v1/overdue?process={PROCESS}",
           "/api/v1/due", f"/api/v1/due?process={PROCESS}",
           *of("drafts", "/api/v1/cases/{edu}/drafts", "/api/v1/cases/{edu}/drafts/publication"),
           *of("documents", "/api/v1/cases/{edu}/documents",
               "/api/v1/cases/{edu}/documents/order"),
           "/api/v1/cases/{edu}/files",
           "/api/v1/cases/{edu}/files/1", "/api/v1/scores", "/api/v1/scores/summary",
           "/api/v1/scores/organisations", "/api/v1/coverage",
           "/api/v1/submissions", "/api/v1/notifications", "/api/v1/cases/{edu}/comments",
           "/api/v1/views"]
# each write of the API with a body that would be legal for the akimat's education department
API_POST = {"/api/v1/analyses/{edu}/events": lambda: legal("edu"),
            "/api/v1/cases/{edu}/events": lambda: legal("edu"),
            "/api/v1/cases/{edu}/not-done": lambda: legal_not_done("edu"),
            "/api/v1/cases/{edu}/void": lambda: legal_void("edu"),
            "/api/v1/cases": lambda: legal_open("AK-ALM-EDU"),
            "/api/v1/cases/{edu}/files/1/public": lambda: {"public": True},
            "/api/v1/cases/{edu}/files/1/void": lambda: {"note": "unsigned copy"},
            "/api/v1/programmes/{p}/uploads": lambda: legal_upload(),
            "/api/v1/cases/{edu}/withdraw": lambda: {"reason": "opened by mistake"},
            "/api/v1/cases/{edu}/restore": lambda: {"reason": "withdrawn by mistake"},
            "/api/v1/cases/{edu}/linked": lambda: {},
            "/api/v1/cases/{edu}/links": lambda: {"other": 1},
            "/api/v1/notifications/read": lambda: {},
            "/api/v1/bulk/record": lambda: {"items": [{"case": 1, "stage": "order"}],
                                            "date": "2025-11-19", "number": "1",
                                            "signed_by": "Akim"},
            "/api/v1/bulk/assign": lambda: {"items": [{"case": 1}], "login": "asel"},
            "/api/v1/cases/{edu}/comments": lambda: {"text": "checked"},
            "/api/v1/views": lambda: {"name": "Late", "address": "/overdue"},
            **of_map("documents", {  # the signed scan (its multipart body: 401 before it)
                "/api/v1/cases/{edu}/documents/analytic_note": lambda: {}})}
# the organisations' public pages are for everyone: their own matrix, tests/public/test_public_page.py
PUBLIC_PAGES = {"GET /public/{code}", "GET /public/{code}.atom", "GET /public/{code}/embed",
                "GET /public/{code}/files/{file_id}"}
PUBLIC = PUBLIC_PAGES | {"GET /login", "POST /login", "GET /lang/{code}", "GET /ics/{token}.ics",
          # an invitation's one-time link: the token is the credential
          # (tests/web/test_web_account.py, tests/cli/test_user_import.py)
          "GET /invite/{token}", "POST /invite/{token}",
          "GET /openapi.json", "GET /api/docs", "GET /api/docs/{asset}", "GET /api/redoc",
          # health and metrics: no session, no case; /metrics closed unless its
          # token is configured (tests/operations/test_health_metrics.py)
          "GET /healthz", "GET /readyz", "GET /metrics"}

# Every route, with its method, and where the tests below check it.
COVERED_TEMPLATES = {
    "GET /", "GET /overdue", "GET /overdue.{fmt}", "GET /due", "GET /analyses/{analysis_id}",
    "POST /analyses/{case_id}/events", "GET /cases/{case_id}", "POST /cases/{case_id}/events",
    "POST /cases/{case_id}/not-done", "POST /cases/{case_id}/void", "GET /cases",
    "GET /cases/new/{process}", "POST /cases/new/{process}", "GET /programmes",
    "GET /programmes/{programme_id}", "GET /programmes/{programme_id}/score", "GET /calendar",
    "GET /programmes/{programme_id}/package.zip", "GET /programmes/{programme_id}/schedule.docx",
    "GET /score", "GET /score.{fmt}", "GET /score/{org}", "GET /obligations",
    # an organisation filter's choices: anonymous above; her subtree only:
    # tests/web/test_web_org_filter.py
    "GET /orgs/suggest",
    # the bulk hand-over's people found by name: anonymous above; the list's officers only:
    # tests/web/test_bulk_picker.py
    "GET /bulk/assignees",
    # a register's export and the report forms: anonymous above; the persons in
    # them tests/web/test_person_visibility.py and tests/forms/test_forms.py
    "GET /cases.{fmt}", "GET /forms/{n}.xlsx",
    "GET /forms/national.xlsx",  # the same; who gets it: tests/forms/test_national_report.py
    "GET /api/v1/scores",  # anonymous above; who sees what: tests/scorecard/test_web_score.py
    # anonymous above; who sees what: tests/scorecard/test_root_pages.py
    "GET /api/v1/scores/summary", "GET /api/v1/scores/organisations",
    "GET /coverage", "GET /api/v1/coverage",  # anonymous above; who sees what: test_coverage.py
    "GET /api/v1/submissions",  # anonymous above; who sees what: tests/coverage/test_submissions.py
    # the declarations list: anonymous above; who sees and keeps what, refusals and nothing
    # stored: tests/declarations/test_declarations.py
    *of("declarations", "GET /declarations", "GET /declarations/export",
        "GET /declarations/notices/{notice_id}", "POST /declarations/staff",
        "POST /declarations/left", "POST /declarations/import",
        "POST /declarations/notice", "POST /declarations/remind"),
    "GET /obligations.{fmt}", "GET /work", "GET /overview",
    "GET /calendar/{year}", "GET /outbox", "POST /outbox/retry", "GET /account",
    "POST /account/feeds", "POST /account/feeds/{feed_id}/revoke", "POST /account/tokens",
    "POST /account/tokens/{token_id}/revoke", "POST /logout", "GET /api/v1/organisations",
    "GET /api/v1/programmes", "GET /api/v1/programmes/{programme_id}", "GET /api/v1/analyses",
    # the year's schedule: anonymous above; another organisation's refused:
    # tests/documents/test_schedule_document.py
    *of("documents", "GET /api/v1/programmes/{programme_id}/schedule"),
    "GET /api/v1/analyses/{analysis_id}", "POST /api/v1/analyses/{analysis_id}/events",
    "GET /api/v1/cases", "POST /api/v1/cases", "GET /api/v1/cases/{case_id}",
    "POST /api/v1/cases/{case_id}/events", "POST /api/v1/cases/{case_id}/not-done",
    "POST /api/v1/cases/{case_id}/void", "GET /api/v1/processes", "GET /api/v1/processes/{key}",
    "GET /api/v1/overdue", "GET /api/v1/due",
    "GET /admin/public", "POST /admin/public",  # anonymous above; the rest tests/public/test_public_page.py
    # an organisation's page and headcount: anonymous above; the rest
    # tests/web/test_web_org_headcount.py
    "GET /orgs/{code}", "POST /orgs/{code}/headcount",
    # the forms of its name the documents print: anonymous above; an administrator of the
    # organisation only, refusals and nothing stored: tests/documents/test_documents_org_names.py
    "POST /orgs/{code}/names",
    # the year so far opened on an organisation's page: anonymous above; an administrator of
    # the organisation only, refusals and nothing stored: tests/web/test_web_org_backfill.py
    "POST /orgs/{code}/backfill",
    # the organisations under one added from a file on its page: anonymous above; an
    # administrator of the organisation only, every refused cell named and nothing stored:
    # tests/web/test_web_org_import.py
    "POST /orgs/{code}/import", "POST /orgs/{code}/import/confirm",
    # announcement drafts: anonymous above; the rest tests/drafts/test_drafts.py
    *of("drafts", "GET /cases/{case_id}/drafts/{stage}", "POST /cases/{case_id}/drafts/{stage}",
        "GET /cases/{case_id}/drafts/{stage}/docx", "POST /cases/{case_id}/drafts/{stage}/docx",
        "GET /api/v1/cases/{case_id}/drafts", "GET /api/v1/cases/{case_id}/drafts/{stage}"),
    # the documents of an analysis: anonymous above; the rest tests/documents/test_documents.py
    *of("documents", "GET /cases/{case_id}/documents/{stage}",
        "POST /cases/{case_id}/documents/{stage}", "GET /cases/{case_id}/documents/{stage}/docx",
        "POST /cases/{case_id}/documents/{stage}/risks",
        "GET /api/v1/cases/{case_id}/documents", "GET /api/v1/cases/{case_id}/documents/{stage}",
        "POST /api/v1/cases/{case_id}/documents/{stage}"),
    # the risks assessed and mapped: anonymous above; who may see the case or organisation
    # (404 to another's officer) and who records (nothing stored): tests/documents/test_risk_map.py
    *of("documents", "GET /cases/{case_id}/risk-map.svg", "GET /orgs/{code}/risk-map",
        "GET /orgs/{code}/risk-map.svg", "GET /api/v1/cases/{case_id}/risks",
        "POST /api/v1/cases/{case_id}/risks",
        "PUT /api/v1/cases/{case_id}/risks/{risk_id}/assessment"),
    # a case's evidence files: anonymous above; the rest tests/services/test_files.py
    "GET /cases/{case_id}/files/{file_id}", "POST /cases/{case_id}/files",
    "POST /cases/{case_id}/files/{file_id}/public", "POST /cases/{case_id}/files/{file_id}/void",
    "GET /api/v1/cases/{case_id}/files", "POST /api/v1/cases/{case_id}/files",
    "GET /api/v1/cases/{case_id}/files/{file_id}",
    "POST /api/v1/cases/{case_id}/files/{file_id}/public",
    "POST /api/v1/cases/{case_id}/files/{file_id}/void",
    # the cross-platform upload date: anonymous above, the API's refusals below; the rest (and
    # the sub-tasks in GET /api/v1/programmes/{programme_id}) tests/platform/test_platform_package.py
    "POST /programmes/{programme_id}/uploads", "POST /api/v1/programmes/{programme_id}/uploads",
    # a case withdrawn: anonymous above; the rest tests/services/test_withdraw.py
    "POST /cases/{case_id}/withdraw", "POST /api/v1/cases/{case_id}/withdraw",
    # a withdrawal undone, a procedure's case and its register entry linked (P-22):
    # anonymous above; who may, refusals and nothing stored: tests/services/test_linked_facts.py
    "POST /cases/{case_id}/restore", "POST /api/v1/cases/{case_id}/restore",
    "POST /cases/{case_id}/linked", "POST /api/v1/cases/{case_id}/linked",
    "POST /cases/{case_id}/links", "POST /api/v1/cases/{case_id}/links",
    # a link undone with a reason (P-25): anonymous above; who may, refusals and nothing
    # stored: tests/services/test_links_one_fact.py
    "POST /cases/{case_id}/unlink", "POST /api/v1/cases/{case_id}/unlink",
    # a case's opening values corrected: anonymous above (the API's below); who may
    # correct it, refusals and nothing stored: tests/services/test_case_edit.py
    "POST /cases/{case_id}/edit", "PATCH /api/v1/cases/{case_id}",
    # the notification centre: anonymous above; only her own items, preferences
    # and refusals: tests/notices/test_notifications.py
    "GET /notifications", "POST /notifications/read", "GET /account/reminders",
    "POST /account/reminders", "POST /account/reminders/mute", "POST /account/reminders/snooze",
    "POST /account/reminders/holds/{hold_id}/release", "GET /api/v1/notifications",
    "POST /api/v1/notifications/read",
    # work in bulk: anonymous above; who may act on which item, every refusal
    # named and nothing stored: tests/web/test_bulk_actions.py
    "POST /bulk", "POST /api/v1/bulk/record", "POST /api/v1/bulk/assign",
    # the sign-in page's language saved as the profile's: anonymous above; her own
    # profile only, CSRF, audited: tests/browser/test_browser_bulk_on_phone.py
    "POST /account/language",
    # her password and Telegram, an administrator's people page and reset: anonymous above;
    # her own account only, admins of her organisations only, refusals and nothing stored:
    # tests/web/test_web_account.py
    "POST /account/password", "POST /account/telegram", "POST /account/telegram/unlink",
    "GET /people", "POST /people/import", "POST /people/import/confirm", "POST /people/reset",
    # the people list, a resent invitation, an account deactivated or reactivated: anonymous
    # above; admins of her organisations only, refusals and nothing stored:
    # tests/web/test_web_people_list.py
    "POST /people/{login}/resend", "POST /people/{login}/active", "POST /people/{login}/reset",
    # the organisations of her subtree: anonymous above; hers only: test_web_orgs_list.py
    "GET /orgs",
    # her e-mail change and its confirmation link: anonymous above; her own link only, in her
    # own session, refusals store nothing: tests/web/test_own_channels_web.py
    "POST /account/email", "GET /account/email/{token}", "POST /account/email/{token}",
    # her position: anonymous above; saved, refused, nothing stored:
    # tests/web/test_account_position.py
    "POST /account/position",
    # a register's file imported from the web: anonymous above; who may import for which
    # organisation, every refused row named and nothing stored, the template:
    # tests/web/test_web_import.py
    "GET /registers/{process}/import", "POST /registers/{process}/import",
    "POST /registers/{process}/import/confirm", "GET /registers/{process}/template.xlsx",
    # her own headers mapped (tests/imports/test_import_mapping.py)
    "POST /registers/{process}/import/map",
    "GET /registers/{process}/imports/{import_id}",
    # a page per register, their index and the picker of what to open: anonymous above; who
    # sees which entry and person, the filters, applies_to: tests/registers/test_register_pages.py
    "GET /registers", "GET /registers/{process}", "GET /cases/new",
    # a case's comments and its hand-over from its page: anonymous above; who reads, writes,
    # changes and is mentioned, who hands over to whom, refusals and nothing stored:
    # tests/web/test_comments_page.py, tests/services/test_comments.py
    "POST /cases/{case_id}/comments", "POST /cases/{case_id}/comments/{comment_id}",
    "POST /cases/{case_id}/assign", "GET /api/v1/cases/{case_id}/comments",
    "POST /api/v1/cases/{case_id}/comments",
    "PATCH /api/v1/cases/{case_id}/comments/{comment_id}",
    # saved views: anonymous above; one's own only, shared ones counted with the reader's
    # access, refusals and nothing stored: tests/web/test_saved_views.py
    "GET /views", "POST /views", "POST /views/{view_id}/rename", "POST /views/{view_id}/share",
    "POST /views/{view_id}/delete", "GET /api/v1/views", "POST /api/v1/views",
    "DELETE /api/v1/views/{view_id}",
}


def fill(path: str, w: Web) -> str:
    return path.format(edu=w.analyses["edu"], p=w.programmes["AK-ALM-EDU"])


def test_every_route_is_in_the_access_matrix(world: Web):
    """A new route must be added to the matrix below (or be one of the public ones)."""
    paths = set(route_paths(world.app.routes))
    assert paths - PUBLIC - COVERED_TEMPLATES == set()
    assert paths >= COVERED_TEMPLATES | PUBLIC


# -- anonymous ----------------------------------------------------------------------------------------


def test_anonymous_pages_go_to_login(world: Web):
    c = world.client()
    before = world.dump()
    for path in ANON_GET:
        url = fill(path, world)
        r = c.get(url)
        assert r.status_code == 303, url
        assert r.headers["location"] == f"/login?next={quote(url, safe='/')}", url
    # A filtered address survives the trip through the login form whole.
    r = c.get("/overdue?stage=order&year=2025&sort=due")
    nxt = parse_qs(urlsplit(r.headers["location"]).query)["next"]
    assert nxt == ["/overdue?stage=order&year=2025&sort=due"]
    for path in ANON_POST:
        url = fill(path, world)
        r = c.post(url, data={"csrf": "x", "event": "order", "date": TODAY.isoformat()})
        assert r.status_code == 303, url
        assert r.headers["location"].startswith("/login?next="), url
    assert world.dump() == before
    assert c.get("/login").status_code == 200
    assert c.get("/ics/not-a-feed.ics").status_code == 404
    r = world.post_login(world.client(), "nurlan", next_=nxt[0])
    assert r.status_code == 303 and r.headers["location"] == nxt[0]


def test_anonymous_api_is_401(world: Web):
    browser = world.browser("nurlan")
    before = world.dump()
    for client in (world.api(None), _bearer(world, "mz_not-a-token"), _bearer(world, "")):
        for path in API_GET:
            r = client.get(fill(path, world))
            assert r.status_code == 401, path
            assert r.json()["error"] == "unauthorised"
            assert r.headers["www-authenticate"] == "Bearer"
        for path, body in API_POST.items():
            r = client.post(fill(path, world), json=body())
            assert r.status_code == 401, path
            assert r.json()["error"] == "unauthorised"
    # a session cookie is not an API credential
    assert browser.get("/api/v1/overdue").status_code == 401
    assert world.dump() == before


def _bearer(w: Web, token: str):
    c = w.api(None)
    c.headers["Authorization"] = f"Bearer {token}"
    return c


# -- own subtree --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pages_of_own_subtree(world: Web, case: Case):
    b = world.browser(case.login)
    aid = world.analyses[case.own]
    prog = world.programmes[case.own_org]

    r = b.get("/")
    assert r.status_code == 303
    assert r.headers["location"] == ("/work" if case.role == "officer" else "/overview")

    for url in (f"/analyses/{aid}", f"/cases/{aid}"):  # one page, at both addresses
        r = b.get(url)
        assert r.status_code == 200, url
        assert f"#{aid}" in r.text
        for action in ("events", "not-done", "void"):
            form = f'action="/cases/{aid}/{action}"' in r.text
            # (nothing to void on an analysis without records: KGD's)
            expected = case.role != "manager" and (action != "void" or case.own in VOID)
            assert form is expected, ("only officers (and admins) get the forms", url, action)
    r = b.get("/cases")
    assert r.status_code == 200
    assert f'href="/cases/{aid}"' in r.text
    opening = 'data-testid="new-entry"' in r.text
    assert opening is (case.role != "manager"), "only officers (and admins) open cases"
    picker = b.get("/cases/new")  # the picker of what to open (web/registers_page.py)
    assert picker.status_code == 200
    assert (f'href="/cases/new/{PROCESS}"' in picker.text) is (case.role != "manager")

    for url in (f"/programmes/{prog}", f"/programmes/{prog}/score", "/score",
                f"/score?org={case.own_org}", f"/score/{case.own_org}", "/programmes", "/overdue",
                f"/overdue?org={case.own_org}", "/due", f"/due?org={case.own_org}", "/calendar/2025",
                "/account", f"/cases?process={PROCESS}", f"/cases?org={case.own_org}",
                f"/cases/new/{PROCESS}", f"/overdue?process={PROCESS}",
                f"/due?process={PROCESS}&within=250", "/obligations",
                f"/obligations?org={case.own_org}", "/work", "/overview",
                f"/overview?org={case.own_org}", f"/overview?month=2025-12&org={case.own_org}"):
        r = b.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith("text/html")
    assert f'href="/programmes/{prog}"' in b.get("/programmes").text
    assert b.get("/calendar").headers["location"] == f"/calendar/{TODAY.year}"

    for url in (f"/programmes/{prog}.xlsx", f"/overdue.xlsx?org={case.own_org}", "/overdue.xlsx",
                "/score.xlsx", f"/obligations.xlsx?org={case.own_org}"):
        r = b.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"] == XLSX
        assert "attachment" in r.headers["content-disposition"]
    r = b.get(f"/programmes/{prog}/package.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    for url in (f"/programmes/{prog}.csv", f"/overdue.csv?org={case.own_org}", "/overdue.csv",
                f"/score.csv?org={case.own_org}", f"/obligations.csv?org={case.own_org}"):
        r = b.get(url)
        assert r.status_code == 200, url
        assert r.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_api_of_own_subtree(world: Web, case: Case):
    api = world.api(case.login)
    aid = world.analyses[case.own]
    prog = world.programmes[case.own_org]
    for url in (f"/api/v1/analyses/{aid}", f"/api/v1/cases/{aid}"):
        r = api.get(url)
        assert r.status_code == 200, url
        assert r.json()["id"] == aid and r.json()["subject"] == case.own_org
        assert r.json()["process"] == PROCESS
    assert aid in {c["id"] for c in api.get("/api/v1/cases?limit=500").json()["items"]}
    assert [p["key"] for p in api.get("/api/v1/processes").json()] == [PROCESS]
    assert api.get(f"/api/v1/processes/{PROCESS}").status_code == 200
    r = api.get(f"/api/v1/programmes/{prog}")
    assert r.status_code == 200
    assert r.json()["subject"] == case.own_org
    for url in ("/api/v1/organisations", "/api/v1/programmes", "/api/v1/analyses",
                "/api/v1/overdue", "/api/v1/due", f"/api/v1/overdue?org={case.own_org}",
                f"/api/v1/analyses?org={case.own_org}", f"/api/v1/due?org={case.own_org}",
                "/api/v1/cases", f"/api/v1/cases?org={case.own_org}",
                f"/api/v1/cases?process={PROCESS}", f"/api/v1/overdue?process={PROCESS}",
                f"/api/v1/due?process={PROCESS}"):
        r = api.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"] == "application/json"


# -- other subtree: 404 as if it did not exist -----------------------------------------------------------


def _other_subtree(world: Web, case: Case) -> tuple[int, int, dict]:
    """The analysis and the programme of the subtree the case's reader is not in, and the
    database before she asks for them."""
    return world.analyses[case.other], world.programmes[case.other_org], world.dump()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pages_of_other_subtree_are_404(world: Web, case: Case):
    b = world.browser(case.login)
    aid, prog, before = _other_subtree(world, case)
    pairs = [*hidden_and_missing(("/analyses/{}", "/cases/{}"), aid),
             *hidden_and_missing(("/programmes/{}", "/programmes/{}.xlsx", "/programmes/{}.csv",
                                  "/programmes/{}/score", "/programmes/{}/package.zip"), prog)]
    for other_org in (case.other_org, "MF" if case.other_org in MF_CODES else "AK-ALM"):
        pairs += hidden_and_missing(("/score/{}", *org_filtered((
            "/overdue", "/overdue.xlsx", "/overdue.csv", "/due", "/cases", "/score",
            "/score.xlsx", "/score.csv", "/obligations", "/obligations.xlsx", "/obligations.csv",
            "/overview", "/overview?month=2025-12&", f"/cases?process={PROCESS}&",
            f"/overdue?process={PROCESS}&", f"/due?process={PROCESS}&"))), other_org, NO_ORG)
    for hidden, missing, h_tok, m_tok in pairs:
        same_404(b.get(hidden), b.get(missing), h_tok, m_tok)

    csrf = world.csrf(b)
    for action, body in (("events", legal(case.other)), ("not-done", legal_not_done(case.other)),
                         ("void", legal_void(case.other))):
        body = {**body, "csrf": csrf}
        for base in (("/analyses", "/cases") if action == "events" else ("/cases",)):
            same_404(b.post(f"{base}/{aid}/{action}", data=body),
                     b.post(f"{base}/{MISSING}/{action}", data=body), str(aid), str(MISSING))
    if case.role != "officer":  # an officer's subject is her own organisation, whatever she sends
        same_404(b.post(f"/cases/new/{PROCESS}",
                        data={**legal_open_form(case.other_org), "csrf": csrf}),
                 b.post(f"/cases/new/{PROCESS}", data={**legal_open_form(NO_ORG), "csrf": csrf}),
                 case.other_org, NO_ORG)
    same_404(b.post("/account/feeds", data={"csrf": csrf, "scope": "organisation",
                                            "org": case.other_org}),
             b.post("/account/feeds", data={"csrf": csrf, "scope": "organisation", "org": NO_ORG}),
             case.other_org, NO_ORG)
    assert world.dump() == before  # no feed, no event, nothing

    assert f'href="/programmes/{prog}"' not in b.get("/programmes").text
    assert f'href="/cases/{aid}"' not in b.get("/overdue").text
    assert f'href="/cases/{aid}"' not in b.get("/due?within=250").text
    assert f'href="/cases/{aid}"' not in b.get("/cases").text
    assert f'data-case="{aid}"' not in b.get("/cases").text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_api_of_other_subtree_is_404(world: Web, case: Case):
    api = world.api(case.login)
    aid, prog, before = _other_subtree(world, case)
    pairs = [*hidden_and_missing(("/api/v1/analyses/{}", "/api/v1/cases/{}"), aid),
             *hidden_and_missing(("/api/v1/programmes/{}",), prog),
             *hidden_and_missing(org_filtered(
                 f"/api/v1/{ep}" for ep in ("analyses", "cases", f"cases?process={PROCESS}&",
                                            "overdue", f"overdue?process={PROCESS}&", "due",
                                            f"due?process={PROCESS}&")),
                 case.other_org, NO_ORG)]
    for hidden, missing, h_tok, m_tok in pairs:
        same_404(api.get(hidden), api.get(missing), h_tok, m_tok)
    for path, body in (("analyses/{}/events", legal(case.other)),
                       ("cases/{}/events", legal(case.other)),
                       ("cases/{}/not-done", legal_not_done(case.other)),
                       ("cases/{}/void", legal_void(case.other)),
                       ("cases/{}/files/1/public", {"public": True}),
                       ("cases/{}/files/1/void", {"note": "unsigned copy"})):
        same_404(api.post("/api/v1/" + path.format(aid), json=body),
                 api.post("/api/v1/" + path.format(MISSING), json=body), str(aid), str(MISSING))
    same_404(api.post("/api/v1/cases", json=legal_open(case.other_org)),
             api.post("/api/v1/cases", json=legal_open(NO_ORG)), case.other_org, NO_ORG)
    same_404(api.post(f"/api/v1/programmes/{prog}/uploads", json=legal_upload()),
             api.post(f"/api/v1/programmes/{MISSING}/uploads", json=legal_upload()), str(prog),
             str(MISSING))
    assert world.dump() == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_lists_hold_only_the_visible_subtree(world: Web, case: Case):
    """Every list (API and pages) holds rows of the viewer's subtree only, and is not empty."""
    api = world.api(case.login)
    visible = case.visible
    orgs = api.get("/api/v1/organisations?limit=500").json()
    assert {o["code"] for o in orgs["items"]} == visible
    assert orgs["total"] == len(visible)
    progs = api.get("/api/v1/programmes?limit=500").json()["items"]
    assert progs and {p["subject"] for p in progs} <= visible
    analyses = api.get("/api/v1/analyses?limit=500").json()["items"]
    assert analyses and {a["subject"] for a in analyses} <= visible
    assert world.analyses[case.own] in {a["id"] for a in analyses}
    cases = api.get("/api/v1/cases?limit=500").json()["items"]
    assert cases and {c["subject"] for c in cases} <= visible
    assert {a["id"] for a in analyses} <= {c["id"] for c in cases}
    overdue = api.get("/api/v1/overdue?limit=500").json()["items"]
    assert overdue and {r["organisation"] for r in overdue} <= visible
    due = api.get("/api/v1/due?within=250&limit=500").json()["items"]
    assert due and {r["organisation"] for r in due} <= visible
    assert {r["analysis"] for r in overdue + due} <= {c["id"] for c in cases}

    b = world.browser(case.login)
    import re

    for url in ("/overdue", "/due?within=250"):
        shown = set(re.findall(r'data-org="([^"]+)"', b.get(url).text))
        assert shown and shown <= visible, url
    rows = list(csv.reader(io.StringIO(b.get("/overdue.csv").content.decode("utf-8-sig"))))[1:]
    assert rows and {r[0] for r in rows} <= {NAMES[c] for c in visible}
    # "?q=": no filter (a bare /cases applies the filters this browser last used)
    listed = {int(i) for i in re.findall(r'data-case="(\d+)"', b.get("/cases?q=").text)}
    assert listed == {c["id"] for c in cases}


# -- the akimat's manager and the ministry ------------------------------------------------------------


def _text_of_xlsx(data: bytes) -> str:
    ws = load_workbook(io.BytesIO(data)).active
    return "\n".join(" | ".join("" if v is None else str(v) for v in row)
                     for row in ws.iter_rows(values_only=True))


def _assert_nothing_of_the_ministry(text: str, where: str) -> None:
    for name in MF_NAMES:
        assert name not in text, (where, name)
    for code in MF_CODES - {"MF"}:
        assert code not in text, (where, code)
    assert 'data-org="MF' not in text, where


def test_akimat_manager_sees_and_exports_nothing_of_the_ministry(world: Web):
    b = world.browser("nurlan")
    api = world.api("nurlan")
    mf_analyses = [world.analyses[k] for k in ("mf_done", "kk", "kgd")]
    mf_programmes = [world.programmes[c] for c in ("MF-KGD-ALM", "MF-KK-ALM")]

    pages = {url: b.get(url) for url in ("/overdue", "/overdue?sort=days&dir=desc", "/due",
                                         "/due?within=250", "/programmes", "/account",
                                         "/score", "/score.xlsx", "/score?sort=total",
                                         "/overdue.csv", "/overdue.xlsx", "/cases",
                                         f"/cases?process={PROCESS}", f"/cases/new/{PROCESS}",
                                         f"/overdue?process={PROCESS}", "/overview",
                                         "/overview?month=2025-12")}
    for url, r in pages.items():
        assert r.status_code == 200, url
        text = _text_of_xlsx(r.content) if url.endswith("xlsx") else r.content.decode("utf-8-sig")
        _assert_nothing_of_the_ministry(text, url)
        for aid in mf_analyses:
            assert f'href="/cases/{aid}"' not in text and f'data-case="{aid}"' not in text
    for aid in mf_analyses:
        assert b.get(f"/analyses/{aid}").status_code == 404
        assert b.get(f"/cases/{aid}").status_code == 404
    for pid in mf_programmes:
        for suffix in ("", ".xlsx", ".csv", "/score"):
            assert b.get(f"/programmes/{pid}{suffix}").status_code == 404

    for url in ("/api/v1/organisations", "/api/v1/programmes", "/api/v1/analyses",
                "/api/v1/cases", "/api/v1/overdue", "/api/v1/due?within=250",
                f"/api/v1/overdue?process={PROCESS}"):
        r = api.get(url + ("&" if "?" in url else "?") + "limit=500")
        assert r.status_code == 200
        _assert_nothing_of_the_ministry(r.text, url)
        for item in r.json()["items"]:
            assert not ({item.get("code"), item.get("subject"), item.get("organisation")}
                        & MF_CODES), (url, item)

    # an organisation feed of the ministry cannot be created
    with Session(world.engine) as s:
        feeds_before = len(s.exec(select(CalendarFeed)).all())
    csrf = world.csrf(b)
    for code in ("MF", "MF-KGD", "MF-KGD-ALM"):
        r = b.post("/account/feeds", data={"csrf": csrf, "scope": "organisation", "org": code})
        assert r.status_code == 404
    with Session(world.engine) as s:
        assert len(s.exec(select(CalendarFeed)).all()) == feeds_before

    # the control: the ministry's manager does see the ministry's overdue rows
    gulnar = world.api("gulnar").get("/api/v1/overdue?limit=500").json()["items"]
    assert {r["organisation"] for r in gulnar} & MF_CODES
    assert not {r["organisation"] for r in gulnar} & AK_CODES
    assert world.analyses["kgd"] in {r["analysis"] for r in gulnar}


# -- recording and admin pages ----------------------------------------------------------------------------


def test_only_the_subjects_officers_record(world: Web):
    """Officers cannot record, close a stage, void or open a case for another organisation
    (404: they do not see it); managers cannot write at all (409 rule.cannot_record), not even
    in their own subtree. Every refusal stores nothing and is audited."""
    a = world.analyses
    for login in ("nurlan", "asel"):  # signed in before the picture is taken, whatever ran first
        world.browser(login)
    for login in ("asel", "aigerim", "gulnar", "nurlan", "erlan"):
        world.api(login)
    before = world.dump()
    since = world.last_audit()
    writes = (("analyses/{}/events", legal, "event"), ("cases/{}/events", legal, "event"),
              ("cases/{}/not-done", legal_not_done, "not_done"),
              ("cases/{}/void", legal_void, "void"))
    for path, body, _action in writes:
        for login, key in (("asel", "kgd"), ("asel", "ile"), ("aigerim", "edu"), ("gulnar", "edu"),
                           ("nurlan", "kgd"), ("erlan", "kk")):
            r = world.api(login).post("/api/v1/" + path.format(a[key]), json=body(key))
            assert r.status_code == 404, (path, login, key, r.text)
        for login, key in (("nurlan", "ile"), ("nurlan", "edu"), ("gulnar", "kgd"),
                           ("gulnar", "kk")):
            if path.endswith("void") and key not in VOID:
                continue  # nothing to void there: not a legal request
            r = world.api(login).post("/api/v1/" + path.format(a[key]), json=body(key))
            assert r.status_code == 409, (path, login, key, r.text)
            assert r.json() == {"error": "rule.cannot_record", "message": en("rule.cannot_record")}
    # opening a case: an officer only for her own organisation, a manager never
    for login, subject in (("asel", "AK-ALM-ILE"), ("asel", "MF-KGD-ALM"), ("nurlan", "MF-KGD-ALM"),
                           ("erlan", "MF-KK-ALM")):
        r = world.api(login).post("/api/v1/cases", json=legal_open(subject))
        assert r.status_code == 404, (login, subject, r.text)
    for login, subject in (("nurlan", "AK-ALM-EDU"), ("gulnar", "MF-KGD-ALM")):
        r = world.api(login).post("/api/v1/cases", json=legal_open(subject))
        assert r.status_code == 409, (login, subject, r.text)
        assert r.json() == {"error": "rule.cannot_record", "message": en("rule.cannot_record")}
    # a programme's upload day: its officers and admins; a manager is refused in her subtree
    for login, subject in (("asel", "AK-ALM-ILE"), ("aigerim", "AK-ALM-EDU"),
                           ("nurlan", "MF-KGD-ALM"), ("erlan", "MF-KK-ALM")):
        r = world.api(login).post(f"/api/v1/programmes/{world.programmes[subject]}/uploads",
                                  json=legal_upload())
        assert r.status_code == 404, (login, subject, r.text)
    for login, subject in (("nurlan", "AK-ALM-ILE"), ("nurlan", "AK-ALM-EDU"),
                           ("gulnar", "MF-KGD-ALM")):
        r = world.api(login).post(f"/api/v1/programmes/{world.programmes[subject]}/uploads",
                                  json=legal_upload())
        assert r.status_code == 409, (login, subject, r.text)
        assert r.json() == {"error": "rule.cannot_record", "message": en("rule.cannot_record")}
    # the same through the forms
    b = world.browser("nurlan")
    csrf = world.csrf(b)
    for url, body in ((f"/analyses/{a['ile']}/events", legal("ile")),
                      (f"/cases/{a['ile']}/events", legal("ile")),
                      (f"/cases/{a['ile']}/not-done", legal_not_done("ile")),
                      (f"/cases/{a['ile']}/void", legal_void("ile")),
                      (f"/cases/new/{PROCESS}", legal_open_form("AK-ALM-ILE"))):
        r = b.post(url, data={**body, "csrf": csrf})
        assert r.status_code == 409, url
        assert refusal_of(r.text) == en("rule.cannot_record"), url
    b = world.browser("asel")
    csrf = world.csrf(b)
    for url, body in ((f"/analyses/{a['kgd']}/events", legal("kgd")),
                      (f"/cases/{a['kgd']}/events", legal("kgd")),
                      (f"/cases/{a['kgd']}/not-done", legal_not_done("kgd")),
                      (f"/cases/{a['kgd']}/void", legal_void("kgd"))):
        assert b.post(url, data={**body, "csrf": csrf}).status_code == 404, url
    assert world.dump() == before
    audited = world.audit_since(since)
    for action in ("event", "not_done", "void"):
        refused = [(actor, p["key"]) for actor, act, p in audited if act == f"refused.{action}"]
        assert ("web:nurlan", "rule.cannot_record") in refused, action
        assert ("web:gulnar", "rule.cannot_record") in refused, action
    for actor, action in (("web:nurlan", "refused.open"),
                          ("web:nurlan", "refused.platform_upload"),
                          ("web:gulnar", "refused.platform_upload")):
        assert (actor, action, "rule.cannot_record") in [
            (who, act, p.get("key")) for who, act, p in audited], (actor, action)
    # every refused opening through the API is in the log too (as a refused request)
    opened = [(actor, p["status"]) for actor, act, p in audited
              if act == "refused" and p.get("path") == "/api/v1/cases"]
    assert sorted(opened) == sorted([("web:asel", 404), ("web:asel", 404), ("web:nurlan", 404),
                                     ("web:erlan", 404), ("web:nurlan", 409),
                                     ("web:gulnar", 409)])
    # and the hidden ones are logged as refused requests, with who asked
    hidden = {(actor, p["path"]) for actor, act, p in audited if act == "refused"}
    assert ("web:asel", f"/cases/{a['kgd']}/not-done") in hidden
    assert ("web:erlan", f"/api/v1/cases/{a['kk']}/void") in hidden


def test_outbox_is_admin_only(world: Web):
    # signing in stores a session: every browser first, then the snapshot (whichever tests of
    # this module ran before in this worker, if any)
    browsers = {login: world.browser(login) for login in ("asel", "aigerim", "nurlan", "gulnar",
                                                          "erlan")}
    before = world.dump()
    for login in ("asel", "aigerim", "nurlan", "gulnar"):
        b = browsers[login]
        r = b.get("/outbox")
        assert r.status_code == 404, login
        assert refusal_of(r.text) == en("notfound.generic")
        r = b.post("/outbox/retry", data={"csrf": world.csrf(b)})
        assert r.status_code == 404, login
        assert "/outbox" not in b.get("/overdue").text  # not even in the navigation
    admin = browsers["erlan"]
    r = admin.get("/outbox")
    assert r.status_code == 200
    assert en("outbox.empty") in r.text
    assert 'href="/outbox"' in admin.get("/overdue").text
    assert world.dump() == before


# -- logins, lock-out, cookies, logout ---------------------------------------------------------------------


# These run on the module's shared database, each with an account no other test signs in with.


def test_wrong_password_is_refused_and_audited(world: Web):
    world.ensure_password("dana")
    before = world.dump()
    since = world.last_audit()
    c = world.client()
    r = world.post_login(c, "dana", "not-the-password")
    assert r.status_code == 401
    assert en("login.failed") in r.text
    assert "merzim_session" not in c.cookies
    r = world.post_login(c, "nobody-such", "whatever-password")
    assert r.status_code == 401
    assert en("login.failed") in r.text
    assert c.get("/overdue").status_code == 303
    actions = [(actor, action) for actor, action, _p in world.audit_since(since)]
    assert actions == [("web:dana", "login.failed"), ("web:nobody-such", "login.failed")]
    after = world.dump()
    assert after.pop("app_user") != before.pop("app_user")  # the failure is counted
    assert after == before
    assert world.user("dana").failed_logins == 1


def test_five_failures_lock_the_account(world: Web):
    world.ensure_password("marat")
    since = world.last_audit()
    c = world.client()
    for _ in range(4):
        r = world.post_login(c, "marat", "wrong-password-1")
        assert r.status_code == 401
        assert en("login.failed") in r.text
    r = world.post_login(c, "marat", "wrong-password-1")
    assert r.status_code == 401
    assert en("login.failed") in r.text  # a lock is not announced: it would confirm the login
    # the right password does not open a locked account
    r = world.post_login(c, "marat")
    assert r.status_code == 401
    assert en("login.failed") in r.text
    assert "merzim_session" not in c.cookies
    actions = [(actor, action) for actor, action, _p in world.audit_since(since)]
    assert actions == [("web:marat", "login.failed")] * 4 + [("web:marat", "login.locked")] * 2
    marat = world.user("marat")
    assert marat.locked_until is not None
    with Session(world.engine) as s:
        assert s.exec(select(WebSession).where(WebSession.user_id == marat.id)).all() == []
    # other accounts are not affected
    assert world.post_login(world.client(), "timur").status_code == 303


def test_login_csrf_is_required(world: Web):
    password = world.ensure_password("saule")
    before = world.dump()
    since = world.last_audit()
    c = world.client()
    form = c.get("/login")
    assert form.status_code == 200
    for data in ({"login": "saule", "password": password},
                 {"login": "saule", "password": password, "csrf": ""},
                 {"login": "saule", "password": password, "csrf": "forged-token"}):
        r = c.post("/login", data=data)
        assert r.status_code == 403, data
        assert refusal_of(r.text) == en("error.csrf")
    # the right field without the cookie that goes with it
    fresh = world.client()
    r = fresh.post("/login", data={"login": "saule", "password": password,
                                   "csrf": csrf_of(form.text)})
    assert r.status_code == 403
    assert "merzim_session" not in c.cookies and "merzim_session" not in fresh.cookies
    assert world.dump() == before
    assert not [a for _x, a, _p in world.audit_since(since) if a == "login.ok"]


def _cookie(response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set")


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_session_cookie_flags(world: Web, https: bool):
    c = world.client(https=https)
    form = c.get("/login")
    login_cookie = _cookie(form, "merzim_login_csrf").lower()
    assert "httponly" in login_cookie and "samesite=strict" in login_cookie
    r = world.post_login(c, "saule")
    assert r.status_code == 303
    session = _cookie(r, "merzim_session").lower()
    assert "httponly" in session
    assert "samesite=lax" in session
    assert ("; secure" in session) is https
    assert ("; secure" in login_cookie) is https
    assert c.get("/due").status_code == 200


def test_logout_invalidates_the_session(world: Web):
    since = world.last_audit()
    b = world.client()  # not the cached browser: this one signs out
    assert world.post_login(b, "bolat").status_code == 303
    token = b.cookies.get("merzim_session")
    assert token
    with Session(world.engine) as s:
        assert s.exec(select(WebSession).where(WebSession.token_hash == digest(token))).one()
    csrf = world.csrf(b)
    r = b.post("/logout", data={"csrf": csrf})
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    assert b.get("/due").status_code == 303
    # the old cookie, replayed, opens nothing
    replay = world.client()
    replay.cookies.set("merzim_session", token)
    r = replay.get("/due")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert replay.post("/logout", data={"csrf": csrf}).status_code == 303
    with Session(world.engine) as s:
        assert s.exec(select(WebSession).where(WebSession.token_hash == digest(token))).all() == []
    actions = [(actor, action) for actor, action, _p in world.audit_since(since)]
    assert ("web:bolat", "login.ok") in actions
    assert [a for _actor, a in actions].count("logout") == 1


def test_login_and_language_redirects_stay_on_site(world: Web):
    c = world.client()
    for nxt, expected in (("/overdue", "/overdue"), ("//evil.example/x", "/"),
                          ("https://evil.example/", "/")):
        r = c.get(f"/lang/ru?next={nxt}")
        assert r.status_code == 303
        assert r.headers["location"] == expected, nxt
    r = world.post_login(c, "nurlan", next_="//evil.example/")
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    r = world.post_login(world.client(), "nurlan", next_="/programmes")
    assert r.headers["location"] == "/programmes"
    assert c.get("/lang/xx").status_code == 422


# -- a case about a person ---------------------------------------------------------------------------


def test_a_case_about_a_person_hides_the_person_and_audits_every_view(web_person: Web):
    """Only the officers of the case's organisation and admins see the person a case is about;
    the managers above see the stages with the person hidden; every view, shown or hidden, is
    audited (view.person_case); outside the subtree it is 404 as if it did not exist, and no
    view is logged."""
    w = web_person
    cid = w.analyses["person"]
    person = "Arman Aliyev"
    seen = {"asel": True, "erlan": True, "nurlan": False}
    for login in (*seen, "marat", "aigerim", "gulnar"):  # signed in before the counting
        w.browser(login), w.api(login)
    for login, shown in seen.items():
        since = w.last_audit()
        page = w.browser(login).get(f"/cases/{cid}")
        assert page.status_code == 200, login
        assert (person in page.text) is shown, login
        if not shown:
            assert en("web.person_hidden") in page.text
        got = w.api(login).get(f"/api/v1/cases/{cid}").json()
        assert got["process"] == "conflict_of_interest"
        assert got["person"] == ({"name": person, "position": "Specialist"} if shown else None)
        assert [(actor, action, p) for actor, action, p in w.audit_since(since)] == [
            (f"web:{login}", "view.person_case", {"person_shown": shown})] * 2, login
        # the lists name no person, to anyone
        for url in ("/cases", "/cases?process=conflict_of_interest",
                    "/overdue?process=conflict_of_interest",
                    "/due?process=conflict_of_interest&within=250"):
            r = w.browser(login).get(url)
            assert r.status_code == 200 and person not in r.text, (login, url)
        assert f'href="/cases/{cid}"' in w.browser(login).get("/cases").text
        r = w.api(login).get("/api/v1/cases?process=conflict_of_interest&limit=500")
        assert cid in {c["id"] for c in r.json()["items"]} and person not in r.text
    # outside: the same 404 as a case that does not exist, and no view is logged
    for login in ("marat", "aigerim", "gulnar"):
        since = w.last_audit()
        same_404(w.browser(login).get(f"/cases/{cid}"),
                 w.browser(login).get(f"/cases/{MISSING}"), str(cid), str(MISSING))
        same_404(w.api(login).get(f"/api/v1/cases/{cid}"),
                 w.api(login).get(f"/api/v1/cases/{MISSING}"), str(cid), str(MISSING))
        assert "view.person_case" not in [a for _x, a, _p in w.audit_since(since)], login
    # a refused write to it is audited and stores nothing, and names no person
    before = w.dump()
    r = w.api("nurlan").post(f"/api/v1/cases/{cid}/events",
                             json={"event": "forwarded", "date": TODAY.isoformat()})
    assert r.status_code == 409 and r.json()["error"] == "rule.cannot_record"
    assert person not in r.text
    assert w.dump() == before
    # the control: an internal analysis names no person, and its views are not such views
    since = w.last_audit()
    assert w.browser("nurlan").get(f"/cases/{w.analyses['edu']}").status_code == 200
    assert "person" not in w.api("nurlan").get(f"/api/v1/cases/{w.analyses['edu']}").json()
    assert "view.person_case" not in [a for _x, a, _p in w.audit_since(since)]


@pytest.fixture(name="web_person")
def web_person_fixture(web: Web, tmp_path) -> Web:
    """The demo with a case about a person (the shipped conflict-of-interest notice,
    workflow/definitions/procedures/) in the akimat's education department."""
    from sqlmodel import Session as DbSession

    from tests.support.web_helpers import CALENDAR, _settings
    from web.app import create_app
    from workflow import services as svc
    from workflow.definitions import load_registry

    registry = load_registry()
    ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
    with DbSession(web.engine) as s:
        case = svc.open_case(s, ctx, "conflict_of_interest", "AK-ALM-EDU", person="Arman Aliyev",
                             position="Specialist", dates={"notified": wd(-5)})
        s.commit()
        cid = case.id
    app = create_app(_settings(tmp_path, str(web.engine.url)), web.engine, CALENDAR, registry)
    return Web(web.engine, app, {**web.analyses, "person": cid}, web.programmes, cache=True)

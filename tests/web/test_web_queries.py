"""What a request costs the database: the reader (browser session or API token, her account and
her organisation) is read in one SELECT per request, also on a refused request, whose audit
record and error page share that one look-up; a page's SELECTs stay within a bound, and what
every page has around its own content (the reader, the menu's counts, the bell) at most
CHROME statements, the bell one (none while the data's version stays: web/kit/views.py `kept`),
its count the notification centre's.

Counted with a SQLAlchemy event on the application's engine (every statement sent), on both
backends."""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from tests.support.features import needs
from tests.support.sql_trace import statements as sql_statements
from tests.support.web_helpers import Web, en

# the tables a reader's look-up reads (web_session or api_token, app_user, organisation)
SESSION_READ = re.compile(r"\bFROM web_session\b", re.IGNORECASE)
TOKEN_READ = re.compile(r"\bapi_token\b", re.IGNORECASE)
USER_READ = re.compile(r"\bFROM app_user\b", re.IGNORECASE)
USER_ANY = re.compile(r"\bapp_user\b", re.IGNORECASE)
SELECT = re.compile(r"^\s*SELECT\b", re.IGNORECASE)


def statements(world: Web):
    """The SQL statements the application sends while the block runs."""
    return sql_statements(world.engine)


# What a page has around its own content: the reader's look-up (the `page` dependency) and
# what `render` adds to every page (the menu's counts, the bell): the statements sent while
# one of these functions runs.
CHROME_CALLERS = {("web/kit/page.py", "page"), ("web/kit/page.py", "render")}
CHROME = 8  # statements at most around a page's own content
BELL_READ = re.compile(r"\bFROM reminder_preference\b", re.IGNORECASE)
BELL = re.compile(r'data-testid="nav-notices-count">(\d+)<')
VERSIONS_READ = re.compile(r"\bFROM list_version\b", re.IGNORECASE)
AUDIT_HEAD = re.compile(r"\bFROM audit_log\b.*ORDER BY audit_log.id DESC", re.IGNORECASE | re.DOTALL)


@contextlib.contextmanager
def statements_by_part(world: Web) -> Iterator[list[tuple[bool, str]]]:
    """(around the content, statement) of each SQL statement the application sends while the
    block runs; "around the content" when one of CHROME_CALLERS sent it."""
    sent: list[tuple[bool, str]] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        frames = {(f.filename.replace("\\", "/"), f.name) for f in traceback.extract_stack()}
        chrome = any(name == fn and path.endswith(file) for path, name in frames
                     for file, fn in CHROME_CALLERS)
        sent.append((chrome, statement))

    event.listen(world.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(world.engine, "before_cursor_execute", record)


def reads(sent: list[str], pattern: re.Pattern[str]) -> int:
    return sum(1 for st in sent if SELECT.match(st) and pattern.search(st))


def test_a_page_reads_its_reader_once(world: Web):
    b = world.browser("aigerim")
    b.get("/overdue")  # (anything a first request does once)
    with statements(world) as sent:
        r = b.get("/overdue")
    assert r.status_code == 200
    assert 'data-testid="current-user"' in r.text and 'data-testid="nav-overdue"' in r.text
    # the session, her account and her organisation: one SELECT (was three)
    assert reads(sent, SESSION_READ) == 1, sent
    assert reads(sent, USER_READ) == 0, sent
    # the reader, the page's counts by organisation and its rows, the organisations' version
    # (the filter's cache), the menu's own-work count and the bell: a bound, not an exact figure
    selects = [st for st in sent if SELECT.match(st)]
    assert len(selects) <= 8, "\n".join(selects)


PAGES = ["/overdue", "/work", "/score", "case"]


@needs("planning")
@needs("notices")  # the notification centre and its bell
@pytest.mark.parametrize("login", ["asel", "nurlan"])  # an officer, a manager of her tree
def test_what_is_around_a_pages_content_costs_a_few_statements(world: Web, login: str):
    """Each page's reader, menu counts and bell: at most CHROME statements (the bell one),
    whatever the page's own content reads; the bell counts the notification centre's
    unread items."""
    b = world.browser(login)
    centre = world.api(login).get("/api/v1/notifications", params={"limit": 500})
    assert centre.status_code == 200
    unread = centre.json()["unread"]
    listed = sum(1 for i in centre.json()["items"] if i["unread"])
    assert unread == listed > 0, "the demo gives both something unread"
    # the centre's own page shows as many unread rows
    page = b.get("/notifications")
    assert BELL.findall(page.text) == [str(unread)]
    for path in PAGES:
        url = f"/analyses/{world.analyses['edu']}" if path == "case" else path
        b.get(url)  # (anything a first request does once)
        with statements_by_part(world) as sent:
            r = b.get(url)
        assert r.status_code == 200, (login, url)
        chrome = [st for around, st in sent if around]
        assert len(chrome) <= CHROME, (url, "\n".join(chrome))
        # the bell was read by the first request; nothing changed since: kept, not read again
        assert reads([st for _a, st in sent], BELL_READ) == 0, (url, sent)
        assert sum(1 for st in chrome if SESSION_READ.search(st)) == 1, (url, chrome)
        # the page's own content is the rest, read outside the menu (or kept as the bell is:
        # the data's version is read, the versions of her lists with her session)
        assert any(not around for around, _st in sent) or any(
            AUDIT_HEAD.search(st) or (SESSION_READ.search(st) and VERSIONS_READ.search(st))
            for _a, st in sent), url
        assert BELL.findall(r.text) == [str(unread)], url
    # a write moves the data's version: the next page reads the bell once, and shows the change
    marked = world.api(login).post("/api/v1/notifications/read", json={})
    assert marked.status_code == 200 and marked.json()["marked"] == unread
    with statements_by_part(world) as sent:
        r = b.get("/overdue")
    assert reads([st for _a, st in sent], BELL_READ) == 1, sent
    assert BELL.findall(r.text) == ["0"] or 'data-testid="nav-notices-count"' not in r.text


def test_a_refusal_reads_its_reader_once(world: Web):
    """A case that is not there: refused (404), audited with who asked, answered by the error page with
    her menu -- the reader read once for all three (was three times, two SELECTs each)."""
    b = world.browser("aigerim")
    since = world.last_audit()
    with statements(world) as sent:
        r = b.get("/analyses/999999")
    assert r.status_code == 404
    assert en("web.error_heading_404") in r.text
    # her menu and her session's CSRF token on the error page, as on any page
    assert 'data-testid="current-user"' in r.text and 'data-testid="nav-overdue"' in r.text
    assert f'name="csrf" value="{world.csrf(b)}"' in r.text
    refused = [(actor, act) for actor, act, _p in world.audit_since(since)]
    assert refused == [("web:aigerim", "refused")]
    # the route's, then the audit's, which the error page uses (was three, six SELECTs)
    assert reads(sent, SESSION_READ) == 2, sent
    assert reads(sent, USER_READ) == 0, sent


def test_an_api_call_reads_its_token_once(world: Web):
    api = world.api("dana")
    api.get("/api/v1/cases")
    with statements(world) as sent:
        r = api.get("/api/v1/cases")
    assert r.status_code == 200
    # the token, its user and her organisation: one SELECT (was three)
    assert reads(sent, TOKEN_READ) == 1, sent
    users = [st for st in sent if SELECT.match(st) and USER_ANY.search(st)]
    assert len(users) == 1 and TOKEN_READ.search(users[0]), sent

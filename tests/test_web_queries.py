"""What a request costs the database: the reader (browser session or API token, her account and
her organisation) is read in one SELECT per request, also on a refused request, whose audit
record and error page share that one look-up; a page's SELECTs stay within a bound.

Counted with a SQLAlchemy event on the application's engine (every statement sent), on both
backends."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from sqlalchemy import event

from tests.web_helpers import Web, en, world_fixture  # noqa: F401

# the tables a reader's look-up reads (web_session or api_token, app_user, organisation)
SESSION_READ = re.compile(r"\bFROM web_session\b", re.IGNORECASE)
TOKEN_READ = re.compile(r"\bapi_token\b", re.IGNORECASE)
USER_READ = re.compile(r"\bFROM app_user\b", re.IGNORECASE)
USER_ANY = re.compile(r"\bapp_user\b", re.IGNORECASE)
SELECT = re.compile(r"^\s*SELECT\b", re.IGNORECASE)


@contextlib.contextmanager
def statements(world: Web) -> Iterator[list[str]]:
    """The SQL statements the application sends while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        sent.append(statement)

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
    # the page's rows, its counts by organisation, the menu's two counts and the bell: a bound,
    # not an exact figure (17 when this was written; 19 before the reader's look-up was one)
    selects = [st for st in sent if SELECT.match(st)]
    assert len(selects) <= 17, "\n".join(selects)


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

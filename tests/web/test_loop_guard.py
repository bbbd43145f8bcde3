"""Nothing that touches the database runs on the event loop (web/kit/loop_guard.py): a
statement sent from the loop's thread is caught, and the refusals a signed-in reader meets --
whose handlers write an audit record and read her menu -- send none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from web.kit import loop_guard


def test_a_statement_on_the_event_loop_is_caught(web):
    """An `async def` route that asks the database on the loop: refused (the suite's
    `MERZIM_LOOP_GUARD=raise`) and named -- the check can fail."""
    engine = web.engine

    @web.app.get("/test-only/on-the-loop")
    async def on_the_loop():
        with Session(engine) as s:
            return {"one": s.execute(text("SELECT 1")).scalar()}

    @web.app.get("/test-only/in-a-thread")
    def in_a_thread():
        with Session(engine) as s:
            return {"one": s.execute(text("SELECT 1")).scalar()}

    c = TestClient(web.app, raise_server_exceptions=False)
    assert c.get("/test-only/in-a-thread").json() == {"one": 1}
    assert loop_guard.found() == []
    r = c.get("/test-only/on-the-loop")
    assert r.status_code == 500
    seen = loop_guard.found()  # (taken here: the suite's own check would fail this test)
    assert len(seen) == 1 and "SELECT 1" in seen[0] and "on_the_loop" in seen[0]


@pytest.mark.parametrize("ask", [
    ("GET", "/cases/987654321", None, 404),  # an unknown case: the page with her menu
    ("GET", "/no/such/page", None, 404),  # an unknown address
    ("GET", "/overdue?as_of=1900-01-01", None, 422),  # a day outside the calendar
    ("GET", "/overdue?year=99999999999999999999", None, 422),  # a number no column holds
    ("POST", "/cases/1/comments", {"text": "no CSRF token"}, 409),  # the route's refusal
])
def test_a_signed_in_readers_refusals_send_nothing_from_the_loop(web, ask):
    method, path, form, code = ask
    c = web.browser("nurlan")
    r = c.request(method, path, data=form, headers={"Accept": "text/html"})
    assert r.status_code == code, r.text[:300]
    assert loop_guard.found() == []
    assert "Traceback" not in r.text and "merzim" in r.text  # the error page, in the layout

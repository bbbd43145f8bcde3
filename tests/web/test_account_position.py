"""Her position on her account page: saved as the documents print it beside her name, emptied,
refused when too long (the reason in her language, nothing stored); the command line's
`merzim user set --position` changes it the same way."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from tests.support.web_helpers import (
    Web,
    csrf_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.storage.models import User


def _position(web: Web, login: str) -> str | None:
    with Session(web.engine) as s:
        return s.exec(select(User).where(User.login == login)).one().position


def test_her_position_is_saved_emptied_and_a_long_one_refused(web: Web, merzim_db):
    b = web.browser("asel")
    b.cookies.set("merzim_lang", "ru")
    page = b.get("/account")
    assert 'data-testid="account-position"' in page.text
    csrf = csrf_of(page.text)
    before = web.dump()
    r = b.post("/account/position", data={"csrf": csrf, "position": "x" * 301})
    assert r.status_code == 422 and "Должность" in r.text and "300" in r.text
    assert web.dump() == before and _position(web, "asel") is None
    r = b.post("/account/position", data={"csrf": csrf, "position": "  Главный специалист "})
    assert r.status_code == 200 and 'data-testid="account-done"' in r.text
    assert _position(web, "asel") == "Главный специалист"
    assert 'value="Главный специалист"' in b.get("/account").text
    r = merzim_db("user", "set", "asel", "--position", "", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["position"] is None and _position(web, "asel") is None

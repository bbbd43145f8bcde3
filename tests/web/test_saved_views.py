"""Saved views: a user keeps a filtered list (overdue, due soon, cases, a register) under a
name; it is in her menu with the count the list itself shows; she renames and deletes it. A
manager shares a view with the users of his subtree: each counts it with her own access, and
one outside his subtree never sees it. Bad input (an empty or too long name, another site's
address, a name she already uses, an officer sharing) is refused in words, nothing stored.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

from sqlmodel import Session, select

from tests.support.cli_runner import Merzim, ok_json
from tests.support.features import needs
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
    en,
    web_fixture,  # noqa: F401 - the `web` fixture
    without_audit,
)
from workflow.services import saved_views
from workflow.storage.models import SavedView

MENU_VIEW = re.compile(r'data-testid="nav-view" data-view="(\d+)">([^<]*) <span class="count" '
                       r'data-testid="nav-view-count">(\d+)<')


def menu(page: str) -> dict[str, int]:
    """The saved views of a page's menu: name -> count."""
    return {html.unescape(name): int(n) for _id, name, n in MENU_VIEW.findall(page)}


def overdue_total(page: str) -> int:
    return int(re.search(r'data-testid="overdue-total">(\d+)<', page).group(1))


def found(page: str) -> int:
    """The count a cases list or a register's page states ("N found")."""
    return int(re.search(r'data-testid="found">\D*(\d+)', page).group(1))


def save(b, name: str, address: str, shared: bool = False):
    csrf = csrf_of(b.get("/overdue").text)
    data = {"csrf": csrf, "name": name, "address": address}
    if shared:
        data["shared"] = "1"
    return b.post("/views", data=data)


@needs("planning")
def test_an_officer_saves_a_list_and_finds_it_in_her_menu_with_its_count(web: Web):
    b = web.browser("asel")
    page = b.get("/overdue?year=2025&page=1").text
    assert 'data-testid="save-view-form"' in page
    r = save(b, "Late this year", "/overdue?year=2025&page=1")
    assert r.status_code == 303 and r.headers["location"] == "/overdue?year=2025", r.text
    listed = b.get("/overdue?year=2025").text
    assert menu(listed) == {"Late this year": overdue_total(listed)} and overdue_total(listed)
    assert menu(b.get("/work").text) == {"Late this year": overdue_total(listed)}
    with Session(web.engine) as s:
        view = s.exec(select(SavedView)).one()
    assert (view.path, view.query, view.shared) == ("/overdue", "year=2025", False)
    actions = [a for _actor, a, _p in web.audit_since(0)]
    assert saved_views.SAVED in actions
    # the due list and the cases list, each counted as the list counts it (a register's
    # page: tests/browser/test_browser_views.py, where the registers are loaded)
    assert save(b, "Due in a month", "/due?within=20").status_code == 303
    assert save(b, "Education cases", "/cases?org=AK-ALM-EDU").status_code == 303
    counts = menu(b.get("/work").text)
    due = b.get("/due?within=20").text
    assert counts["Due in a month"] == len(re.findall(r"<tr[^>]*data-stage=", due))
    assert counts["Education cases"] == found(b.get("/cases?org=AK-ALM-EDU").text)
    # the cases list with its remembered filters (a bare /cases): saved as it shows them
    b.get("/cases?org=AK-ALM-EDU")
    remembered = b.get("/cases").text
    assert 'name="address" value="/cases?org=AK-ALM-EDU"' in remembered
    # the views page: renamed, then deleted; the menu follows
    views_page = b.get("/views").text
    assert "Late this year" in views_page and 'data-testid="own-views"' in views_page
    csrf = csrf_of(views_page)
    view_id = view.id
    assert b.post(f"/views/{view_id}/rename",
                  data={"csrf": csrf, "name": "Overdue 2025"}).status_code == 303
    assert "Overdue 2025" in menu(b.get("/work").text)
    assert b.post(f"/views/{view_id}/delete", data={"csrf": csrf}).status_code == 303
    assert "Overdue 2025" not in menu(b.get("/work").text)
    assert {a for _actor, a, _p in web.audit_since(0)} >= {
        saved_views.SAVED, saved_views.RENAMED, saved_views.DELETED}


def test_bad_names_and_addresses_are_refused_in_words_and_nothing_is_stored(web: Web):
    b = web.browser("asel")
    assert save(b, "Mine", "/overdue").status_code == 303
    other = web.browser("marat")  # (signed in first: a sign-in is stored)
    csrf = web.csrf(other)
    before = without_audit(web.engine)
    refusals = [
        ("", "/overdue", en("views.error_name_empty")),
        ("   ", "/overdue", en("views.error_name_empty")),
        ("Other", "https://evil.example/overdue", en("views.error_address")),
        ("Other", "//evil.example/overdue", en("views.error_address")),
        ("Other", "/account", en("views.error_address")),
        ("Other", "/registers/no_such_register", en("views.error_address")),
        ("Other", "javascript:alert(1)", en("views.error_address")),
        ("mine", "/due", en("views.error_name_taken", name="mine")),
    ]
    for name, address, message in refusals:
        r = save(b, name, address)
        assert r.status_code in (409, 422), (name, address, r.status_code)
        assert "Traceback" not in r.text
        if message:
            assert html.escape(message, quote=False) in r.text or message in html.unescape(
                r.text), (name, address)
    long = save(b, "x" * 81, "/overdue")
    assert "80" in html.unescape(long.text) and "81" in html.unescape(long.text)
    # an officer shares nothing; another's view is not hers to rename or delete
    assert save(b, "Shared", "/overdue", shared=True).status_code == 409
    with Session(web.engine) as s:
        view_id = s.exec(select(SavedView.id)).one()
    assert other.post(f"/views/{view_id}/delete", data={"csrf": csrf}).status_code == 404
    assert other.post(f"/views/{view_id}/rename",
                      data={"csrf": csrf, "name": "Stolen"}).status_code == 404
    assert without_audit(web.engine) == before


@needs("planning")
def test_a_shared_view_is_counted_with_each_readers_access(web: Web):
    manager = web.browser("nurlan")  # the akimat's manager (AK-ALM)
    assert save(manager, "Akimat overdue", "/overdue", shared=True).status_code == 303
    assert save(manager, "Health only", "/overdue?org=AK-ALM-HLTH", shared=True
                ).status_code == 303
    his = menu(manager.get("/work").text)
    asel = web.browser("asel")  # an officer of the education department, below him
    hers = asel.get("/overdue").text
    assert menu(hers) == {"Akimat overdue": overdue_total(hers)}  # her own access
    assert his["Akimat overdue"] > overdue_total(hers) > 0
    page = asel.get("/views").text
    assert 'data-testid="shared-views"' in page and "Nurlan Iskakov" in page
    assert "Health only" in page and html.escape(en("views.not_available")) in page
    # the health department's officer counts the health view with his access
    marat = web.browser("marat")
    assert menu(marat.get("/work").text)["Health only"] == overdue_total(
        marat.get("/overdue").text)
    # an officer outside the akimat sees neither
    outside = web.browser("aigerim")
    assert menu(outside.get("/work").text) == {}
    assert "Akimat overdue" not in outside.get("/views").text
    # sharing stopped: gone from her menu
    with Session(web.engine) as s:
        view_id = s.exec(select(SavedView.id).where(SavedView.name == "Akimat overdue")).one()
    assert manager.post(f"/views/{view_id}/share",
                        data={"csrf": web.csrf(manager), "shared": ""}).status_code == 303
    assert menu(asel.get("/work").text) == {}


def test_the_api_lists_saves_and_deletes_views(web: Web):
    api = web.api("asel")
    marat = web.api("marat")  # (his token made first: a token is stored)
    made = api.post("/api/v1/views", json={"name": "Late", "address": "/overdue?year=2025"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["name"], body["address"], body["own"], body["shared"]) == (
        "Late", "/overdue?year=2025", True, False)
    assert isinstance(body["count"], int)
    assert [v["name"] for v in api.get("/api/v1/views").json()] == ["Late"]
    before = without_audit(web.engine)
    for bad in ({"name": "late", "address": "/due"}, {"name": "X", "address": "http://x/"}):
        r = api.post("/api/v1/views", json=bad)
        assert r.status_code in (409, 422), r.text
    assert marat.delete(f"/api/v1/views/{body['id']}").status_code == 404
    assert without_audit(web.engine) == before
    gone = api.delete(f"/api/v1/views/{body['id']}")
    assert gone.status_code == 200 and gone.json() == {"deleted": body["id"]}
    assert api.get("/api/v1/views").json() == []


def test_the_command_line_lists_saves_and_deletes_a_users_views(web: Web, db_url, tmp_path):
    cli = Merzim(tmp_path, db_url=db_url, today=TODAY)
    made = ok_json(cli("view", "save", "Late", "/overdue?year=2025", "--as", "nurlan",
                       "--shared", "--json"))
    assert made["name"] == "Late"
    listed = ok_json(cli("view", "list", "--as", "asel", "--json"))
    assert [(v["name"], v["own"], v["owner"]) for v in listed] == [("Late", False, "nurlan")]
    before = without_audit(web.engine)
    refused = cli("view", "save", "Mine", "https://evil.example/", "--as", "asel", lang="ru")
    assert refused.returncode == 2 and "только список merzim" in refused.stderr + refused.stdout
    assert cli("view", "save", "Shared", "/due", "--as", "asel", "--shared").returncode == 3
    assert cli("view", "delete", str(made["id"]), "--as", "asel").returncode == 4
    assert without_audit(web.engine) == before
    assert cli("view", "delete", str(made["id"]), "--as", "nurlan").returncode == 0
    assert ok_json(cli("view", "list", "--as", "nurlan", "--json")) == []

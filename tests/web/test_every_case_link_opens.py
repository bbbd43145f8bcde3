"""Every list shows only what its reader may open: as each user of the demo (`merzim init
--demo`, the "cli-demo" template, on SQLite and PostgreSQL), crawl the pages reachable by links
from the start page and open every case link found on them -- each must answer 200 for that
reader (a link to a case she may not see would answer 404: the rule of who sees a case is one,
workflow/services/visibility.py, and the lists ask it as the case page does).

Besides the demo's users, an officer of the subdivision the demo's fourth analysis is about
(AK-ALM-ILE-EDU, analysed by AK-ALM-ILE above it): her organisation's scorecard counts that
analysis, which is AK-ALM-ILE's case -- not hers to open, so not linked for her. The four cases
about a person of tests/support/person_helpers.py (a whistleblower's among them) are there too.

Bounded: each distinct path is visited once (its first query string), at most MAX_PAGES pages a
user; exports, downloads, feeds and anything but a page are not followed; case links are
opened once each.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.support.cli_demo_helpers import DEMO_DAY, demo_loaded
from tests.support.databases import BACKENDS, database_from_template
from tests.support.person_helpers import add_person_cases
from tests.support.web_helpers import CALENDAR, Web, _settings, csrf_of, password_of
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.services import accounts as auth
from workflow.services.demo import USERS
from workflow.storage.db import make_engine

pytestmark = pytest.mark.slow  # every page of every demo user

MAX_PAGES = 120  # distinct paths a user's crawl visits at most
HREF = re.compile(r'href="(/[^"#]*)(?:#[^"]*)?"')
CASE = re.compile(r"^/cases/(\d+)$")
# not pages, or not to be followed by a crawler: files, exports, feeds, signing out, the API
SKIP = re.compile(r"(^/static/|^/api|^/logout|^/login|\.(xlsx|csv|ics|pdf|docx|zip|json|svg)"
                  r"(\?|$)|/files/|/download|/feeds?/|^/calendar/)")
EXTRA = ("ilyas", "Ilyas Omarov", "officer", "AK-ALM-ILE-EDU")
LOGINS = [u[0] for u in USERS] + [EXTRA[0]]


@pytest.fixture(name="demo_web", scope="module", params=BACKENDS)
def demo_web_fixture(request, tmp_path_factory) -> Iterator[Web]:
    """The web application over a copy of what `merzim init --demo` stores on DEMO_DAY, every
    shipped definition loaded, each demo user with a web password."""
    tmp_dir: Path = tmp_path_factory.mktemp("every-link")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", DEMO_DAY)
        with database_from_template(request.param, tmp_dir, recipe=demo_loaded,
                                    recipe_name="cli-demo") as (url, _printed):
            engine = make_engine(url)
            try:
                add_person_cases(engine)
                with Session(engine) as s:
                    ctx = svc.Context(CALENDAR, load_registry(), date.fromisoformat(DEMO_DAY),
                                      actor="test-setup", language="en")
                    svc.add_user(s, ctx, *EXTRA, f"{EXTRA[0]}@example.kz", "en")
                    for login in LOGINS:
                        auth.set_password(s, svc.get_user(s, login), password_of(login),
                                          "test-setup")
                    s.commit()
                app = create_app(_settings(tmp_dir, url), engine, CALENDAR, load_registry())
                yield Web(engine, app, {}, {}, _passwords=set(LOGINS))
            finally:
                engine.dispose()


def signed_in(web: Web, login: str) -> TestClient:
    c = web.client()
    form = c.get("/login")
    r = c.post("/login", data={"login": login, "password": password_of(login),
                               "csrf": csrf_of(form.text), "next": "/"})
    assert r.status_code == 303, r.text[:500]
    return c


def crawl(c: TestClient) -> tuple[dict[str, str], set[str], list[str]]:
    """(case path -> the page that linked it, the paths visited, pages that failed)."""
    queue, seen, cases, failed = ["/"], set(), {}, []
    visited: set[str] = set()
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        path = url.split("?", 1)[0]
        if path in visited:
            continue
        visited.add(path)
        r = c.get(url)
        hops = 0
        while r.status_code in (302, 303, 307) and hops < 3:
            target = r.headers["location"]
            if not target.startswith("/") or SKIP.search(target):
                break
            r, hops = c.get(target), hops + 1
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            if r.status_code >= 500:
                failed.append(f"{url}: {r.status_code}")
            continue
        for raw in HREF.findall(r.text):
            link = html.unescape(raw)
            bare = link.split("?", 1)[0]
            if CASE.match(bare):
                cases.setdefault(bare, url)
                continue
            if SKIP.search(link) or bare in visited or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    return cases, visited, failed


@pytest.mark.parametrize("login", LOGINS)
def test_every_case_link_a_demo_user_finds_opens_for_her(demo_web: Web, login: str):
    c = signed_in(demo_web, login)
    cases, visited, failed = crawl(c)
    assert failed == [], failed
    assert len(visited) > 5, visited  # the crawl went somewhere
    refused = {}
    for path, found_on in sorted(cases.items()):
        r = c.get(path)
        if r.status_code != 200:
            refused[path] = (r.status_code, found_on)
    assert refused == {}, f"{login}: case links that do not open: {refused}"

"""Fixtures and helpers for the web tests: the real application on the test database.

A test module imports the fixture functions (``from tests.support.web_helpers import web_fixture,
world_fixture  # noqa: F401``); pytest registers them under their names ``web`` and ``world``.

* ``web`` — function scope, on conftest's ``db`` engine (SQLite and PostgreSQL): a fresh
  database with the demo loaded for ``TODAY`` (MERZIM_TODAY is pinned so pages use that day),
  for tests that change something.
* ``world`` — module scope, one database per backend, for tests that only read (or are
  refused); logged-in browsers and API tokens are cached, because argon2 is deliberately slow.

Nothing of merzim is mocked: requests go through fastapi.testclient.TestClient into
web.app.create_app over a real database.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from starlette.routing import Mount

from calendars import KazakhstanCalendar
from tests.support.databases import (
    BACKENDS,
    DERIVED,
    database_from_template,
    dump_tables,
)
from tests.support.databases import _reflected as reflected_tables
from tests.support.features import installed, module_of
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_definition
from workflow.i18n import Translator
from workflow.services import accounts as auth
from workflow.services.demo import ORGS, load_demo
from workflow.settings import load_settings
from workflow.storage.db import make_engine, upgrade
from workflow.storage.models import AuditRecord, Organisation, Programme, Stage, User

TODAY = date(2025, 11, 19)  # a Wednesday, a working day
CALENDAR = KazakhstanCalendar()
DEFINITION = load_definition()
EN = Translator("en")

# The two trees of the demo: the ministry's and the akimat's.
MF_CODES = frozenset(c for c, *_rest in ORGS if c.startswith("MF"))
AK_CODES = frozenset(c for c, *_rest in ORGS if not c.startswith("MF"))
MF_NAMES = tuple(n for c, _k, _p, en, ru, kk in ORGS if c in MF_CODES for n in (en, ru, kk))

CSRF_INPUT = re.compile(r'name="csrf" value="([^"]*)"')
REFUSAL = re.compile(r'data-testid="refusal">([^<]*)<')
ERROR_P = re.compile(r'<p class="error" role="alert">([^<]*)</p>')


def password_of(login: str) -> str:
    return f"{login}-correct-horse-42"


def wd(n: int) -> date:
    """The working day n working days from TODAY (as the demo counts)."""
    return CALENDAR.add_working_days(TODAY, n)


def en(key: str, **params: Any) -> str:
    """A message of the English catalogue, as the application renders it."""
    return EN(key, **params)


def matched(pattern: re.Pattern[str], page: str, shown: int = 2000) -> re.Match[str]:
    """`pattern`'s first match in `page`, which must match (else the failure shows the page's
    first `shown` characters)."""
    found = pattern.search(page)
    assert found, page[:shown]
    return found


def csrf_of(page: str) -> str:
    found = CSRF_INPUT.search(page)
    assert found, "no hidden csrf input on the page"
    return found.group(1)


def confirm_fields(page: str, **chosen: str) -> dict[str, str]:
    """The fields an import's preview page sends with its confirm (the csrf, the carried rows,
    each row's chosen role, the "existing" flag), with `chosen` over them."""
    form = page[page.index('/confirm"'):]
    fields = {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}
    for chooser in re.finditer(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        picked = re.search(r'<option value="([^"]+)" selected>', chooser.group(2))
        if picked:
            fields[chooser.group(1)] = picked.group(1)
    return {**fields, **chosen}


def import_confirmed(client, action: str, data: dict[str, str], files: dict[str, Any],
                     **chosen: str):
    """An import's file previewed at `action` and, when the preview accepts it, confirmed as
    previewed (`chosen`: a field changed on the preview): the confirm's answer, or the
    preview's when it refused the file."""
    preview = client.post(action, data=data, files=files)
    if preview.status_code != 200 or '/confirm"' not in preview.text:
        return preview
    return client.post(f"{action}/confirm", data=confirm_fields(preview.text, **chosen))


def refusal_of(page: str) -> str | None:
    """The refusal message shown on an analysis page (unescaped), if any."""
    found = REFUSAL.search(page) or ERROR_P.search(page)
    return html.unescape(found.group(1)) if found else None


def without_audit(engine, meta: MetaData | None = None) -> dict[str, list[tuple]]:
    """conftest's dump_tables without the audit log (refusals are audited, nothing else may
    change); with `meta` already reflected it skips the reflection and the audit log's rows,
    which makes it several times faster (same rows, same order)."""
    if meta is None:
        tables = dump_tables(engine)
        tables.pop("audit_log", None)
        return tables
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "audit_log" or name in DERIVED:
                continue
            keys = list(table.primary_key.columns) or [c for c in table.c
                                                        if c.type.__class__.__name__ != "JSON"]
            out[name] = [tuple(r) for r in conn.execute(sa_select(table).order_by(*keys))]
    return out


def audit_actions(engine, since: int = 0) -> list[tuple[str, str, dict]]:
    """(actor, action, payload) of the audit records with id > since."""
    import json

    with Session(engine) as s:
        rows = s.exec(select(AuditRecord).where(AuditRecord.id > since).order_by(AuditRecord.id))
        return [(r.actor, r.action, json.loads(r.payload)) for r in rows]


def last_audit_id(engine) -> int:
    with Session(engine) as s:
        last = s.exec(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).first()
        return last.id if last else 0


def populate(engine) -> dict[str, Any]:
    """Load the demo for TODAY, plus one overdue analysis in the ministry's tree.

    The demo's ministry analyses are done or not yet late; the extra one (MF-KGD-ALM, starting
    in five working days, nothing recorded) makes its order and start announcement overdue, so
    that "the akimat's manager sees nothing of the ministry" is not vacuously true.
    """
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    analyses: dict[str, int] = {}
    with Session(engine) as s:
        demo = load_demo(s, ctx)
        if installed("planning"):  # the demo's analyses and the extra one are planned by it
            planning_svc = module_of("planning", "service")
            kgd = planning_svc.plan_analysis(s, ctx, "MF-KGD-ALM", "MF-KGD-ALM", wd(5), None,
                                             None, "aigerim").analysis.id
            analyses = dict(zip(("mf_done", "edu", "hlth", "ile", "kk", "qs", "kgd"),
                                (*demo["analyses"], kgd), strict=True))
        s.commit()
        progs = {}
        for prog, org in s.exec(select(Programme, Organisation)
                                .join(Organisation, Organisation.id == Programme.subject_id)):
            progs[org.code] = prog.id
    return {"analyses": analyses, "programmes": progs}


class Analyses(dict[str, int]):
    """The web world's analyses by name (`populate`). The planning feature plans them: when it
    is not installed there are none, and a test that asks for one is skipped, with the reason."""

    def __missing__(self, key: str) -> int:
        if not installed("planning"):
            pytest.skip("the web world's analyses are planned by the feature 'planning', "
                        "which is not installed")
        raise KeyError(key)


@dataclass
class Web:
    """The application over one database, with helpers to act as the demo's users."""

    engine: Any
    app: Any
    analyses: dict[str, int]
    programmes: dict[str, int]
    cache: bool = False
    # the cached browsers keep one event loop each until `close` (the `world` fixture's, which
    # closes it; a Web built elsewhere keeps none: a loop left running would hang the exit)
    keep_loops: bool = False
    _passwords: set[str] = field(default_factory=set)
    _browsers: dict[str, TestClient] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)
    _meta: MetaData | None = None

    def __post_init__(self) -> None:
        self.analyses = Analyses(self.analyses)

    # -- clients ------------------------------------------------------------------------------

    def client(self, https: bool = False, lang: str | None = "en") -> TestClient:
        """An anonymous browser (no redirects followed), English unless told otherwise."""
        c = TestClient(self.app, base_url="https://testserver" if https else "http://testserver",
                       follow_redirects=False)
        if lang:
            c.cookies.set("merzim_lang", lang)
        return c

    def ensure_password(self, login: str) -> str:
        if login not in self._passwords:
            with Session(self.engine) as s:
                auth.set_password(s, svc.get_user(s, login), password_of(login), "test-setup")
                s.commit()
            self._passwords.add(login)
        return password_of(login)

    def post_login(self, client: TestClient, login: str, password: str | None = None,
                   next_: str = "/"):
        """The browser's login: GET /login (CSRF cookie + hidden field), then POST."""
        if password is None:
            password = self.ensure_password(login)
        form = client.get("/login")
        assert form.status_code == 200
        return client.post("/login", data={"login": login, "password": password,
                                           "csrf": csrf_of(form.text), "next": next_})

    def browser(self, login: str, https: bool = False) -> TestClient:
        """A browser logged in as `login` (cached on the module-scoped world)."""
        if self.cache and login in self._browsers and not https:
            return self._browsers[login]
        c = self.client(https=https)
        r = self.post_login(c, login)
        assert r.status_code == 303, r.text
        if self.cache and not https:
            if self.keep_loops:
                # kept for the module: entered, so that its requests share one event loop in
                # one thread (a client not entered starts a thread and a loop for every
                # request, a few milliseconds each); `close` leaves it (the application has no
                # lifespan to start or stop)
                c.__enter__()
            self._browsers[login] = c
        return c

    def close(self) -> None:
        """Leave the cached browsers' event loops (`keep_loops`: the module's world is done)."""
        browsers, self._browsers = list(self._browsers.values()), {}
        if self.keep_loops:
            for c in browsers:
                c.__exit__(None, None, None)

    def csrf(self, browser: TestClient) -> str:
        """The session's CSRF token, read from a page's hidden field."""
        r = browser.get("/account")
        assert r.status_code == 200
        return csrf_of(r.text)

    def token(self, login: str, name: str = "tests") -> str:
        if self.cache and login in self._tokens:
            return self._tokens[login]
        self.ensure_password(login)  # first: a new password revokes the user's tokens
        with Session(self.engine) as s:
            tok = auth.create_api_token(s, svc.get_user(s, login), name)
            s.commit()
        if self.cache:
            self._tokens[login] = tok
        return tok

    def api(self, login: str | None) -> TestClient:
        """An API client with the user's personal token (None: anonymous)."""
        c = TestClient(self.app, follow_redirects=False)
        if login:
            c.headers["Authorization"] = f"Bearer {self.token(login)}"
        return c

    # -- the database ----------------------------------------------------------------------

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table but the audit log."""
        if self._meta is None:
            # reflected once per schema and process (tests.support.databases._reflected), not once per test
            self._meta = reflected_tables(self.engine)
            assert without_audit(self.engine) == without_audit(self.engine, self._meta)
        return without_audit(self.engine, self._meta)

    def audit_since(self, since: int) -> list[tuple[str, str, dict]]:
        return audit_actions(self.engine, since)

    def last_audit(self) -> int:
        return last_audit_id(self.engine)

    def stage(self, analysis: int, key: str) -> Stage:
        with Session(self.engine) as s:
            return s.exec(select(Stage).where(Stage.case_id == analysis,
                                              Stage.key == key)).one()

    def user(self, login: str) -> User:
        with Session(self.engine) as s:
            return svc.get_user(s, login)

    def open_stages(self, codes: frozenset[str] | set[str],
                    responsible: str | None = None) -> dict[str, date]:
        """UID -> due date of every open stage with a due date of analyses of these subjects
        (read straight from the database, as the calendar feeds should show them)."""
        from workflow.storage.models import Case

        with Session(self.engine) as s:
            owner = svc.get_user(s, responsible).id if responsible else None
            rows = s.exec(select(Stage, Organisation, Case)
                          .join(Case, Case.id == Stage.case_id)
                          .join(Organisation, Organisation.id == Stage.subject_id)
                          .where(Stage.status == "open", Stage.due_date.is_not(None)))
            return {f"stage-{st.id}@merzim": st.due_date for st, org, an in rows
                    if org.code in codes and (owner is None or an.responsible_id == owner)}


def _settings(tmp_dir: Path, url: str, warm: bool = False):
    """The defaults, but for the roots' figures worked out when serving starts (a client
    entered starts the application's lifespan): a test's requests and statements are its own
    unless `warm` (tests/scorecard/test_warm_at_start.py)."""
    config = tmp_dir / "merzim-web-test.toml"
    config.write_text("" if warm or not installed("scorecard") else
                      "[scorecard]\nwarm_at_start = false\n", encoding="utf-8")
    return load_settings(config, env={"MERZIM_LANG": "en", "MERZIM_DATABASE_URL": url})


def migrated_demo(engine) -> dict[str, Any]:
    """The `web` fixture's database: migrated, then `populate`d, with every demo user's web
    password set (built once per test process as a template, copied for each test:
    tests.support.databases.database_from_template). Setting a password costs one full argon2 hash (~0.2 s):
    set here once, not again in every test that signs in."""
    upgrade(engine)
    ids = populate(engine)
    with Session(engine) as s:
        users = s.exec(select(User).order_by(User.id)).all()
        for user in users:
            auth.set_password(s, user, password_of(user.login), "test-setup")
        s.commit()
        ids["passwords"] = [u.login for u in users]
    return ids


def build(engine, tmp_dir: Path, cache: bool = False, ids: dict[str, Any] | None = None) -> Web:
    """The application over `engine`; `ids`: what `populate` returned when it loaded the demo
    there (None: load it now)."""
    if ids is None:
        ids = populate(engine)
    app = create_app(_settings(tmp_dir, str(engine.url)), engine, CALENDAR, DEFINITION)
    return Web(engine, app, ids["analyses"], ids["programmes"], cache=cache,
               _passwords=set(ids.get("passwords", ())))


@pytest.fixture(name="web")
def web_fixture(db, db_built, tmp_path, monkeypatch) -> Web:
    """The application on a fresh database (both backends) with the demo for TODAY: a copy of
    this test process's demo database (conftest's db_url builds it with `migrated_demo`)."""
    monkeypatch.setenv("MERZIM_TODAY", TODAY.isoformat())
    return build(db, tmp_path, ids=db_built[1])


@contextlib.contextmanager
def demo_database(kind: str, tmp_dir: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(engine, what `populate` returned): a copy of this test process's demo database."""
    with database_from_template(kind, tmp_dir, "merzim-web.db", recipe=migrated_demo,
                                recipe_name="web-demo") as (url, ids):
        eng = make_engine(url)
        try:
            yield eng, ids
        finally:
            eng.dispose()


@contextlib.contextmanager
def synced_demo(kind: str, tmp_dir: Path, prepare=None, cache: bool = False) -> Iterator[Web]:
    """A copy of the demo database on TODAY with every shipped definition, its obligations
    opened as the demo's sync opens them (the current and the next period), then
    `prepare(session, ctx)` if given, committed: its web application."""
    from workflow.definitions import load_registry
    from workflow.services import obligations

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", TODAY.isoformat())
        with demo_database(kind, tmp_dir) as (eng, ids):
            registry = load_registry()
            ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
            with Session(eng) as s:
                assert obligations.sync(s, ctx)
                if prepare is not None:
                    prepare(s, ctx)
                s.commit()
            app = create_app(_settings(tmp_dir, str(eng.url)), eng, CALENDAR, registry)
            yield Web(eng, app, ids["analyses"], ids["programmes"], cache=cache)


def joining_fixture(name: str, org: str, language: str,
                    units: tuple[tuple[str, str, str], ...] = ()):
    """A module's fixture `name` (its `web` or `site`): `synced_demo` on each backend with the
    district `org` joining today under AK-ALM (which nurlan manages), its `units` ((code, name,
    kind) each) under it and its officer zhanar, reading `language`."""
    def joining(s, ctx) -> None:
        svc.add_org(s, ctx, org, "New district", "district_akimat", "AK-ALM")
        for code, unit, kind in units:
            svc.add_org(s, ctx, code, unit, kind, org)
        svc.add_user(s, ctx, "zhanar", "Zhanar Omarova", "officer", org, "zhanar@example.kz",
                     language)

    @pytest.fixture(name=name, params=BACKENDS)
    def joining_demo(request, tmp_path) -> Iterator[Web]:
        with synced_demo(request.param, tmp_path, prepare=joining) as web:
            yield web

    return joining_demo


def number_shown(page: str, testid: str) -> int:
    """The number a page shows as the element `testid`'s whole text."""
    found = re.search(rf'data-testid="{testid}">(\d+)<', page)
    assert found, testid
    return int(found.group(1))


@pytest.fixture(name="world", scope="module", params=BACKENDS)
def world_fixture(request, tmp_path_factory) -> Iterator[Web]:
    """One demo database per backend for a whole module; only for tests that change nothing
    (refusals are fine: they add audit records only)."""
    tmp_dir = tmp_path_factory.mktemp("web-world")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", TODAY.isoformat())
        with demo_database(request.param, tmp_dir) as (eng, ids):
            world = build(eng, tmp_dir, cache=True, ids=ids)
            world.keep_loops = True
            try:
                yield world
            finally:
                world.close()


class _Form(HTMLParser):
    """The inputs of one <details> of the case page (the form of one event, not done, void):
    name -> value as the browser would send it, and whether the block is open."""

    def __init__(self, block_id: str):
        super().__init__()
        self.block_id, self.depth, self.found, self.open = block_id, 0, False, False
        self.values: dict[str, str] = {}
        self.required: set[str] = set()
        self.files: set[str] = set()  # the names of its file inputs
        self._text: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details" and a.get("id") == self.block_id:
            self.depth, self.found, self.open = 1, True, "open" in a
            return
        if not self.depth:
            return
        if tag == "details":
            self.depth += 1
        name = a.get("name")
        if name and ("required" in a or a.get("aria-required") == "true"):
            self.required.add(name)
        if tag == "input" and name and a.get("type") == "file":
            self.files.add(name)  # a file input has no value to keep (evidence files)
        elif tag == "input" and name and a.get("type") != "hidden":
            self.values[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._text, self.values[name] = name, ""
        elif tag == "select" and name:
            self._select, self.values[name] = name, ""
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "details":
            self.depth -= 1
        elif tag == "textarea":
            self._text = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self.depth and self._text:
            self.values[self._text] += data


def page_in(web: Web, login: str, url: str, lang: str = "en") -> str:
    """The HTML of the page at `url` as `login` reads it in `lang` (anything but 200 fails)."""
    b = web.browser(login)
    b.cookies.set("merzim_lang", lang)
    r = b.get(url)
    assert r.status_code == 200, r.text[:500]
    return r.text


def form_block(page: str, block_id: str) -> _Form | None:
    """The <details id=block_id> of a case page: its inputs' values, required ones, open or
    not (None: no such block)."""
    parser = _Form(block_id)
    parser.feed(page)
    return parser if parser.found else None


def route_paths(routes, prefix: str = ""):
    """Every "METHOD path" the application answers (FastAPI may keep included routers as
    branches); HEAD goes with GET."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            context = getattr(r, "include_context", None)
            yield from route_paths(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(r, Mount):
            assert r.name == "static", r.path
        else:
            methods = set(getattr(r, "methods", None) or {"GET"}) - {"HEAD"}
            assert methods, r.path
            for m in methods:
                yield f"{m} {prefix}{r.path}"

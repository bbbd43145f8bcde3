"""An organisation's public page, its Atom feed and its embeddable fragment,
in the access-matrix style: for each organisation (listed in config.toml, switched off by an
admin though listed, switched on by an admin though not listed, neither, none such) and each
of its cases (announced and published, announced only, not announced, announcement voided, a
case about a person, public / private / void files, another organisation's analysis), the
page, the feed and the fragment show exactly what they should and nothing else; the admin's
switch in the web and the CLI (audited, refused outside her subtree, nothing changed on a
refusal); the rate limit (429 and Retry-After); kk/ru/en; the feed parses as Atom; headers
(only the fragment may be framed). Both backends.

"Acceptance: an organisation's public page and Atom feed list its announced analyses and
published documents and nothing else."
"""

from __future__ import annotations

import atexit
import contextlib
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from calendars import KazakhstanCalendar
from tests.support.databases import BACKENDS, database_from_template, dump_tables
from tests.support.features import module_of
from tests.support.web_helpers import audit_actions, csrf_of, last_audit_id
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.public import service as pub
from workflow.services import accounts as auth
from workflow.services import files as fsvc
from workflow.settings import load_settings
from workflow.storage.db import make_engine, upgrade
from workflow.storage.filestore import FileStore

planning_svc = module_of("planning", "service")  # the analyses are planned by it

TODAY = date(2025, 11, 19)
CALENDAR = KazakhstanCalendar()
REGISTRY = load_registry()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# the file store of every copy of this process's template databases (blobs are read only)
FILES = Path(tempfile.mkdtemp(prefix="merzim-public-files-"))
atexit.register(shutil.rmtree, FILES, True)
CONFIGURED = ["PUB-A", "PUB-B", "NO-SUCH-ORG"]  # [public] organisations of the test's config


def wd(n: int) -> date:
    return CALENDAR.add_working_days(TODAY, n)


# -- the world ----------------------------------------------------------------------------------

# organisations: code, kind, parent, name (en), kk, ru
ORGS = [
    ("ROOT", "akimat", None, "Akimat Root Region", None, None),
    ("PUB-A", "department", "ROOT", "Department Alpha", "Альфа басқармасы", "Управление Альфа"),
    ("PUB-A-1", "department", "PUB-A", "Alpha Unit One", None, None),
    ("PUB-A-2", "department", "PUB-A", "Alpha Unit Two", None, None),
    ("PUB-A-3", "department", "PUB-A", "Alpha Unit Silent", None, None),
    ("PUB-A-4", "department", "PUB-A", "Alpha Unit Voided", None, None),
    ("PUB-B", "department", "ROOT", "Department Beta", None, None),
    ("PUB-C", "department", "ROOT", "Department Gamma", None, None),
    ("PRIV-D", "department", "ROOT", "Department Delta", None, None),
    ("OTHER", "akimat", None, "Akimat Other Region", None, None),
]
USERS = [  # login, full name, role, organisation
    ("aliya.officer", "Aliya Officerova", "officer", "PUB-A"),
    ("beta.officer", "Bolat Betaev", "officer", "PUB-B"),
    ("root.admin", "Rustem Adminov", "admin", "ROOT"),
    ("root.manager", "Marat Managerov", "manager", "ROOT"),
    ("other.admin", "Olga Otherova", "admin", "OTHER"),
]

# What may be shown, by the organisation whose page shows it ...
SHOWN = {
    "PUB-A": [
        # the announced and published analysis: its links, the discussion's date and place,
        # its public file, its object and period
        "https://alpha.example.kz/start", "https://alpha.example.kz/discussion-date",
        "https://alpha.example.kz/results", "https://alpha.example.kz/published",
        "Hall Alpha 3, Abay street 1", wd(-14).isoformat(), "published-plan.pdf",
        "Alpha Unit One", wd(-40).isoformat(),
        # the analysis announced only
        "https://alpha.example.kz/second-start", "Alpha Unit Two",
    ],
    "PUB-B": ["https://beta.example.kz/start", "beta-public.pdf"],
    "PUB-C": ["https://gamma.example.kz/start", "Department Gamma"],
    "PRIV-D": ["https://delta.example.kz/start"],
}
# ... and what no public page ever shows.
NEVER = [
    "SECRET-NOTE-A2", "Signer Aliya Secretova", "ORD-77", "ORD-99", "Hidden Signer Bekova",
    "internal-order.pdf", "withdrawn.pdf", "silent-public.pdf", "Alpha Unit Silent",
    "Alpha Unit Voided", "https://alpha.example.kz/voided", "Person Secretname",
    "Chief Secret Position", "DRAFT-TEXT-CONTACT", *[u[0] for u in USERS],
    *[u[1] for u in USERS], "@alpha.example.kz", "Akimat Other Region",
]
EVERY = sorted({m for ms in SHOWN.values() for m in ms} | set(NEVER))


def _upload(s, ctx, store, case_id: int, name: str, record_id: int | None, public: bool,
            void: bool = False) -> int:
    limits = load_settings(None, env={}).files
    row = fsvc.attach_files(s, ctx, store, limits, case_id,
                            [fsvc.Upload(name, io.BytesIO(PDF + name.encode()))],
                            record_id=record_id)[0]
    case = svc.get_case(s, case_id)
    if public:
        fsvc.set_public(s, ctx, case, row.id, True)
    if void:
        fsvc.void_file(s, ctx, case, row.id, "wrong file")
    return row.id


def _record_id(s, case_id: int, event: str) -> int:
    return max(r.id for r in svc.records_of(s, svc.get_case(s, case_id)) if r.event == event)


def populate(engine) -> dict[str, Any]:
    """Organisations, users and cases as the module's docstring says (through the services)."""
    upgrade(engine)
    ctx = svc.Context(CALENDAR, REGISTRY, TODAY, actor="test-setup", language="en")
    store = FileStore(FILES)
    doc = {"number": "ORD-77", "signed_by": "Signer Aliya Secretova"}
    ids: dict[str, int] = {}
    with Session(engine) as s:
        for code, kind, parent, name, kk, ru in ORGS:
            svc.add_org(s, ctx, code, name, kind, parent, name_kk=kk, name_ru=ru)
        for login, name, role, org in USERS:
            svc.add_user(s, ctx, login, name, role, org, f"{login}@alpha.example.kz", "en")

        def plan(key, subject, obj, start, responsible=None):
            ids[key] = planning_svc.plan_analysis(s, ctx, subject, obj, start, None, None,
                                         responsible).analysis.id
            return ids[key]

        def rec(key, event, on, **evidence):
            svc.record_event(s, ctx, ids[key], event, on, evidence)

        # PUB-A: announced, discussed and published, with a public, a private and a void file
        plan("a_pub", "PUB-A", "PUB-A-1", wd(-40), "aliya.officer")
        rec("a_pub", "order", wd(-52), **doc)
        rec("a_pub", "start_announcement", wd(-51), url="https://alpha.example.kz/start")
        rec("a_pub", "discussion_announcement", wd(-20),
            url="https://alpha.example.kz/discussion-date",
            discussion_date=wd(-14).isoformat(), discussion_place="Hall Alpha 3, Abay street 1")
        rec("a_pub", "public_discussion", wd(-14), number="P-5",
            url="https://alpha.example.kz/results")
        rec("a_pub", "analytic_note", wd(-10), **doc)
        rec("a_pub", "action_plan", wd(-8), **doc)
        rec("a_pub", "publication", wd(-6), url="https://alpha.example.kz/published",
            published_text="DRAFT-TEXT-CONTACT Aliya Officerova +7 700 000 00 00")
        ids["f_public"] = _upload(s, ctx, store, ids["a_pub"], "published-plan.pdf",
                                  _record_id(s, ids["a_pub"], "publication"), public=True)
        ids["f_private"] = _upload(s, ctx, store, ids["a_pub"], "internal-order.pdf",
                                   _record_id(s, ids["a_pub"], "order"), public=False)
        ids["f_void"] = _upload(s, ctx, store, ids["a_pub"], "withdrawn.pdf",
                                _record_id(s, ids["a_pub"], "publication"), public=True,
                                void=True)
        # PUB-A: announced, nothing published yet (a note on the announcement stays private)
        plan("a_unpub", "PUB-A", "PUB-A-2", wd(-5))
        rec("a_unpub", "start_announcement", wd(-15), url="https://alpha.example.kz/second-start",
            note="SECRET-NOTE-A2")
        # PUB-A: not announced (an order only), with a file marked public
        plan("a_silent", "PUB-A", "PUB-A-3", wd(20))
        rec("a_silent", "order", wd(-1), number="ORD-99", signed_by="Hidden Signer Bekova")
        ids["f_silent"] = _upload(s, ctx, store, ids["a_silent"], "silent-public.pdf",
                                  _record_id(s, ids["a_silent"], "order"), public=True)
        # PUB-A: its announcement recorded by mistake and voided
        plan("a_voided", "PUB-A", "PUB-A-4", wd(25))
        rec("a_voided", "start_announcement", wd(-1), url="https://alpha.example.kz/voided")
        svc.void_record(s, ctx, ids["a_voided"], "start_announcement", "wrong link")
        # PUB-A: a conflict of interest (a case about a person)
        ids["coi"] = svc.open_case(s, ctx, "conflict_of_interest", "PUB-A",
                                   person="Person Secretname",
                                   position="Chief Secret Position",
                                   dates={"notified": wd(-3)}).id
        # the other organisations: one announced analysis each
        for key, code, site in (("b", "PUB-B", "beta"), ("c", "PUB-C", "gamma"),
                                ("d", "PRIV-D", "delta")):
            plan(key, code, code, wd(-5))
            rec(key, "start_announcement", wd(-12), url=f"https://{site}.example.kz/start")
        ids["f_beta"] = _upload(s, ctx, store, ids["b"], "beta-public.pdf",
                                _record_id(s, ids["b"], "start_announcement"), public=True)
        # the admins' switches: PUB-B off though listed, PUB-C on though not listed
        pub.set_public_page(s, ctx, "PUB-B", False)
        pub.set_public_page(s, ctx, "PUB-C", True)
        s.commit()
    return ids


def _config(tmp_dir: Path, **public: Any) -> Path:
    values = {"organisations": CONFIGURED, "cache_seconds": 0, "requests_per_minute": 0,
              **public}
    lines = ["[files]", f'directory = "{FILES.as_posix()}"', "", "[public]"]
    for key, value in values.items():
        lines.append(f"{key} = " + (repr(value).replace("'", '"') if not isinstance(value, list)
                                    else "[" + ", ".join(f'"{v}"' for v in value) + "]"))
    path = tmp_dir / f"public-{len(list(tmp_dir.glob('public-*.toml')))}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class World:
    engine: Any
    url: str
    ids: dict[str, int]
    tmp_dir: Path
    apps: dict[tuple, Any] = field(default_factory=dict)

    def app(self, **public: Any):
        key = tuple(sorted((k, str(v)) for k, v in public.items()))
        if key not in self.apps:
            path = _config(self.tmp_dir, **public)
            settings = load_settings(path, env={"MERZIM_LANG": "en",
                                                "MERZIM_DATABASE_URL": self.url})
            self.apps[key] = create_app(settings, self.engine, CALENDAR, REGISTRY)
        return self.apps[key]

    def client(self, lang: str | None = "en", address: str = "testclient", **public: Any):
        c = TestClient(self.app(**public), follow_redirects=False, client=(address, 50000))
        if lang:
            c.headers["Accept-Language"] = lang
        return c

    def browser(self, login: str, **public: Any) -> TestClient:
        password = f"{login}-correct-horse-42"
        with Session(self.engine) as s:
            auth.set_password(s, svc.get_user(s, login), password, "test-setup")
            s.commit()
        c = self.client(**public)
        form = c.get("/login")
        r = c.post("/login", data={"login": login, "password": password,
                                   "csrf": csrf_of(form.text), "next": "/"})
        assert r.status_code == 303, r.text
        return c


@contextlib.contextmanager
def _populated(backend: str, tmp_dir: Path) -> Iterator[World]:
    """The world of `populate` on a database of `backend` (copied from its template)."""
    with database_from_template(backend, tmp_dir, "public.db", recipe=populate,
                                recipe_name="public-world") as (url, ids):
        eng = make_engine(url)
        try:
            yield World(eng, url, ids, tmp_dir)
        finally:
            eng.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    """One database per backend for the module's read-only tests."""
    tmp_dir = tmp_path_factory.mktemp("public-world")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", TODAY.isoformat())
        with _populated(request.param, tmp_dir) as world:
            yield world


@pytest.fixture
def fresh(backend, tmp_path, monkeypatch):
    """A world of its own, for a test that changes something."""
    monkeypatch.setenv("MERZIM_TODAY", TODAY.isoformat())
    with _populated(backend, tmp_path) as world:
        yield world


# -- the access matrix --------------------------------------------------------------------------

# organisation -> whether its page is on
ON = {"PUB-A": True, "PUB-B": False, "PUB-C": True, "PRIV-D": False, "NO-SUCH-ORG": False,
      "ROOT": False, "OTHER": False}
VIEWS = {"page": "/public/{code}", "feed": "/public/{code}.atom", "embed": "/public/{code}/embed"}


def _text_of(view: str, body: str) -> str:
    """What a reader of the view gets, markup decoded (the feed's content is escaped HTML)."""
    import html

    return html.unescape(html.unescape(body)) if view == "feed" else html.unescape(body)


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.slow
def test_each_organisation_shows_exactly_its_announced_analyses(world: World, view: str):
    c = world.client()
    before = dump_tables(world.engine)
    for code, on in ON.items():
        r = c.get(VIEWS[view].format(code=code))
        if not on:
            assert r.status_code == 404, (code, view, r.status_code)
            continue
        assert r.status_code == 200, (code, view, r.text[:300])
        text = _text_of(view, r.text)
        shown = set(SHOWN[code])
        for marker in shown:
            assert marker in text, (code, view, marker)
        for marker in set(EVERY) - shown:
            if marker in SHOWN.get("PUB-A", []) and code != "PUB-A" and marker.startswith("20"):
                continue  # a date may be another case's date too
            assert marker not in text, (code, view, marker)
    assert dump_tables(world.engine) == before  # a public page writes nothing, not even audit


def test_the_page_lists_one_article_per_announced_analysis(world: World):
    r = world.client().get("/public/PUB-A")
    keys = re.findall(r'<article class="public-case" id="([^"]+)"', r.text)
    assert len(keys) == 2 and len(set(keys)) == 2
    # newest announcement first: the announced-only analysis (announced wd -15), then the
    # published one (announced wd -51); its records in date order
    assert r.text.index("second-start") < r.text.index("alpha.example.kz/start")
    first = r.text.index("alpha.example.kz/start")
    assert first < r.text.index("discussion-date") < r.text.index("/results") \
        < r.text.index("/published")
    # the case's number is not its anchor (nothing of the database's numbering is shown)
    assert not any(str(world.ids[k]) in keys for k in ("a_pub", "a_unpub"))


def test_switched_off_and_missing_answer_the_same_404(world: World):
    c = world.client()
    off = c.get("/public/PUB-B")  # listed in config.toml, switched off by an admin
    missing = c.get("/public/NO-SUCH-ORG")  # listed in config.toml, does not exist
    never = c.get("/public/PRIV-D")  # exists, not listed, not switched on
    for r in (off, missing, never):
        assert r.status_code == 404
        assert r.headers["content-type"] == off.headers["content-type"]
    assert off.text == missing.text.replace("NO-SUCH-ORG", "PUB-B")
    assert never.text == missing.text.replace("NO-SUCH-ORG", "PRIV-D")
    for path in ("/public/PUB-B.atom", "/public/PUB-B/embed",
                 f"/public/PUB-B/files/{world.ids['f_beta']}"):
        assert c.get(path).status_code == 404, path


def test_public_files_download_and_nothing_else(world: World):
    c = world.client()
    ok = c.get(f"/public/PUB-A/files/{world.ids['f_public']}")
    assert ok.status_code == 200
    assert ok.content == PDF + b"published-plan.pdf"
    assert ok.headers["content-type"] == "application/pdf"
    assert "published-plan.pdf" in ok.headers["content-disposition"]
    page = c.get("/public/PUB-A").text
    assert f'/public/PUB-A/files/{world.ids["f_public"]}' in page
    # a private file, a void one, a public one of a case not announced, a public one of
    # another organisation (on its own page only while that page is on), none such
    for code, key in (("PUB-A", "f_private"), ("PUB-A", "f_void"), ("PUB-A", "f_silent"),
                      ("PUB-A", "f_beta"), ("PUB-B", "f_beta"), ("PUB-C", "f_public")):
        r = c.get(f"/public/{code}/files/{world.ids[key]}")
        assert r.status_code == 404, (code, key)
    for bad in ("999999", "abc", "-1", "99999999999999999999999"):
        assert c.get(f"/public/PUB-A/files/{bad}").status_code == 404


def test_the_feed_is_atom_with_the_same_items(world: World):
    r = world.client().get("/public/PUB-A.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Department Alpha: internal analyses of corruption risks"
    page = world.client().get("/public/PUB-A").text
    anchors = re.findall(r'<article class="public-case" id="([^"]+)"', page)
    assert [e.id.rsplit("#", 1)[1] for e in feed.entries] == anchors
    published = feed.entries[1]
    related = {link.href for link in published.links if link.rel == "related"}
    assert related == {"https://alpha.example.kz/start", "https://alpha.example.kz/discussion-date",
                       "https://alpha.example.kz/results", "https://alpha.example.kz/published"}
    enclosures = [link for link in published.links if link.rel == "enclosure"]
    assert [link.href.rsplit("/", 1)[1] for link in enclosures] == [str(world.ids["f_public"])]
    assert published.updated.startswith(wd(-6).isoformat())  # its latest public record
    assert feed.feed.updated.startswith(wd(-6).isoformat())
    assert "Hall Alpha 3, Abay street 1" in published.content[0].value


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_page_feed_and_fragment_speak_the_readers_language(world: World, lang: str):
    from workflow.i18n import Translator

    t = Translator(lang)
    process = REGISTRY.get("internal_risk_analysis")
    org = {"kk": "Альфа басқармасы", "ru": "Управление Альфа", "en": "Department Alpha"}[lang]
    for how in ("query", "header"):
        c = world.client(lang=None)
        params = {"lang": lang} if how == "query" else {}
        headers = {"Accept-Language": f"{lang}-KZ;q=0.9"} if how == "header" else {}
        page = c.get("/public/PUB-A", params=params, headers=headers)
        assert f'<html lang="{lang}">' in page.text
        assert org in page.text and t("public.heading") in page.text
        assert process.names[lang] in page.text
        assert process.events["start_announcement"].names[lang] in page.text
        assert process.evidence["discussion_place"].names[lang] in page.text
        embed = c.get("/public/PUB-A/embed", params=params, headers=headers)
        assert process.names[lang] in embed.text and t("public.heading") in embed.text
        feed = feedparser.parse(c.get("/public/PUB-A.atom", params=params, headers=headers)
                                .content)
        assert feed.feed.title == t("public.feed_title", organisation=org)
        assert feed.feed.language == lang


def test_headers_only_the_fragment_may_be_framed(world: World):
    c = world.client()
    page = c.get("/public/PUB-A")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors" not in page.headers["content-security-policy"]
    embed = c.get("/public/PUB-A/embed")
    assert "x-frame-options" not in embed.headers
    assert embed.headers["content-security-policy"].endswith("frame-ancestors *")
    assert embed.headers["access-control-allow-origin"] == "*"
    assert "<nav" not in embed.text and "/logout" not in embed.text  # no site chrome
    assert 'href="http://testserver/public/PUB-A/files/' in embed.text  # absolute links
    feed = c.get("/public/PUB-A.atom")
    assert feed.headers["x-frame-options"] == "DENY"
    for r in (page, embed, feed):
        assert r.headers["cache-control"] == "no-store"  # cache_seconds = 0 in this config
    cached = world.client(cache_seconds=60, frame_ancestors=["https://alpha.example.kz"])
    embed = cached.get("/public/PUB-A/embed")
    assert embed.headers["cache-control"] == "public, max-age=60"
    assert embed.headers["vary"] == "Accept-Language, Cookie"
    assert embed.headers["content-security-policy"].endswith(
        "frame-ancestors https://alpha.example.kz")
    # the rest of the site keeps its frame-deny header
    assert cached.get("/login").headers["x-frame-options"] == "DENY"


def test_rate_limit_answers_429_with_retry_after(world: World):
    c = world.client(requests_per_minute=3)
    paths = ["/public/PUB-A", "/public/PUB-A.atom", "/public/PUB-A/embed"]
    for path in paths:
        assert c.get(path).status_code == 200
    for path in [*paths, "/public/NO-SUCH-ORG", f"/public/PUB-A/files/{world.ids['f_public']}"]:
        r = c.get(path)
        assert r.status_code == 429, path
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["cache-control"] == "no-store"
    # counted per client address: another one is served
    other = world.client(address="192.0.2.7", requests_per_minute=3)
    assert other.get("/public/PUB-A").status_code == 200
    # the rest of the site is not limited by it
    assert c.get("/login").status_code == 200


def test_a_definition_shows_only_what_its_public_table_marks():
    """The keys come from the definition: a [public] table naming a person's process, a note,
    a signer or an unknown event is refused when the definition loads."""
    import tomllib

    from workflow.core.errors import ConfigError
    from workflow.definitions import DEFINITIONS, PROCEDURES
    from workflow.definitions import parse_document as parse_definition
    from workflow.public.rules import public_of

    ira = tomllib.loads((DEFINITIONS / "internal_risk_analysis.toml").read_text("utf-8"))
    spec = public_of(parse_definition(ira, "ira"))
    assert spec.announced_by == "start_announcement"
    assert "note" not in spec.fields and "signed_by" not in spec.fields
    for bad, message in ((dict(ira["public"], fields=["url", "note"]), "may not show 'note'"),
                         (dict(ira["public"], fields=["signed_by"]), "may not show"),
                         (dict(ira["public"], fields=["published_text"]), "may not show"),
                         (dict(ira["public"], announced_by="nothing"), "announced_by"),
                         (dict(ira["public"], events=["nothing"]), "unknown event"),
                         (dict(ira["public"], period=["nothing"]), "unknown date"),
                         (dict(ira["public"], extra=1), "unknown key")):
        with pytest.raises(ConfigError, match=message):
            parse_definition({**ira, "public": bad}, "ira")
    coi = tomllib.loads((PROCEDURES / "conflict_of_interest.toml").read_text("utf-8"))
    event = coi["event"][0]["key"]
    with pytest.raises(ConfigError, match="about a person"):
        parse_definition({**coi, "public": {"announced_by": event}}, "coi")
    # no shipped definition about a person has a [public] table
    assert all(public_of(d) is None for d in REGISTRY.all() if d.parties.person != "none")


# -- the switch: web (admins of the subtree), CLI; audited; refusals change nothing ------------


@pytest.mark.slow
def test_admin_switches_a_page_on_and_off_in_the_web(fresh: World):
    w = fresh
    anonymous = w.client()
    assert anonymous.get("/public/PRIV-D").status_code == 404
    admin = w.browser("root.admin")
    page = admin.get("/admin/public")
    assert page.status_code == 200
    row = re.search(r'<tr id="org-PRIV-D"[^>]*data-on="(\w+)"', page.text)
    assert row and row.group(1) == "off"
    assert 'data-code="OTHER"' not in page.text  # not her subtree
    assert 'data-testid="nav-public"' in page.text  # the menu's link, for admins only
    since = last_audit_id(w.engine)
    r = admin.post("/admin/public", data={"code": "PRIV-D", "value": "on",
                                          "csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert anonymous.get("/public/PRIV-D").status_code == 200
    assert [a[:2] for a in audit_actions(w.engine, since)] == [("web:root.admin",
                                                                "org.public_page")]
    assert audit_actions(w.engine, since)[0][2] == {"code": "PRIV-D", "from": "default",
                                                    "to": "on"}
    # off again though config.toml lists it; back to config.toml
    for code, value, status in (("PUB-A", "off", 404), ("PUB-A", "default", 200),
                                ("PUB-B", "default", 200), ("PUB-C", "default", 404)):
        r = admin.post("/admin/public", data={"code": code, "value": value,
                                              "csrf": csrf_of(page.text)})
        assert r.status_code == 303
        assert anonymous.get(f"/public/{code}").status_code == status, (code, value)


def test_switch_refusals_change_nothing(fresh: World):
    w = fresh
    browsers = {login: w.browser(login) for login in ("root.admin", "other.admin",
                                                        "root.manager", "aliya.officer")}
    admin = browsers["root.admin"]
    csrf = csrf_of(admin.get("/admin/public").text)
    before = dump_tables(w.engine)
    before.pop("audit_log")
    for who, data, status in (
            ("root.admin", {"code": "OTHER", "value": "on"}, 404),  # outside her subtree
            ("root.admin", {"code": "NO-SUCH-ORG", "value": "on"}, 404),
            ("root.admin", {"code": "PRIV-D", "value": "maybe"}, 422),
            ("root.admin", {"code": "PRIV-D", "value": "on", "csrf": "wrong"}, 409),
            ("other.admin", {"code": "PRIV-D", "value": "on"}, 404),
            ("root.manager", {"code": "PRIV-D", "value": "on"}, 404),
            ("aliya.officer", {"code": "PUB-A", "value": "off"}, 404)):
        b = browsers[who]
        token = csrf if who == "root.admin" else csrf_of(b.get("/account").text)
        r = b.post("/admin/public", data={"csrf": token, **data})
        assert r.status_code == status, (who, data, r.status_code)
        if who in ("root.manager", "aliya.officer"):  # the page is the admins'
            assert b.get("/admin/public").status_code == 404, who
            assert 'data-testid="nav-public"' not in b.get("/account").text, who
        after = dump_tables(w.engine)
        after.pop("audit_log")
        assert after == before, (who, data)
    assert w.client().get("/admin/public").status_code == 303  # anonymous: to the login
    assert w.client().get("/public/PRIV-D").status_code == 404


def test_cli_shows_and_switches_a_page(fresh: World, tmp_path: Path):
    from tests.support.cli_runner import Merzim

    w = fresh
    config = _config(tmp_path)
    merzim = Merzim(tmp_path, db_url=w.url, config=config)

    import json

    r = merzim("org", "public", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["code"]: row for row in json.loads(r.stdout)}
    assert {code: row["on"] for code, row in rows.items() if code in ON} == \
        {code: on for code, on in ON.items() if code in rows}
    assert rows["PUB-B"] == {"code": "PUB-B", "configured": True, "admin": "off", "on": False}
    before = dump_tables(w.engine)
    for args, code in ((("org", "public", "NO-SUCH-ORG", "on"), 4),
                       (("org", "public", "PRIV-D", "maybe"), 2),
                       (("org", "public", "NO-SUCH-ORG"), 4)):
        r = merzim(*args)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        assert dump_tables(w.engine) == before, args
    since = last_audit_id(w.engine)
    r = merzim("org", "public", "PRIV-D", "on")
    assert r.returncode == 0, r.stderr
    assert "PRIV-D" in r.stdout
    assert w.client().get("/public/PRIV-D").status_code == 200
    actions = audit_actions(w.engine, since)
    assert [a[1] for a in actions] == ["org.public_page"]
    assert actions[0][0].startswith("cli:")
    r = merzim("--lang", "kk", "org", "public", "PRIV-D", "default")
    assert r.returncode == 0 and "PRIV-D" in r.stdout
    assert w.client().get("/public/PRIV-D").status_code == 404


def test_the_cache_keeps_a_page_until_it_expires_but_a_switch_is_at_once(fresh: World):
    """Built pages are kept for cache_seconds (the record of a new announcement shows after);
    whether the page is on is read on every request, so switching off is immediate."""
    w = fresh
    cached = w.client(cache_seconds=3600)
    uncached = w.client()
    assert "second-start" in cached.get("/public/PUB-A").text
    ctx = svc.Context(CALENDAR, REGISTRY, TODAY, actor="test", language="en")
    with Session(w.engine) as s:
        svc.record_event(s, ctx, w.ids["a_silent"], "start_announcement", wd(0),
                         {"url": "https://alpha.example.kz/silent-now-announced"})
        s.commit()
    assert "silent-now-announced" in uncached.get("/public/PUB-A").text
    assert "silent-now-announced" not in cached.get("/public/PUB-A").text  # still kept
    with Session(w.engine) as s:
        pub.set_public_page(s, ctx, "PUB-A", False)
        s.commit()
    assert cached.get("/public/PUB-A").status_code == 404
    assert cached.get("/public/PUB-A.atom").status_code == 404


def test_odd_addresses_answer_404_not_500(world: World):
    c = world.client()
    for path in ("/public/" + "X" * 300, "/public/%D0%90%D0%BB%D1%8C%D1%84%D0%B0",
                 "/public/PUB-A%27%22%3C", "/public/.atom", "/public/PUB-A/embed/extra",
                 "/public/PUB-A/files/", "/public/PUB-A/files/1.5"):
        r = c.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert "Traceback" not in r.text
    assert c.get("/public/PUB-A%00").status_code == 422  # a NUL, as everywhere
    r = c.get("/public/PUB-A", params={"lang": "xx"})  # an unknown language: the reader's
    assert r.status_code == 200 and '<html lang="en">' in r.text


@pytest.mark.parametrize("text, message", [
    ("organisations = 'PUB-A'", "public.organisations"),
    ("organisations = ['']", "public.organisations"),
    ("cache_seconds = -1", "public.cache_seconds"),
    ("requests_per_minute = true", "public.requests_per_minute"),
    ("frame_ancestors = ['javascript:x']", "public.frame_ancestors"),
    ("frame_ancestors = 'https://a.kz'", "public.frame_ancestors"),
    ("per_minute = 5", "unknown setting per_minute"),
])
def test_public_settings_are_checked(tmp_path: Path, text: str, message: str):
    from workflow.core.errors import ConfigError
    from workflow.public.settings import PublicSettings

    path = tmp_path / "config.toml"
    path.write_text(f"[public]\n{text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(path, env={})
    path.write_text("[public]\norganisations = ['A', 'B', 'A']\nframe_ancestors = "
                    "['https://alatau.gov.kz', \"'self'\"]\n", encoding="utf-8")
    public = load_settings(path, env={}).of(PublicSettings)
    assert public.organisations == ("A", "B")
    assert public.frame_ancestors == ("https://alatau.gov.kz", "'self'")
    assert (public.cache_seconds, public.requests_per_minute) == (60, 60)

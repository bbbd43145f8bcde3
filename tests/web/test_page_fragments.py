"""What a kept list's page reuses is what it would render or read afresh: the overdue page's
table of rows, rendered once per content (web/kit/page.py `stage_table`), its header (the menu
with its counts, the reader, the languages: `header`), its summary's rows, procedure options
and organisation choices, each joined once per content, equal the page rendered with nothing
kept, after random writes (analyses planned, events recorded and
voided, cases withdrawn and restored, comments), in every language, order and page; the
menu's saved views, kept by the views' own writes (kept/figures.py `views`), equal
the views read afresh after a view is saved, renamed, shared, unshared and deleted, and a
record below the reader leaves them kept. Both backends."""

from __future__ import annotations

import random
import re
from collections import Counter

import jinja2
import pytest
from sqlmodel import Session, select

from tests.support.analysis_writes import AGAIN, EVIDENCE, AnalysisWrites, ctx_of
from tests.support.features import module_of, needs
from tests.support.sql_trace import statements
from tests.support.web_helpers import (  # noqa: F401 - fixtures registered by name
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    csrf_of,
    wd,
)
from web import app
from web.kit import rows, views
from web.kit.rows import summary_rows
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.kept import versions
from workflow.services import saved_views
from workflow.storage.models import SavedView

# a list counted: by organisation (GROUP BY), or a part's length from the kept counts
GROUP_BY = re.compile(r"\bGROUP BY\b|\bFROM open_stage_count\b", re.IGNORECASE)
ONCE = re.compile(r'name="idempotency_key" value="[^"]*"')  # new at every rendering
VIEWS_READ = re.compile(r"\bFROM saved_view\b", re.IGNORECASE)
ADDRESSES = ("/overdue", "/overdue?sort=days", "/overdue?sort=organisation&dir=desc",
             "/overdue?page=2", "/overdue?org=MF-KGD")
LANGUAGES = ("en", "ru", "kk")
READERS = ("gulnar", "nurlan", "erlan")


def _page(web: Web, b, address: str) -> str:
    r = b.get(address)
    assert r.status_code == 200, (address, r.status_code)
    return ONCE.sub("", r.text)


def _fresh(web: Web, b, address: str) -> str:
    """The page rendered with nothing rendered kept -- no table (by its rows or by their
    identities), no header, no summary or summary row, no procedure options, no organisation
    choices joined -- and its lists as kept (their own tests say they equal a fresh read)."""
    for name in ("table_fragments", "table_fragments_by_rows", "headers"):
        kept = getattr(web.app.state, name, None)
        if kept is not None:
            kept.clear()
    rows._SUMMARIES.clear()
    rows._SUMMARY_ROWS.clear()
    app._OPTIONS.clear()
    views._ORG_CHOICES.pop(web.engine, None)
    return _page(web, b, address)


def assert_tables_fresh(web: Web) -> int:
    """Each reader's overdue pages, in each language, equal the same pages rendered with no
    table kept; how many pages held a table."""
    tables = 0
    for login in READERS:
        b = web.browser(login)
        for lang in LANGUAGES:
            b.cookies.set("merzim_lang", lang)
            for address in ADDRESSES:
                if login != "gulnar" and "MF-KGD" in address:
                    continue
                kept = (_page(web, b, address), _page(web, b, address))  # the second reused
                fresh = _fresh(web, b, address)
                assert kept[0] == fresh and kept[1] == fresh, (login, lang, address)
                tables += '<section class="org"' in fresh
        b.cookies.set("merzim_lang", "en")
    return tables


@pytest.mark.slow
@needs("planning")
def test_the_kept_table_equals_a_fresh_rendering_after_writes(web: Web):
    writer = AnalysisWrites(web, random.Random(1122))
    for _ in range(14):  # late analyses across both trees: pages of rows, a second page
        with Session(web.engine) as s:
            writer.plan(s, ctx_of("cli:test"))
            s.commit()
    assert assert_tables_fresh(web) >= 20
    done = []
    for n in range(24):
        done.append(writer.step())
        if n % 6 == 5:
            assert_tables_fresh(web)
    assert {"plan", "record", "void", "comment"} <= set(done), Counter(done)
    gulnar = web.browser("gulnar")
    page = _page(web, gulnar, "/overdue")
    assert page == _fresh(web, gulnar, "/overdue")


@needs("planning")
def test_the_table_is_kept_by_its_content(web: Web):
    """The same rows in the same language: the same markup, rendered once; another language
    or other rows: another."""
    gulnar = web.browser("gulnar")
    gulnar.get("/overdue")
    kept = web.app.state.table_fragments
    first = dict(kept)
    assert len(first) == 1
    gulnar.get("/overdue")
    assert dict(kept) == first and all(kept[k] is v for k, v in first.items())  # reused
    gulnar.cookies.set("merzim_lang", "kk")
    gulnar.get("/overdue")
    gulnar.cookies.set("merzim_lang", "en")
    assert len(kept) == 2
    with Session(web.engine) as s:  # a stage of her subtree done: her first page's rows change
        svc.record_event(s, ctx_of("cli:test"), web.analyses["kgd"], "order", TODAY,
                         dict(EVIDENCE))
        s.commit()
    assert gulnar.get("/overdue").status_code == 200
    assert len(kept) == 3


def _menu_views(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="nav-view" data-view="(\d+)">([^<]*) <span', page)


def _views_fresh(web: Web, login: str) -> list[tuple[str, str]]:
    """The views a person's menu would list read afresh (each with a count: those she may use
    among the first ones; the menu's test, tests/web/test_saved_views.py, says which)."""
    with Session(web.engine) as s:
        return [(str(v.id), v.name) for v in saved_views.views_of(s, svc.get_user(s, login))]


def _post(web: Web, b, target: str, **data: str) -> None:
    r = b.post(target, data={"csrf": csrf_of(b.get("/views").text), **data})
    assert r.status_code == 303, (target, r.status_code, r.text[:300])


@needs("planning")
def test_the_menus_views_are_kept_by_the_views_own_writes(web: Web):
    manager, asel = web.browser("nurlan"), web.browser("asel")  # AK-ALM, and below it

    def check() -> None:
        for login, b in (("nurlan", manager), ("asel", asel)):
            shown = dict(_menu_views(_page(web, b, "/work")))
            fresh = dict(_views_fresh(web, login))
            assert set(shown) <= set(fresh), (login, shown, fresh)
            assert {i: fresh[i] for i in shown} == shown, login
            views_page = _page(web, b, "/views")
            assert all(name in views_page for name in fresh.values()), login

    check()
    _post(web, manager, "/views", name="Akimat late", address="/overdue", shared="1")
    check()
    with Session(web.engine) as s:
        view_id = s.exec(select(SavedView.id).where(SavedView.name == "Akimat late")).one()
    assert ("Akimat late" in dict(_menu_views(_page(web, asel, "/work"))).values())
    _post(web, manager, f"/views/{view_id}/rename", name="Akimat overdue")
    check()
    assert "Akimat overdue" in dict(_menu_views(_page(web, asel, "/work"))).values()
    _post(web, manager, f"/views/{view_id}/share", shared="")
    check()
    assert dict(_menu_views(_page(web, asel, "/work"))) == {}
    _post(web, manager, f"/views/{view_id}/share", shared="1")
    check()
    _post(web, asel, "/views", name="Mine", address="/overdue?year=2025")
    check()
    _post(web, manager, f"/views/{view_id}/delete")
    check()
    assert "Akimat overdue" not in dict(_menu_views(_page(web, asel, "/work"))).values()
    # a view's write moves the views' scope alone: no list's, no person's
    with Session(web.engine) as s:
        assert versions.scopes_of(s, [(saved_views.RENAMED, "view", "7", {})]) == {
            versions.VIEWS}
        assert svc.views_scopes(5) == ("*", "organisations", "views", "user:5")
    # a record below the manager leaves his views' list kept (its counts are read again)
    _page(web, manager, "/overdue")
    with Session(web.engine) as s:
        planning = module_of("planning", "service")
        planning.plan_analysis(s, ctx_of("cli:test"), "AK-ALM-EDU", "AK-ALM-EDU", wd(-40),
                               duplicate_reason=AGAIN)
        s.commit()
    with statements(web.engine) as sent:
        page = _page(web, manager, "/overdue")
    assert not [st for st in sent if VIEWS_READ.search(st)], sent
    assert [st for st in sent if GROUP_BY.search(st)], sent  # (his lists were read again)
    assert dict(_menu_views(page)) == {k: v for k, v in _views_fresh(web, "nurlan")
                                       if k in dict(_menu_views(page))}
    check()
    kept = _menu_views(_page(web, manager, "/work"))
    views._LISTS.clear()  # nothing kept: the same menu
    assert _menu_views(_page(web, manager, "/work")) == kept


def test_the_procedure_options_are_the_loop_they_replace():
    """A procedure filter's options joined in Python (web/app.py `process_options`, over the
    order sorted once per language: `by_name`) are the markup of the Jinja loop they replace,
    in every language, whichever is selected."""
    env = jinja2.Environment(autoescape=True)
    env.filters["by_name"] = app.by_name
    loop = env.from_string(
        """{% for d in processes | by_name(lang) %}<option value="{{ d.key }}" """
        """{{ 'selected' if selected == d.key }}>{{ d.name(lang) }}</option>{% endfor %}""")
    defs = load_registry().all()
    assert len(defs) > 1
    for lang in LANGUAGES:
        for selected in (None, "", "no_such_procedure", *(d.key for d in defs)):
            assert str(app.process_options(defs, selected, lang)) == loop.render(
                processes=defs, selected=selected, lang=lang), (lang, selected)
            assert app.by_name(defs, lang) == app.by_name(list(defs), lang)  # (kept)


def test_the_summary_rows_are_the_loop_they_replace():
    """The overdue summary's rows joined in Python (web/kit/rows.py `summary_rows`) are the
    markup of the Jinja loop they replace, in every language, with names and codes that need
    escaping and quoting."""
    env = jinja2.Environment(autoescape=True)
    loop = env.from_string(
        """{% for o in summary %}<tr data-summary-org="{{ o.code }}"><td data-label="{{ """
        """_('web.organisation') }}">{% if o.own %}{{ o.name }}{% else %}<a href="?org={{ """
        """o.code | urlencode }}">{{ o.name }}</a>{% endif %}</td><td class="num" """
        """data-label="{{ _('web.count') }}">{{ o.count }}</td></tr>{% endfor %}""")
    summary = [{"code": "AK", "name": "Акимат <Алматы>", "count": 12, "own": True},
               {"code": "AK-ALM & 1/2", "name": 'Отдел "образования"', "count": 3,
                "own": False},
               {"code": "MF-KGD", "name": "Комитет", "count": 1, "own": False}]
    for lang in LANGUAGES:
        t = Translator(lang)
        assert str(summary_rows(summary, t)) == loop.render(summary=summary, _=t), lang
        assert str(summary_rows([], t)) == ""

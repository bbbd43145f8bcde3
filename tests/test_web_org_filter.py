"""The organisation filter of the lists is cached (issue 15 point 3: a national manager's filter
holds 2,697 organisations, read and turned into options on every page): per database, per
viewer's organisation and role, until an organisation is added — by this web process, another
one or the command line. These tests check that the cached filter is always the one a fresh
read gives: after an organisation is added (on the overdue and cases pages), for an officer
and a manager of the same organisation, for two databases with as many organisations, with
an option selected and not, in kk, ru and en."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from tests.cli_runner import merzim_env, run_merzim
from tests.web_helpers import (  # noqa: F401 - fixtures registered by name
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    build,
    demo_database,
    web_fixture,
)
from web.kit import views
from web.kit.access import viewer_for
from workflow import services as svc

SELECT = re.compile(r'<select name="org"><option value="">—</option>\s*(.*?)\s*</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)" ?(selected)?>')


def org_select(page: str) -> str:
    """The organisation filter's options, as the page has them."""
    found = SELECT.search(page)
    assert found, page[:2000]
    return found.group(1)


def codes(page: str) -> list[str]:
    return [code for code, _ in OPTION.findall(org_select(page))]


def selected(page: str) -> list[str]:
    return [code for code, mark in OPTION.findall(org_select(page)) if mark]


def fresh_options(w: Web, login: str, language: str, chosen: str | None = None) -> str:
    """The options read now, without the cache: the viewer's subtree from the database."""
    with Session(w.engine) as s:
        viewer = viewer_for(s, svc.get_user(s, login))
        rows = [r for r in svc.org_rows(s, viewer.org) if viewer.sees_path(r.path)]
        return views._options(rows, chosen, language)


def add_org_by_cli(w: Web, code: str, parent: str, cwd) -> None:
    """`merzim org add`: another process's write, as far as the web application knows."""
    env = merzim_env(db_url=w.engine.url.render_as_string(hide_password=False))
    done = run_merzim(["org", "add", code, "--name", f"New {code}", "--kind", "department",
                       "--parent", parent], env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_an_organisation_added_by_the_cli_is_in_the_filters_at_once(web: Web, tmp_path):
    b = web.browser("nurlan")  # AK-ALM's manager
    before = codes(b.get("/overdue").text)
    assert "AK-ALM-EDU" in before and "AK-ALM-NEW" not in before
    assert "AK-ALM-NEW" not in b.get("/cases").text
    add_org_by_cli(web, "AK-ALM-NEW", "AK-ALM", tmp_path)
    after = codes(b.get("/overdue").text)
    assert after == [code for code, _ in OPTION.findall(fresh_options(web, "nurlan", "en"))]
    assert set(after) - set(before) == {"AK-ALM-NEW"}
    assert '<option value="AK-ALM-NEW"' in b.get("/cases").text
    # outside her subtree it is not hers to filter by
    add_org_by_cli(web, "MF-NEW", "MF", tmp_path)
    assert "MF-NEW" not in codes(b.get("/overdue").text)
    assert "MF-NEW" in codes(web.browser("gulnar").get("/overdue").text)  # MF's manager


def test_an_organisation_added_by_the_services_is_in_the_filter_at_once(web: Web):
    b = web.browser("gulnar")
    assert "MF-KGD-NEW" not in codes(b.get("/overdue").text)
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        svc.add_org(s, ctx, "MF-KGD-NEW", "New department", "department", "MF-KGD")
        s.commit()
    assert "MF-KGD-NEW" in codes(b.get("/overdue").text)


def test_an_officer_and_a_manager_of_one_organisation_have_their_own_filters(web: Web):
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        svc.add_user(s, ctx, "ainur", "Ainur Officer", "officer", "AK-ALM", language="en")
        s.commit()
    manager = codes(web.browser("nurlan").get("/overdue").text)  # the manager's first
    officer = codes(web.browser("ainur").get("/overdue").text)
    assert officer == ["AK-ALM"]
    assert len(manager) > 1 and manager[0] == "AK-ALM"
    assert codes(web.browser("nurlan").get("/overdue").text) == manager


def test_the_selected_option_is_marked_in_the_page_only(web: Web):
    b = web.browser("gulnar")
    for lang in ("kk", "ru", "en"):
        b.cookies.set("merzim_lang", lang)
        try:
            page = b.get("/overdue?org=MF-KGD").text
            assert selected(page) == ["MF-KGD"]
            assert org_select(page) == fresh_options(web, "gulnar", lang, "MF-KGD")
            plain = b.get("/overdue").text
            assert selected(plain) == []  # the kept options were not changed by the first
            assert org_select(plain) == fresh_options(web, "gulnar", lang)
        finally:
            b.cookies.set("merzim_lang", "en")


def test_two_databases_with_as_many_organisations_keep_their_own_filters(web: Web, backend,
                                                                         tmp_path):
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    (tmp_path / "second").mkdir()
    with demo_database(backend, tmp_path / "second") as (engine, ids):
        other = build(engine, tmp_path / "second", ids=ids)
        for w, code in ((web, "AK-ALM-ONE"), (other, "AK-ALM-TWO")):
            codes(w.browser("nurlan").get("/overdue").text)  # cached before the change
            with Session(w.engine) as s:  # the same count and newest id in both
                svc.add_org(s, ctx, code, f"Only in {code}", "department", "AK-ALM")
                s.commit()
        one = codes(web.browser("nurlan").get("/overdue").text)
        two = codes(other.browser("nurlan").get("/overdue").text)
        assert "AK-ALM-ONE" in one and "AK-ALM-TWO" not in one
        assert "AK-ALM-TWO" in two and "AK-ALM-ONE" not in two

"""The organisation filter of the lists: a text field sending the
organisation's code (`?org=CODE`, so links keep working) with a <datalist> of the first
organisations of the reader's subtree (a national manager's subtree has thousands: the page
stays small) and the others found as she types (GET /orgs/suggest, bounded). The subtree is
cached per database, per viewer's organisation and role, until an organisation is added — by
this web process, another one or the command line. These tests check that the cached filter is
always the one a fresh read gives: after an organisation is added (on the overdue and cases
pages), for an officer and a manager of the same organisation, for two databases with as many
organisations, with an organisation chosen and not, in kk, ru and en; and that the suggestions
hold only her subtree, at most views.ORG_SUGGEST_LIMIT of them."""

from __future__ import annotations

import re
from collections import namedtuple

import pytest
from sqlmodel import Session

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.web_helpers import CALENDAR, DEFINITION, TODAY, Web, build, demo_database, matched
from web.kit import views
from web.kit.access import viewer_for
from workflow import services as svc
from workflow.imports.organisations import import_orgs

LIST = re.compile(r'<datalist id="org-choices" data-testid="org-choices">(.*?)</datalist>', re.S)
FIELD = re.compile(r'<input type="search" name="org" value="([^"]*)" list="org-choices"')
OPTION = re.compile(r'<option value="([^"]*)" label="[^"]*"></option>')


def org_select(page: str) -> str:
    """The organisation filter's choices, as the page has them."""
    return matched(LIST, page).group(1)


def codes(page: str) -> list[str]:
    return OPTION.findall(org_select(page))


def selected(page: str) -> list[str]:
    value = matched(FIELD, page).group(1)
    return [value] if value else []


def subtree(w: Web, login: str) -> list:
    with Session(w.engine) as s:
        viewer = viewer_for(s, svc.get_user(s, login))
        return [r for r in svc.org_rows(s, viewer.org) if viewer.sees_path(r.path)]


def fresh_options(w: Web, login: str, language: str, chosen: str | None = None) -> str:
    """The choices read now, without the cache: the viewer's subtree from the database."""
    return str(views.org_datalist(subtree(w, login), chosen, language))


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
    assert after == OPTION.findall(fresh_options(web, "nurlan", "en"))
    assert set(after) - set(before) == {"AK-ALM-NEW"}
    assert '<option value="AK-ALM-NEW"' in b.get("/cases").text
    assert "AK-ALM-NEW" in [o["code"] for o in b.get("/orgs/suggest?q=alm-new").json()]
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


def test_the_suggestions_hold_her_subtree_only_and_are_bounded(web: Web):
    b = web.browser("nurlan")  # AK-ALM's manager
    mine = {r.code for r in subtree(web, "nurlan")}
    found = b.get("/orgs/suggest?q=").json()
    assert found and {o["code"] for o in found} <= mine
    assert len(found) == min(len(mine), views.ORG_SUGGEST_LIMIT)
    edu = b.get("/orgs/suggest?q=edu").json()
    assert "AK-ALM-EDU" in [o["code"] for o in edu] and {o["code"] for o in edu} <= mine
    assert b.get("/orgs/suggest?q=MF-KGD").json() == []  # another ministry's: not hers
    by_name = web.browser("gulnar").get("/orgs/suggest?q=MF-KGD").json()
    assert by_name[0]["code"] == "MF-KGD" and by_name[0]["name"]


def test_the_choices_are_bounded_whatever_the_subtree():
    rows = [svc_row(f"ORG-{i:05d}") for i in range(5000)]
    markup = str(views.org_datalist(rows, None, "en"))
    assert OPTION.findall(markup) == [r.code for r in rows[:views.ORG_LIST_SIZE]]
    chosen = str(views.org_datalist(rows, "ORG-04999", "en"))  # chosen far down: added last
    assert OPTION.findall(chosen)[-1] == "ORG-04999"
    assert len(OPTION.findall(chosen)) == views.ORG_LIST_SIZE + 1
    found = views.org_suggestions(views.OrgChoices(rows), "org-049", "en")
    assert len(found) == views.ORG_SUGGEST_LIMIT
    assert all(o["code"].startswith("ORG-049") for o in found)
    assert views.org_suggestions(views.OrgChoices(rows), "name of org-00007", "kk") == [
        {"code": "ORG-00007", "name": "Name of ORG-00007 (kk)"}]


def svc_row(code: str):
    return Row(code, f"Name of {code}", f"Name of {code} (kk)", f"Name of {code} (ru)",
               f"/KZ/{code}/")


Row = namedtuple("Row", "code name name_kk name_ru path")


def test_a_list_page_stays_small_at_5000_organisations(web: Web):
    """A manager over 5,000 organisations: the overdue, due and cases pages hold the filter's
    first organisations and one page of rows, not the subtree (≤ 100 KB each)."""
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        import_orgs(s, ctx, [{"code": f"AK-ALM-S{i:04d}", "name": f"School {i} «Үміт»",
                                  "kind": "department", "parent": "AK-ALM"}
                                 for i in range(5000)])
        s.commit()
    b = web.browser("nurlan")  # AK-ALM's manager
    assert len(subtree(web, "nurlan")) > 5000
    for lang in ("kk", "ru", "en"):
        b.cookies.set("merzim_lang", lang)
        for url in ("/overdue", "/due", "/cases"):
            r = b.get(url)
            assert r.status_code == 200, url
            assert len(r.content) <= 100_000, (lang, url, len(r.content))
            if url != "/due":  # (the due page has no organisation filter)
                assert len(codes(r.text)) <= views.ORG_LIST_SIZE + 1, url
    b.cookies.set("merzim_lang", "en")


# -- a name typed into the filter -------------------------------------------------------------

ROW_ORGS = re.compile(r'data-row-org="([^"]*)"')


def test_the_filter_takes_an_organisations_name_as_its_code(web: Web):
    """"Комитет государственных доходов" typed (any case, any of its three names) lists what
    ?org=MF-KGD lists; the field keeps the name she typed; so does the export."""
    b = web.browser("gulnar")
    by_code = b.get("/overdue?org=MF-KGD")
    for typed in ("комитет государственных доходов", "State Revenue Committee", "mf-kgd"):
        page = b.get("/overdue", params={"org": typed})
        assert page.status_code == 200, typed
        assert sorted(ROW_ORGS.findall(page.text)) == sorted(ROW_ORGS.findall(by_code.text))
        assert 'data-testid="org-picked"' not in page.text
        assert FIELD.search(page.text).group(1) in (typed, "MF-KGD")
    assert set(ROW_ORGS.findall(by_code.text)) <= {"MF-KGD", "MF-KGD-ALM", "MF-KGD-ABAI"}
    named = b.get("/overdue.csv", params={"org": "Комитет государственных доходов"})
    assert named.status_code == 200 and named.content == b.get("/overdue.csv?org=MF-KGD").content


def test_a_name_several_organisations_match_offers_each(web: Web):
    """"Департамент государственных доходов" is two departments: the page (no error) names
    both, each a link choosing it; the list is hers unfiltered until she chooses."""
    b = web.browser("gulnar")
    b.cookies.set("merzim_lang", "ru")
    page = b.get("/overdue", params={"org": "департамент государственных доходов",
                                     "sort": "days"})
    assert page.status_code == 200
    offered = re.search(r'data-testid="org-picked">(.*?)</div>', page.text, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)" data-code="([^"]+)">', offered)
    assert sorted(code for _href, code in links) == ["MF-KGD-ABAI", "MF-KGD-ALM"]
    for href, code in links:
        assert "sort=days" in href and f"org={code}" in href
        chosen = b.get("/overdue" + href.replace("&amp;", "&"))
        assert chosen.status_code == 200 and set(ROW_ORGS.findall(chosen.text)) <= {code}
    assert "Под «департамент государственных доходов» подходят несколько" in page.text


def test_a_name_no_organisation_of_hers_matches_says_so(web: Web):
    """No match, or an organisation outside her subtree (as unknown): the list page (no error
    page) says so in her language and lists all of hers, as a 404; the due list too; the
    export is the 404 of an unknown organisation."""
    b = web.browser("nurlan")  # the akimat's manager: the ministry is not hers
    hers = sorted(ROW_ORGS.findall(b.get("/overdue").text))
    for typed in ("Нет такой организации", "Комитет государственных доходов", "MF-KGD"):
        page = b.get("/overdue", params={"org": typed})
        # (404: one outside her subtree answers as one that does not exist)
        assert page.status_code == 404, typed
        said = re.search(r'data-testid="org-picked"><p class="error" role="alert">([^<]*)</p>',
                         page.text)
        assert said and "None of your organisations matches" in said.group(1)
        assert sorted(ROW_ORGS.findall(page.text)) == hers  # the list: all of hers
        due = b.get("/due", params={"org": typed})
        assert due.status_code == 404 and 'data-testid="org-picked"' in due.text
        assert b.get("/overdue.csv", params={"org": typed}).status_code == 404


CASE_LINKS = re.compile(r'href="/cases/(\d+)"')


def test_the_case_list_and_the_overview_take_a_name_as_the_lists_do(web: Web):
    """The case list and the overview read the organisation filter as the overdue list does:
    a name is its code; several matching are each offered; none of hers is said, as a 404 (one
    outside her subtree answers as one that does not exist)."""
    b = web.browser("gulnar")
    b.cookies.set("merzim_lang", "ru")
    for path in ("/cases", "/overview"):
        by_code = b.get(path, params={"org": "MF-KGD"})
        named = b.get(path, params={"org": "комитет государственных доходов"})
        assert named.status_code == by_code.status_code == 200, path
        assert 'data-testid="org-picked"' not in named.text
        assert CASE_LINKS.findall(named.text) == CASE_LINKS.findall(by_code.text), path
        several = b.get(path, params={"org": "департамент государственных доходов"})
        assert several.status_code == 200, path
        offered = re.search(r'data-testid="org-picked">(.*?)</div>', several.text, re.S)
        assert offered, path
        assert sorted(re.findall(r'data-code="([^"]+)"', offered.group(1))) == [
            "MF-KGD-ABAI", "MF-KGD-ALM"], path
    nurlan = web.browser("nurlan")  # the akimat's manager: the ministry is not his
    for path in ("/cases", "/overview"):
        for typed in ("Нет такой организации", "Комитет государственных доходов", "MF-KGD"):
            page = nurlan.get(path, params={"org": typed})
            assert page.status_code == 404, (path, typed)
            assert 'data-testid="org-picked"' in page.text and "Traceback" not in page.text

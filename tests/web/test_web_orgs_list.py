"""The organisations page (/orgs): the administrator reaches it from her menu and finds there
the organisations she administers, searched by code or name (in any language), a page at a
time, each linking to its own page; nobody is shown a link to a page she cannot open."""

from __future__ import annotations

import re

from tests.support.web_helpers import Web


def _listed(text: str) -> list[str]:
    return re.findall(r'data-org="([^"]+)"', text)


def test_the_administrator_reaches_her_organisations_from_the_menu(world: Web):
    admin = world.browser("erlan")  # the administrator of AK-ALM
    home = admin.get("/work").text
    assert 'href="/orgs" data-testid="nav-orgs"' in home
    page = admin.get("/orgs")
    assert page.status_code == 200
    listed = _listed(page.text)
    assert listed[0] == "AK-ALM" and "AK-ALM-EDU" in listed and "AK-ALM-ILE-EDU" in listed
    assert not [c for c in listed if c.startswith("MF")]  # the ministry is not hers
    for code in listed:  # every link opens
        assert f'href="/orgs/{code}"' in page.text
        assert admin.get(f"/orgs/{code}").status_code == 200


def test_the_search_finds_by_code_or_by_name_in_any_language(world: Web):
    admin = world.browser("erlan")
    assert _listed(admin.get("/orgs", params={"q": "ile"}).text) == ["AK-ALM-ILE",
                                                                      "AK-ALM-ILE-EDU"]
    assert _listed(admin.get("/orgs", params={"q": "талгар"}).text) == ["AK-ALM-TLG"]
    assert _listed(admin.get("/orgs", params={"q": "білім"}).text) == ["AK-ALM-EDU",
                                                                       "AK-ALM-ILE-EDU"]
    none = admin.get("/orgs", params={"q": "Ministry"}).text
    assert _listed(none) == [] and 'data-testid="orgs-none"' in none


def test_the_list_is_paged_with_the_search_kept(web: Web):
    from sqlmodel import Session

    from tests.support.register_rows import context
    from workflow import services as svc

    with Session(web.engine) as s:  # 60 district departments under the region
        for n in range(60):
            svc.add_org(s, context(), f"AK-ALM-D{n:02}", f"District department {n:02}",
                        "department", "AK-ALM")
        s.commit()
    admin = web.browser("erlan")
    first = admin.get("/orgs", params={"q": "district department"})
    assert 'data-testid="orgs-total">60<' in first.text
    assert len(_listed(first.text)) == 50 and 'href="?q=district+department&amp;page=2"' in first.text
    second = admin.get("/orgs", params={"q": "district department", "page": 2}).text
    assert _listed(second) == [f"AK-ALM-D{n}" for n in range(50, 60)]


def test_others_see_only_what_they_may_open_and_no_menu_link(world: Web):
    for login, mine in (("asel", ["AK-ALM-EDU"]), ("gulnar", None)):
        browser = world.browser(login)
        assert 'data-testid="nav-orgs"' not in browser.get("/work").text
        listed = _listed(browser.get("/orgs").text)
        if mine is not None:
            assert listed == mine
        else:
            assert "MF-KGD" in listed and not [c for c in listed if c.startswith("AK")]
        for code in listed:
            assert browser.get(f"/orgs/{code}").status_code == 200

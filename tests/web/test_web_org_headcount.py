"""An organisation's page (/orgs/CODE): its kind, parent, the organisations under it and its
headcount, which an administrator of an organisation above it sets there (audited), for the
consolidated shares (B-20). Only her subtree; only an administrator; a bad number is refused
in the reader's language and changes nothing."""

from __future__ import annotations

import pytest

from tests.support.web_helpers import (  # noqa: F401 - fixtures registered by name
    Web,
    csrf_of,
)


def test_an_administrator_sets_the_headcount_on_the_page(web: Web):
    admin = web.browser("erlan")  # the administrator of AK-ALM
    page = admin.get("/orgs/AK-ALM-EDU")
    assert page.status_code == 200
    assert 'data-testid="org-headcount-form"' in page.text
    assert 'data-testid="org-headcount">85<' in page.text  # the demo's
    since = web.last_audit()
    r = admin.post("/orgs/AK-ALM-EDU/headcount", data={"headcount": " 120 ",
                                                       "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/orgs/AK-ALM-EDU?saved=1"
    shown = admin.get("/orgs/AK-ALM-EDU?saved=1").text
    assert 'data-testid="org-headcount">120<' in shown and 'data-testid="org-saved"' in shown
    assert web.audit_since(since) == [("web:erlan", "org.headcount",
                                       {"code": "AK-ALM-EDU", "before": 85, "headcount": 120})]
    # the region's page lists it with its headcount
    assert "AK-ALM-EDU, Headcount (staff): 120)" in admin.get("/orgs/AK-ALM").text
    # cleared again: not known
    r = admin.post("/orgs/AK-ALM-EDU/headcount", data={"headcount": "",
                                                       "csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert 'data-testid="org-headcount">not known<' in admin.get("/orgs/AK-ALM-EDU").text


@pytest.mark.parametrize("lang, words", [("en", "whole number"), ("ru", "целым числом"),
                                         ("kk", "бүтін сан")])
def test_refusals_change_nothing(web: Web, lang, words):
    reader = web.client(lang=lang)  # the administrator, reading in `lang`
    assert web.post_login(reader, "erlan").status_code == 303
    csrf = csrf_of(reader.get("/orgs/AK-ALM-EDU").text)
    before = web.dump()
    r = reader.post("/orgs/AK-ALM-EDU/headcount", data={"headcount": "-4", "csrf": csrf})
    assert r.status_code == 422 and words in r.text and "Traceback" not in r.text
    assert 'value="-4"' in r.text  # what she typed, to correct
    assert web.dump() == before
    admin = web.browser("erlan")
    csrf = csrf_of(admin.get("/orgs/AK-ALM-EDU").text)
    others = {who: web.browser(who) for who in ("nurlan", "asel")}  # signed in first
    tokens = {who: csrf_of(b.get("/account").text) for who, b in others.items()}
    before = web.dump()
    for who, code, status in (("erlan", "MF-KGD", 404),        # not her subtree
                              ("erlan", "NO-SUCH-ORG", 404),
                              ("nurlan", "AK-ALM-EDU", 404),   # a manager: not an admin
                              ("asel", "AK-ALM-EDU", 404)):    # an officer
        b = admin if who == "erlan" else others[who]
        token = csrf if who == "erlan" else tokens[who]
        r = b.post(f"/orgs/{code}/headcount", data={"headcount": "10", "csrf": token})
        assert r.status_code == status, (who, code, r.status_code)
        assert web.dump() == before, (who, code)
    r = admin.post("/orgs/AK-ALM-EDU/headcount", data={"headcount": "10", "csrf": "wrong"})
    assert r.status_code == 409 and web.dump() == before
    # who sees the page: her subtree only; the form is the administrator's
    assert others["asel"].get("/orgs/AK-ALM-EDU").status_code == 200
    assert 'org-headcount-form' not in others["asel"].get("/orgs/AK-ALM-EDU").text
    assert others["asel"].get("/orgs/MF").status_code == 404
    assert web.client().get("/orgs/AK-ALM-EDU").status_code == 303  # anonymous: to the login


def test_an_organisation_page_links_only_to_the_pages_its_reader_may_open(web: Web):
    """The district akimat's officer sees her organisation's page name the department under
    it without a link (its page is not hers to open: 404); the manager above both has the
    link, and it opens."""
    officer, manager = web.browser("saule"), web.browser("nurlan")
    page = officer.get("/orgs/AK-ALM-ILE")
    assert page.status_code == 200
    below = page.text.split('data-testid="org-below"', 1)[1].split("</ul>", 1)[0]
    assert "AK-ALM-ILE-EDU" in below and "<a " not in below
    assert officer.get("/orgs/AK-ALM-ILE-EDU").status_code == 404
    below = manager.get("/orgs/AK-ALM-ILE").text.split('data-testid="org-below"', 1)[1]
    assert '<a href="/orgs/AK-ALM-ILE-EDU">' in below.split("</ul>", 1)[0]
    assert manager.get("/orgs/AK-ALM-ILE-EDU").status_code == 200

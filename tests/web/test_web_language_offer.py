"""The language chosen on the sign-in page wins over the profile's, and the pages offer to
save it (a POST with CSRF, audited as any change of a user; "no" is remembered); the
real application on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

from sqlmodel import Session

from tests.support.web_helpers import Web, csrf_of
from workflow import services as svc
from workflow.i18n import Translator

OFFER = 'data-testid="lang-offer"'


def _language_of(web: Web, login: str) -> str:
    with Session(web.engine) as s:
        return svc.get_user(s, login).language


def _sign_in(web: Web, login: str, query: str = "") -> tuple[object, object]:
    """An anonymous browser without a language cookie signs in from /login{query}."""
    c = web.client(lang=None)
    form = c.get(f"/login{query}")
    assert form.status_code == 200
    hidden = re.search(r'name="lang" value="([a-z]+)"', form.text)
    data = {"login": login, "password": web.ensure_password(login), "csrf": csrf_of(form.text),
            "next": "/account"}
    if hidden:
        data["lang"] = hidden.group(1)
    r = c.post("/login", data=data)
    assert r.status_code == 303, r.text[:500]
    return c, r


def test_the_sign_in_pages_language_wins_and_is_offered_to_save(web: Web):
    assert _language_of(web, "asel") == "kk"
    c, _r = _sign_in(web, "asel", "?lang=en")
    page = c.get("/account")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text  # the page's choice, not the profile's kk
    assert OFFER in page.text
    # the whole question on a wide screen, the short one on a phone (the page's CSS shows one)
    found = re.search(r'<span class="wide-only">([^<]*)</span>\s*<span class="narrow-only">'
                      r'([^<]*)</span>\s*<button[^>]*lang-offer-save', page.text)
    en = Translator("en")
    assert [html.unescape(x) for x in found.groups()] == [
        en("web.lang_offer", profile="Қазақша"), en("web.lang_offer_short")]
    assert _language_of(web, "asel") == "kk"  # nothing saved by signing in

    # a wrong CSRF token: refused, nothing changed
    before = web.dump()
    r = c.post("/account/language", data={"csrf": "forged", "lang": "en", "answer": "save"})
    assert r.status_code == 409  # the CSRF refusal of every form
    assert _language_of(web, "asel") == "kk"
    # an unknown language: refused in words, nothing changed
    since = web.last_audit()
    r = c.post("/account/language", data={"csrf": csrf_of(page.text), "lang": "fr",
                                           "answer": "save"})
    assert r.status_code == 422 and "fr" in html.unescape(r.text)
    assert _language_of(web, "asel") == "kk"
    assert [x for _a, x, _p in web.audit_since(since)] == ["refused"]

    since = web.last_audit()
    r = c.post("/account/language", data={"csrf": csrf_of(page.text), "lang": "en",
                                           "answer": "save", "next": "/account"})
    assert (r.status_code, r.headers["location"]) == (303, "/account")
    assert _language_of(web, "asel") == "en"
    assert [(x, p.get("login"), p.get("language")) for _a, x, p in web.audit_since(since)] == [
        ("user.set", "asel", "en")]
    assert OFFER not in c.get("/account").text  # answered: asked no more
    assert web.dump() != before  # the profile changed


def test_keeping_the_profiles_language_is_remembered(web: Web):
    c, _r = _sign_in(web, "asel", "?lang=ru")
    page = c.get("/account")
    assert '<html lang="ru">' in page.text and OFFER in page.text
    before = web.dump()
    r = c.post("/account/language", data={"csrf": csrf_of(page.text), "lang": "ru",
                                           "answer": "keep"})
    assert r.status_code == 303
    assert web.dump() == before and _language_of(web, "asel") == "kk"
    after = c.get("/account")
    assert '<html lang="ru">' in after.text and OFFER not in after.text
    # signing in again in Russian on this browser: not offered again
    form = c.get("/login?lang=ru")
    r = c.post("/login", data={"login": "asel", "password": web.ensure_password("asel"),
                               "csrf": csrf_of(form.text), "lang": "ru", "next": "/account"})
    assert r.status_code == 303
    assert OFFER not in c.get("/account").text


def test_no_offer_without_a_choice_or_when_it_is_the_profiles(web: Web):
    c, _r = _sign_in(web, "asel")  # no language chosen: the profile's
    page = c.get("/account")
    assert '<html lang="kk">' in page.text and OFFER not in page.text
    c, _r = _sign_in(web, "asel", "?lang=kk")  # chosen, and the profile's already
    assert OFFER not in c.get("/account").text

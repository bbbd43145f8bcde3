"""Issue 29's web leftovers over HTTP (the real application on SQLite and PostgreSQL):

* the language chosen on the sign-in page wins over the profile's, and the pages offer to save
  it (a POST with CSRF, audited as any change of a user; "no" is remembered);
* the open-a-case form is like the recording forms: required inputs marked, every problem at
  once in the reader's language, values kept, nothing stored; its button opens the case;
* the reminder-preference page names the stages (not their keys), grouped by procedure.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session

from tests.web_helpers import TODAY, Web, csrf_of, web_fixture  # noqa: F401
from workflow import services as svc
from workflow.i18n import LANGUAGES, Translator

OFFER = 'data-testid="lang-offer"'
FIELD_ERROR = re.compile(r'<span class="field-error" id="open-([a-z_]+)-error">([^<]*)</span>')
REFUSALS = re.compile(r'data-testid="refusal">([^<]*)<')


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
    offer = html.unescape(re.search(r'<span>([^<]*)</span>\s*<button[^>]*lang-offer-save',
                                    page.text).group(1))
    assert offer == Translator("en")("web.lang_offer", profile="Қазақша")
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


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_open_case_form_shows_every_problem_at_once(web: Web, lang: str):
    t = Translator(lang)
    b = web.browser("asel")
    b.cookies.set("merzim_lang", lang)
    form = b.get("/cases/new/internal_risk_analysis")
    assert form.status_code == 200
    text = html.unescape(form.text)
    assert "novalidate" in form.text
    assert t("record.required_legend") in text
    assert f'data-testid="open-submit">{t("web.open_case_submit")}</button>' in text
    assert t("web.save") not in re.search(r'data-testid="open-form".*?</form>', text,
                                          re.S).group(0)
    assert form.text.count('<span class="req" aria-hidden="true">*</span>') == 2  # object, date
    before = web.dump()
    since = web.last_audit()
    # nothing of what it needs, and a wrong date elsewhere: every problem, each by its input
    r = b.post("/cases/new/internal_risk_analysis",
               data={"csrf": csrf_of(form.text), "object": "", "date_start": ""})
    assert r.status_code == 422
    listed = [html.unescape(m) for m in REFUSALS.findall(r.text)]
    beside = {name: html.unescape(msg) for name, msg in FIELD_ERROR.findall(r.text)}
    assert set(beside) == {"object", "date_start"}, beside
    assert len(listed) == 2 and set(listed) == set(beside.values()), (listed, beside)
    assert 'data-testid="problems"' in r.text
    assert t.n("record.problems", 2) in html.unescape(r.text)
    assert all("--" not in m for m in listed)  # the web's words, not the command line's
    assert web.dump() == before  # nothing stored
    assert [(x, p.get("key")) for _a, x, p in web.audit_since(since)] == [
        ("refused.open", "error.object_required")]

    # a malformed date is told beside it, and the object chosen is kept
    r = b.post("/cases/new/internal_risk_analysis",
               data={"csrf": csrf_of(form.text), "object": "AK-ALM-EDU",
                     "date_start": "2025-02-30"})
    assert r.status_code == 422
    beside = {name: html.unescape(msg) for name, msg in FIELD_ERROR.findall(r.text)}
    assert set(beside) == {"date_start"}
    assert re.search(r'<option value="AK-ALM-EDU" selected>', r.text)
    assert 'value="2025-02-30"' in r.text
    assert web.dump() == before


def test_the_preference_page_names_the_stages_by_procedure(web: Web):
    b = web.browser("asel")
    page = b.get("/account/reminders")
    assert page.status_code == 200
    defn = web.app.state.registry.get("internal_risk_analysis")
    select = re.search(r'data-testid="snooze-stage">(.*?)</select>', page.text, re.S)
    assert select, page.text[:3000]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select.group(1), re.S)
    assert [html.unescape(g) for g, _o in groups] == [defn.name("en")]
    options = re.findall(r'<option value="(\d+):([a-z_0-9]+)">([^<]*)</option>', groups[0][1])
    assert options
    for case, stage, label in options:
        assert html.unescape(label).startswith(f"#{case} · {defn.stage_name(stage, 'en')} · ")
        assert stage not in label  # the name, not the key
    case, stage, _label = options[0]
    until = TODAY.replace(year=TODAY.year + 1).isoformat()
    r = b.post("/account/reminders/snooze", data={"csrf": csrf_of(page.text),
                                                  "item": f"{case}:{stage}", "until": until})
    assert (r.status_code, r.headers["location"]) == (303, "/account/reminders")
    after = b.get("/account/reminders").text
    holds = re.search(r'data-testid="holds">(.*?)</div>', after, re.S).group(1)
    assert f"<h3>{html.escape(defn.name('en'))}</h3>" in holds
    assert html.escape(defn.stage_name(stage, "en")) in holds
    assert f"stage {stage}:" not in holds

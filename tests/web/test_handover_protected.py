"""P-26 on the web: a whistleblower's case (its person shown to its responsible officer alone)
is handed over only by her -- or, once she has left, by an administrator -- whichever way it is
asked: the case page's form, the bulk bar, the bulk API. An officer of the organisation cannot
make herself (or anyone) responsible for it, a manager above who may not see the person cannot
choose who will: each refusal is in the reader's words and changes nothing. The picker is
offered only to one who may hand the case over. The hand-over done, the case's history names
who now sees the person and the previous officer is told, without the person's name.

The world: the demo plus tests/support/person_helpers.py's four cases about a person in
AK-ALM-EDU (the whistleblower's, `wb`, is kairat's; asel is the department's other officer,
zhanna its manager, nurlan the manager above, erlan the akimat's administrator). On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, select

from tests.support.person_helpers import PERSON, add_person_cases
from tests.support.web_helpers import CALENDAR, Web, _settings, csrf_of, en
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.storage.models import Case, OutboxMessage, User

REFUSED = re.compile(r'<li data-item="([^"]+)"><a href="/cases/\d+">#\d+</a>(?: \(([^)]*)\))?: '
                     r'([^<]*)</li>')


@pytest.fixture(name="hw")
def handover_world(web: Web, tmp_path) -> Web:
    """The `web` fixture's demo (a fresh copy, both backends) with the four person cases, its
    application with every definition."""
    ids = add_person_cases(web.engine)
    app = create_app(_settings(tmp_path, str(web.engine.url)), web.engine, CALENDAR,
                     load_registry())
    return Web(web.engine, app, {**web.analyses, **ids}, web.programmes,
               _passwords=web._passwords)


def responsible(w: Web, case_id: int) -> str | None:
    with Session(w.engine) as s:
        case = s.get_one(Case, case_id)
        return s.get_one(User, case.responsible_id).login if case.responsible_id else None


def picker(page: str) -> str | None:
    if 'data-testid="assign-form"' not in page:
        return None
    part = page[page.index('data-testid="assign-form"'):]
    return part[:part.index("</form>")]


def post_bulk(w: Web, b, items: list[str], login: str):
    csrf = csrf_of(b.get("/work").text)
    return b.post("/bulk", data={"csrf": csrf, "action": "assign", "back": "/work",
                                 "item": items, "login": login},
                  files={"files": ("", b"")})


def test_no_one_takes_a_whistleblowers_case_over_by_any_path(hw: Web):
    wb = hw.analyses["wb"]
    logins = ("asel", "zhanna", "nurlan", "erlan")
    browsers = {login: hw.browser(login) for login in logins}  # (signed in: sessions stored)
    apis = {login: hw.api(login) for login in (*logins, "askar")}  # (tokens stored)
    before = hw.dump()
    for login in logins:
        b = browsers[login]
        page = b.get(f"/cases/{wb}")
        assert page.status_code == 200
        assert picker(page.text) is None, login  # not offered
        # the case page's form, posted anyway: refused in her words, nothing stored
        r = b.post(f"/cases/{wb}/assign", data={"csrf": csrf_of(page.text), "login": "asel"})
        assert r.status_code == 409, (login, r.status_code)
        assert html.escape(en("handover.protected_responsible"), quote=True) in r.text \
            or en("handover.protected_responsible") in html.unescape(r.text), login
        # the bulk bar and the bulk API: all or nothing, the same reason
        r = post_bulk(hw, b, [str(wb)], "asel")
        assert r.status_code == 409
        assert [(i, m) for i, _s, m in REFUSED.findall(html.unescape(r.text))] == [
            (str(wb), en("handover.protected_responsible"))], login
        r = apis[login].post("/api/v1/bulk/assign",
                             json={"items": [{"case": wb}], "login": "asel"})
        assert r.status_code == 409, r.text
        assert [x["error"] for x in r.json()["refused"]] == ["handover.protected_responsible"]
    assert hw.dump() == before
    assert responsible(hw, wb) == "kairat"
    # outside the tree the case does not exist
    r = apis["askar"].post("/api/v1/bulk/assign", json={"items": [{"case": wb}],
                                                        "login": "asel"})
    assert r.status_code == 409 and r.json()["refused"][0]["error"] == "notfound.analysis"
    assert hw.dump() == before


def test_a_refusal_is_in_the_readers_language(hw: Web):
    wb = hw.analyses["wb"]
    for lang in ("kk", "ru"):
        r = hw.api("zhanna").post(f"/api/v1/bulk/assign?lang={lang}",
                                  json={"items": [{"case": wb}], "login": "asel"})
        assert r.status_code == 409
        message = r.json()["refused"][0]["message"]
        assert message == Translator(lang)("handover.protected_responsible")
        assert message != en("handover.protected_responsible")


def test_the_responsible_officer_hands_it_over_from_its_page(hw: Web):
    wb = hw.analyses["wb"]
    b = hw.browser("kairat")
    page = b.get(f"/cases/{wb}").text
    offered = picker(page)
    assert offered is not None and 'value="asel"' in offered
    r = b.post(f"/cases/{wb}/assign", data={"csrf": csrf_of(page), "login": "asel"})
    assert r.status_code == 303, r.text
    assert responsible(hw, wb) == "asel"
    # the history (on the page of the one who now sees the person) names who sees it now
    shown = hw.browser("asel").get(f"/cases/{wb}").text
    assert PERSON["wb"][0] in shown
    assert en("history.disclosed", login="asel") in html.unescape(shown)
    # kairat no longer sees the person, nor hands it over
    again = b.get(f"/cases/{wb}").text
    assert PERSON["wb"][0] not in again and picker(again) is None
    # and she was told, without the person's name
    with Session(hw.engine) as s:
        kairat = svc.get_user(s, "kairat")
        told = list(s.exec(select(OutboxMessage).where(OutboxMessage.recipient_id == kairat.id,
                                                       OutboxMessage.digest.like("handover:%"))))
    assert told and all(PERSON["wb"][0] not in m.body_text + m.subject + m.body_html
                        and PERSON["wb"][1] not in m.body_text for m in told)


def test_once_she_has_left_an_administrator_hands_it_over_in_bulk(hw: Web):
    wb = hw.analyses["wb"]
    with Session(hw.engine) as s:
        kairat = svc.get_user(s, "kairat")
        kairat.active = False
        s.add(kairat)
        s.commit()
    api = hw.api("asel")
    before = hw.dump()
    r = api.post("/api/v1/bulk/assign", json={"items": [{"case": wb}], "login": "asel"})
    assert r.status_code == 409 and r.json()["refused"][0]["error"] == "handover.protected_left"
    assert hw.dump() == before
    erlan = hw.browser("erlan")
    assert picker(erlan.get(f"/cases/{wb}").text) is not None  # offered to the admin now
    r = post_bulk(hw, erlan, [str(wb)], "asel")
    assert r.status_code == 200, r.text
    assert responsible(hw, wb) == "asel"

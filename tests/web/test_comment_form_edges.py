"""The comment form's edges on the case page: it suggests the people who may read the
comments by name as she types (a <datalist>, no script; `comments.mentionable`, from
`readers_of`), a person picked by name is mentioned as her @login would be, and a plain
@login still works; a refused comment comes back in the form with its text and the reason,
nothing stored; comment times are in the configured time zone, as the history's; a
whistleblower's case suggests nobody to one who may not see her, and never her name."""

from __future__ import annotations

import html
import re
from datetime import datetime

from sqlmodel import Session, select

from tests.support.web_helpers import CALENDAR, Web, _settings, csrf_of
from workflow.storage.models import CaseComment, CommentMention, User


def _suggested(page: str) -> list[str]:
    if 'data-testid="comment-people"' not in page:
        return []
    part = page[page.index('data-testid="comment-people"'):]
    return re.findall(r'<option value="([^"]+)">', part[:part.index("</datalist>")])


def _mentions(web: Web) -> list[str]:
    with Session(web.engine) as s:
        return [s.get(User, m.user_id).login for m in s.exec(select(CommentMention))]


def test_the_form_suggests_by_name_those_who_read_the_comments(web: Web):
    edu = web.analyses["edu"]
    page = html.unescape(web.browser("asel").get(f"/cases/{edu}").text)
    suggested = _suggested(page)
    assert "Erlan Tulegenov (@erlan)" in suggested and "Nurlan Iskakov (@nurlan)" in suggested
    assert not [x for x in suggested if "@asel" in x]  # not herself
    assert not [x for x in suggested if "@marat" in x or "@gulnar" in x]  # cannot see it


def test_a_person_picked_by_name_is_mentioned_and_a_plain_login_still_works(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    csrf = csrf_of(asel.get(f"/cases/{edu}").text)
    r = asel.post(f"/cases/{edu}/comments", data={"csrf": csrf, "text": "please check",
                                                 "mention": "Nurlan Iskakov (@nurlan)"})
    assert r.status_code == 303
    r = asel.post(f"/cases/{edu}/comments", data={"csrf": csrf, "text": "and you",
                                                 "mention": "erlan tulegenov"})  # typed
    assert r.status_code == 303
    r = asel.post(f"/cases/{edu}/comments", data={"csrf": csrf, "text": "@dana look"})
    assert r.status_code == 303
    assert sorted(_mentions(web)) == ["dana", "erlan", "nurlan"]
    with Session(web.engine) as s:
        bodies = [c.body for c in s.exec(select(CaseComment).order_by(CaseComment.id))]
    assert bodies == ["please check\n@nurlan", "and you\n@erlan", "@dana look"]


def test_a_refused_comment_keeps_its_text_and_says_why(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    csrf = csrf_of(asel.get(f"/cases/{edu}").text)
    before = web.dump()
    for data, words in (
            ({"text": "A long careful note for @marat"}, "marat"),  # may not see the case
            ({"text": "A long careful note", "mention": "Marat Ospanov"},
             "No one called “Marat Ospanov” may see case"),
            ({"text": "x" * 2001}, None)):  # too long (2,000 at most)
        r = asel.post(f"/cases/{edu}/comments", data={"csrf": csrf, **data})
        assert r.status_code in (409, 422), data
        page = html.unescape(r.text)
        assert 'data-testid="comment-refused"' in page and "Traceback" not in page
        kept = page[page.index('id="comment-text"'):]
        assert data["text"] + "</textarea>" in kept, data
        if "mention" in data:
            assert f'value="{data["mention"]}"' in kept
        if words:
            assert words in page
        assert web.dump() == before


def test_comment_times_are_in_the_configured_time_zone(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    csrf = csrf_of(asel.get(f"/cases/{edu}").text)
    asel.post(f"/cases/{edu}/comments", data={"csrf": csrf, "text": "timed"})
    page = asel.get(f"/cases/{edu}").text
    item = page[page.index('data-testid="comment"'):]
    at, shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', item).groups()
    tz = web.app.state.settings.tz
    assert shown == datetime.fromisoformat(at).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    assert str(tz) == "Asia/Almaty" and shown != at[:16].replace("T", " ")  # not UTC


def test_a_whistleblowers_case_suggests_only_who_sees_her_and_never_her_name(web: Web,
                                                                             tmp_path):
    from tests.support.person_helpers import PERSON, add_person_cases
    from web.app import create_app
    from workflow.definitions import load_registry

    ids = add_person_cases(web.engine)
    app = create_app(_settings(tmp_path, str(web.engine.url)), web.engine, CALENDAR,
                     load_registry())
    w = Web(web.engine, app, {**web.analyses, **ids}, web.programmes, _passwords=web._passwords)
    name = PERSON["wb"][0]
    for login in ("nurlan", "erlan", "asel"):  # may not see the person: no list at all
        page = w.browser(login).get(f"/cases/{ids['wb']}").text
        assert _suggested(page) == [] and name not in page, login
    kairat = w.browser("kairat")
    own = kairat.get(f"/cases/{ids['wb']}").text  # her responsible officer
    assert name in own and name not in str(_suggested(own))
    assert _suggested(own) == []  # nobody else may read its comments
    csrf = csrf_of(own)
    before = w.dump()
    r = kairat.post(f"/cases/{ids['wb']}/comments",
                    data={"csrf": csrf, "text": "note", "mention": "Erlan Tulegenov"})
    assert r.status_code == 409 and w.dump() == before


def test_a_withdrawn_cases_banner_names_who_withdrew_it_on_her_local_day(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    csrf = csrf_of(asel.get(f"/cases/{edu}").text)
    done = asel.post(f"/cases/{edu}/withdraw",
                     data={"csrf": csrf, "reason": "opened twice", "confirm": "yes"})
    assert done.status_code == 303
    page = html.unescape(asel.get(f"/cases/{edu}").text)
    banner = re.search(r'data-testid="withdrawn">([^<]+)<', page).group(1)
    with Session(web.engine) as s:
        from workflow.storage.models import Case

        at = s.get(Case, edu).withdrawn_at
    day = datetime.fromisoformat(str(at)).astimezone(web.app.state.settings.tz).date() \
        if not isinstance(at, datetime) else at.astimezone(web.app.state.settings.tz).date()
    assert banner.startswith(f"Withdrawn on {day.isoformat()} by Asel Nurpeisova:"), banner

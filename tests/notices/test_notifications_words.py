"""The notification centre and the reminder preferences in words: a date on /notifications is
one value that does not wrap (a <time>), a case's period by its name; saving the preferences
says so; a list of days before a due date names every bad value, counted in the reader's
language; muting a case that is not hers is refused on the same page, nothing stored."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.web_helpers import TODAY, Web, csrf_of, web_fixture  # noqa: F401
from workflow.storage.models import Case, Stage, User

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

CODE = re.compile(r"\b20\d\d(?:Q[1-4]|H[12]|M\d\d)\b")


def an_officer_with_overdue(w: Web) -> tuple[str, int]:
    """An officer of the demo with an open stage past its due date on a case she answers for
    (hers, or her organisation's with no one responsible), and how many such stages."""
    with Session(w.engine) as s:
        officers = s.exec(select(User).where(User.role == "officer", User.active)).all()
        rows = s.exec(select(Stage, Case).join(Case, Case.id == Stage.case_id)).all()
        for user in sorted(officers, key=lambda u: u.login):
            found = [st for st, case in rows
                     if (case.responsible_id == user.id
                         or (case.responsible_id is None
                             and case.subject_id == user.organisation_id))
                     and case.withdrawn_at is None and st.status == "open"
                     and st.due_date is not None and st.due_date < TODAY]
            if found:
                return user.login, len(found)
    raise AssertionError("the demo has an officer with overdue stages")


def _client(web: Web, login: str, lang: str):
    b = web.client(lang=lang)
    web.post_login(b, login)
    return b


def _refused(web, lang: str, path: str, data: dict[str, str], status: int) -> tuple[str, str]:
    """`data` sent to `path` from the reminder preferences by an officer reading `lang`:
    answered `status`, nothing stored; the page (unescaped) and its error's words."""
    login, _overdue = an_officer_with_overdue(web)
    b = _client(web, login, lang)
    csrf = csrf_of(b.get("/account/reminders").text)
    before = web.dump()
    r = b.post(path, data={"csrf": csrf, **data})
    assert r.status_code == status
    assert web.dump() == before
    text = html.unescape(r.text)
    return text, text.split('data-testid="prefs-error">', 1)[1].split("</p>", 1)[0]


def test_the_dates_on_the_notifications_are_whole_values(web):
    login, _overdue = an_officer_with_overdue(web)
    for lang in ("kk", "ru", "en"):
        text = html.unescape(_client(web, login, lang).get("/notifications").text)
        table = text.split('data-testid="notices-table"', 1)[1].split("</table>", 1)[0]
        when = re.findall(r'<td data-label="[^"]*">(<time datetime="[0-9-]+">[0-9-]+</time>)</td>',
                          table)
        assert when and len(when) == table.count("<tr data-kind="), table[:1500]
        assert not CODE.search(table)


@pytest.mark.parametrize(("lang", "saved"), [
    ("en", "Your reminder preferences are saved."),
    ("ru", "Настройки напоминаний сохранены."),
    ("kk", "Еске салу баптаулары сақталды.")])
def test_saving_the_preferences_says_so(web, lang, saved):
    login, _overdue = an_officer_with_overdue(web)
    b = _client(web, login, lang)
    page = b.get("/account/reminders").text
    assert 'data-testid="prefs-saved"' not in page
    r = b.post("/account/reminders", data={"csrf": csrf_of(page), "before": "5, 1, 0"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/reminders?saved=1"
    r = b.get(r.headers["location"])
    assert saved in html.unescape(r.text)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "x, 99, -1 are not whole numbers from 0 to"),
    ("ru", "x, 99, -1 — не целые числа от 0 до"),
    ("kk", "x, 99, -1 — 0-ден")])
def test_every_bad_day_count_is_named(web, lang, words):
    text, said = _refused(web, lang, "/account/reminders", {"before": "5, x, 99, 1, -1"}, 422)
    assert words in said, said
    assert {"ru": "(3 значения)", "kk": "(3 мән)", "en": "(3 values)"}[lang] in said
    assert 'data-testid="prefs-saved"' not in text


@pytest.mark.parametrize(("lang", "words"), [("en", "999999"), ("ru", "999999"),
                                             ("kk", "999999")])
def test_muting_no_case_of_hers_is_said_on_the_same_page(web, lang, words):
    text, said = _refused(web, lang, "/account/reminders/mute", {"case": "999999"}, 404)
    assert 'data-testid="prefs-form"' in text  # the preferences page itself, not another
    assert words in said

"""Her own account on the web: a password change ends her other sessions; Telegram linked from
the account page (a one-time code and the bot's deep link, bound when the bot receives
`/start CODE`: the local Bot API test server) and unlinked. An administrator's people page:
a file of people imported (each invited by e-mail; the invitation's link sets a password
once), a password reset by a new invitation; nobody else may. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import html
import io
import re

from sqlmodel import Session, select

from notifications.telegram import TelegramChannel, TelegramSettings
from tests.support.fake_telegram import FakeBotApi
from tests.support.web_helpers import csrf_of, import_confirmed, without_audit
from workflow.reminders.telegram_link import poll_updates
from workflow.services import accounts as auth
from workflow.settings import default_password_checks
from workflow.storage.models import Invitation, OutboxMessage, User, WebSession

TOKEN = "123456:TEST-TOKEN"
INVITE = re.compile(r"/invite/([A-Za-z0-9_-]{30,})")


def _user(web, login: str) -> User:
    with Session(web.engine) as s:
        return s.exec(select(User).where(User.login == login)).one()


def test_a_password_change_asks_the_current_one_and_ends_her_other_sessions(web):
    here, there = web.browser("asel"), web.browser("asel")
    old = web.ensure_password("asel")
    csrf = web.csrf(here)
    r = here.post("/account/password", data={"csrf": csrf, "current": "wrong-password-1",
                                             "new": "brand-new-secret",
                                             "repeated": "brand-new-secret"})
    assert r.status_code == 422 and "The current password is wrong." in r.text
    assert _user(web, "asel").failed_logins == 1  # counted as a wrong sign-in is, nothing else
    before = without_audit(web.engine)
    for current, new, repeated, message in (
            (old, "brand-new-secret", "brand-new-secreT", "The two new passwords differ."),
            (old, "short", "short", None)):
        r = here.post("/account/password", data={"csrf": csrf, "current": current, "new": new,
                                                 "repeated": repeated})
        assert r.status_code == 422, r.text
        assert 'data-testid="account-refused"' in r.text
        if message:
            assert message in r.text
        assert without_audit(web.engine) == before
    assert there.get("/due").status_code == 200

    r = here.post("/account/password", data={"csrf": csrf, "current": old,
                                             "new": "brand-new-secret",
                                             "repeated": "brand-new-secret"})
    assert r.status_code == 200 and "your other sessions have ended" in r.text
    assert here.get("/due").status_code == 200  # this browser has a new session
    gone = there.get("/due")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    with Session(web.engine) as s:
        uid = _user(web, "asel").id
        assert len(s.exec(select(WebSession).where(WebSession.user_id == uid)).all()) == 1
        assert auth.authenticate(s, "asel", old).user is None
        assert auth.authenticate(s, "asel", "brand-new-secret").user is not None


def test_telegram_is_linked_from_the_account_page_through_the_bot_and_unlinked(web):
    settings = web.app.state.settings
    web.app.state.settings = dataclasses.replace(settings, telegram_bot="merzim_test_bot")
    browser = web.browser("marat")
    csrf = web.csrf(browser)
    r = browser.post("/account/telegram", data={"csrf": csrf})
    assert r.status_code == 200
    code = re.search(r"https://t\.me/merzim_test_bot\?start=([A-Z0-9]{8})", r.text).group(1)
    assert f"/start {code}" in r.text
    with FakeBotApi(TOKEN) as api:
        channel = TelegramChannel(TelegramSettings(token=TOKEN, base_url=api.base_url,
                                                   rate_per_second=200))
        api.queue_update(4242, f"/start {code}")
        assert poll_updates(web.engine, channel) == 1
        assert len(api.sent_to(4242)) == 1  # the bot's welcome
    assert _user(web, "marat").telegram_chat_id == "4242"
    page = browser.get("/account").text
    assert 'data-testid="telegram-linked"' in page and "4242" in page
    r = browser.post("/account/telegram/unlink", data={"csrf": csrf})
    assert r.status_code == 303
    marat = _user(web, "marat")
    assert marat.telegram_chat_id is None and not marat.telegram_active
    assert 'data-testid="telegram-linked"' not in browser.get("/account").text


def _upload(browser, csrf: str, text: str, update: bool = False):
    data = {"csrf": csrf, **({"existing": "1"} if update else {})}
    return import_confirmed(browser, "/people/import", data,
                            {"file": ("people.csv", io.BytesIO(text.encode()), "text/csv")})


PEOPLE = ("Аты-жөні,Логин,Электрондық пошта,Рөлі,Ұйым,Тілі\n"
          "Aliya Omarova,aliya,aliya@example.kz,уәкілетті тұлға,AK-ALM-EDU,орыс тілі\n"
          "Ruslan Bekov,ruslan,ruslan@example.kz,басшы,AK-ALM-TLG,kk\n")


def test_only_an_administrator_imports_people_of_her_organisations_and_each_is_invited(web):
    for login in ("asel", "nurlan"):  # an officer, a manager: no such page
        browser = web.browser(login)
        assert browser.get("/people").status_code == 404
        assert _upload(browser, web.csrf(browser), PEOPLE).status_code == 404
    admin = web.browser("erlan")
    assert admin.get("/people").status_code == 200
    csrf = web.csrf(admin)
    before = without_audit(web.engine)
    outside = PEOPLE + "Gaukhar,gaukhar,g@example.kz,officer,MF-KGD,en\n"  # the ministry's
    r = _upload(admin, csrf, outside)
    assert r.status_code == 422
    assert "Row 4, column “Organisation”, value “MF-KGD”: not an organisation you administer" \
        in html.unescape(r.text)
    assert without_audit(web.engine) == before

    r = _upload(admin, csrf, PEOPLE)
    assert r.status_code == 200 and "2 people added (2 invited by e-mail), 0 changed." in r.text
    with Session(web.engine) as s:
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.digest.like("invitation:%"))
                       ).all()
        assert sorted(m.address for m in mails) == ["aliya@example.kz", "ruslan@example.kz"]
    aliya = next(m for m in mails if m.address == "aliya@example.kz")
    assert aliya.subject == "merzim: ваша учётная запись aliya"
    token = INVITE.search(aliya.body_text).group(1)

    anonymous = web.client()
    form = anonymous.get(f"/invite/{token}")
    assert form.status_code == 200 and "aliya" in form.text
    r = anonymous.post(f"/invite/{token}", data={"csrf": csrf_of(form.text),
                                                 "password": "aliya-chose-this",
                                                 "repeated": "aliya-chose-this"})
    # her password chosen, she is signed in and lands on her first page
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert anonymous.get("/work").status_code == 200
    assert web.post_login(web.client(), "aliya", "aliya-chose-this").status_code == 303
    again = anonymous.get(f"/invite/{token}")
    assert again.status_code == 410 and "already been used" in again.text
    r = anonymous.post(f"/invite/{token}", data={"csrf": csrf_of(form.text),
                                                 "password": "someone-elses-try",
                                                 "repeated": "someone-elses-try"})
    assert r.status_code in (410, 422) and "already been used" in r.text
    with Session(web.engine) as s:
        assert auth.authenticate(s, "aliya", "someone-elses-try").user is None


def test_an_administrator_resets_a_password_by_invitation_only_in_her_organisations(web):
    asel = web.browser("asel")
    admin, officer = web.browser("erlan"), web.browser("marat")
    csrf = web.csrf(admin)
    before = without_audit(web.engine)
    r = admin.post("/people/reset", data={"csrf": csrf, "login": "gulnar"})  # the ministry's
    assert r.status_code == 422 and "No user gulnar." in r.text
    assert without_audit(web.engine) == before
    assert officer.post("/people/reset", data={"csrf": web.csrf(officer),
                                               "login": "asel"}).status_code == 404
    assert without_audit(web.engine) == before

    r = admin.post("/people/reset", data={"csrf": csrf, "login": "asel"})
    assert r.status_code == 200 and "asel's password no longer works" in html.unescape(r.text)
    assert asel.get("/due").status_code == 303  # her session ended
    with Session(web.engine) as s:
        assert _user(web, "asel").password_hash is None
        (invited,) = s.exec(select(Invitation).where(Invitation.user_id == _user(web, "asel").id))
        (mail,) = s.exec(select(OutboxMessage).where(OutboxMessage.digest.like("invitation:%")))
    assert auth.digest(INVITE.search(mail.body_text).group(1)) == invited.token_hash
    assert "asel" in mail.subject and mail.address == _user(web, "asel").email


def test_an_xlsx_of_people_changes_an_existing_login_only_when_asked(web):
    from workflow.tabular import table_xlsx

    admin = web.browser("erlan")
    csrf = web.csrf(admin)
    data = table_xlsx("people", ["Full name", "Login", "Role", "Organisation", "Language"],
                      [["Asel Nurpeisova-Kim", "asel", "manager", "Health Department", "English"]])

    def send(update: bool):
        return import_confirmed(admin, "/people/import",
                                {"csrf": csrf, **({"existing": "1"} if update else {})},
                                {"file": ("people.xlsx", io.BytesIO(data),
                                          "application/octet-stream")})

    before = without_audit(web.engine)
    refused = send(False)
    assert refused.status_code == 422
    assert "Row 2, column “Login”, value “asel”: this login exists" in html.unescape(refused.text)
    assert without_audit(web.engine) == before
    r = send(True)
    assert r.status_code == 200 and "0 people added (0 invited by e-mail), 1 changed." in r.text
    asel = _user(web, "asel")
    assert (asel.full_name, asel.role, asel.language) == ("Asel Nurpeisova-Kim", "manager", "en")
    with Session(web.engine) as s:
        assert s.exec(select(Invitation)).all() == []


def test_a_password_change_when_every_check_is_taken_is_told_to_retry_and_changes_nothing(web):
    here = web.browser("asel")
    old = web.ensure_password("asel")
    csrf = web.csrf(here)
    before = web.dump()  # the audit too: nothing was checked, nothing is recorded
    auth.limit_password_checks(1, 0.1)
    try:
        with auth.password_check():  # the process's one check is taken
            r = here.post("/account/password", data={"csrf": csrf, "current": old,
                                                     "new": "brand-new-secret",
                                                     "repeated": "brand-new-secret"})
    finally:
        auth.limit_password_checks(default_password_checks(), 2.0)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
    assert 'data-testid="account-refused"' in r.text
    assert "try again in a moment" in r.text
    assert web.dump() == before
    with Session(web.engine) as s:
        assert auth.authenticate(s, "asel", old).user is not None

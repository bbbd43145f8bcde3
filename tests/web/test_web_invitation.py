"""An invitation names the organisation she is invited for and who invited her, in her
language (kk, ru, en; the days' plural intact); choosing her password through it signs her
in as the sign-in form does (`accounts.authenticate`: its checks, its audit), landing on her
first page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from tests.support.web_helpers import Web, csrf_of
from workflow.storage.models import OutboxMessage, User

INVITE = re.compile(r"/invite/([A-Za-z0-9_-]{30,})")


def _mail(web: Web, login: str) -> OutboxMessage:
    with Session(web.engine) as s:
        user = s.exec(select(User).where(User.login == login)).one()
        return s.exec(select(OutboxMessage).where(OutboxMessage.recipient_id == user.id,
                                                  OutboxMessage.digest.like("invitation:%"))
                      .order_by(OutboxMessage.id.desc())).first()


def _set_language(web: Web, login: str, language: str) -> None:
    with Session(web.engine) as s:
        user = s.exec(select(User).where(User.login == login)).one()
        user.language = language
        s.add(user)
        s.commit()


@pytest.mark.parametrize("language, words", [
    ("kk", ["Erlan Tulegenov сізді merzim-ге «Білім басқармасы» атынан шақырды",
            "7 күннен кейін"]),
    ("ru", ["Erlan Tulegenov приглашает вас в merzim от организации «Управление образования»",
            "через 7 дней"]),
    ("en", ["Erlan Tulegenov has invited you to merzim for Education Department",
            "expires in 7 days"])])
def test_the_invitation_names_her_organisation_and_who_invited_her(web: Web, language, words):
    _set_language(web, "asel", language)
    admin = web.browser("erlan")
    r = admin.post("/people/reset", data={"csrf": web.csrf(admin), "login": "asel"})
    assert r.status_code == 200
    mail = _mail(web, "asel")
    for part in (mail.body_text, mail.body_html):
        for w in words:
            assert w in part, (w, part)
    assert "{" not in mail.body_text  # every placeholder filled


def test_choosing_her_password_signs_her_in_on_her_first_page(web: Web):
    admin = web.browser("erlan")
    admin.post("/people/reset", data={"csrf": web.csrf(admin), "login": "asel"})
    token = INVITE.search(_mail(web, "asel").body_text).group(1)
    she = web.client()
    form = she.get(f"/invite/{token}")
    assert "You are invited to merzim for Education Department." in form.text  # her page too
    since = web.last_audit()
    r = she.post(f"/invite/{token}", data={"csrf": csrf_of(form.text),
                                           "password": "asel-chose-this",
                                           "repeated": "asel-chose-this"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert she.get("/").headers["location"] == "/work"  # an officer's first page
    page = she.get("/work")
    assert page.status_code == 200 and "Asel Nurpeisova" in page.text
    actions = [a for _w, a, _p in web.audit_since(since)]
    assert actions[0] == "user.password" and actions[-2:] == ["user.invite_accepted",
                                                              "login.ok"]  # as the form signs in

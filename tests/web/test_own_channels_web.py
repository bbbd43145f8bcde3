"""Her account on the web (P-27 and the lock-out): wrong current passwords on the password form
count toward the lock-out with wrong sign-ins; the people page leaves a signed-in person's
e-mail and Telegram and says which rows it left so; a change of her e-mail applies only when
she opens the link sent to the new address, signed in as herself."""

from __future__ import annotations

import html
import io
import re

from sqlmodel import Session, select

from tests.support.web_helpers import csrf_of, import_confirmed, without_audit
from workflow.services import accounts as auth
from workflow.storage.models import AuditRecord, EmailChange, OutboxMessage, User

WRONG = "not-her-password-1"
LINK = re.compile(r"/account/email/([A-Za-z0-9_-]{30,})")


def _user(web, login: str) -> User:
    with Session(web.engine) as s:
        return s.exec(select(User).where(User.login == login)).one()


def _change(browser, csrf: str, current: str, new: str = "a-brand-new-secret"):
    return browser.post("/account/password", data={"csrf": csrf, "current": current,
                                                   "new": new, "repeated": new})


def test_wrong_current_passwords_lock_the_account_as_wrong_sign_ins_do(web):
    """MAX_FAILURES wrong current passwords lock the account: her right password then signs
    nobody in, and the form refuses even her right current password, until the lock ends."""
    here = web.browser("asel")
    right = web.ensure_password("asel")
    csrf = web.csrf(here)
    for n in range(1, auth.MAX_FAILURES + 1):
        r = _change(here, csrf, WRONG)
        assert r.status_code == 422 and "The current password is wrong." in r.text
        counted = _user(web, "asel")
        if n < auth.MAX_FAILURES:
            assert (counted.failed_logins, counted.locked_until) == (n, None)
    locked = _user(web, "asel")
    assert locked.locked_until is not None and locked.failed_logins == 0
    with Session(web.engine) as s:
        actions = [r.action for r in s.exec(select(AuditRecord).where(
            AuditRecord.entity == "user", AuditRecord.entity_id == str(locked.id),
            AuditRecord.action.in_(("login.failed", "login.locked")))
            .order_by(AuditRecord.id))]  # (in the order written: PostgreSQL keeps none else)
    assert actions == ["login.failed"] * (auth.MAX_FAILURES - 1) + ["login.locked"]
    other = web.client()
    assert web.post_login(other, "asel", right).status_code == 401
    before = without_audit(web.engine)
    r = _change(here, csrf, right)  # her right password: refused while locked, nothing changed
    assert r.status_code == 422 and "The current password is wrong." in r.text
    after = without_audit(web.engine)
    assert after == before


def test_wrong_sign_ins_and_a_wrong_current_password_share_one_counter(web):
    here = web.browser("asel")
    right = web.ensure_password("asel")
    for _ in range(auth.MAX_FAILURES - 1):
        assert web.post_login(web.client(), "asel", WRONG).status_code == 401
    assert _user(web, "asel").failed_logins == auth.MAX_FAILURES - 1
    assert _change(here, web.csrf(here), WRONG).status_code == 422
    assert _user(web, "asel").locked_until is not None
    assert web.post_login(web.client(), "asel", right).status_code == 401


def test_a_right_current_password_changes_it_and_resets_nothing_else(web):
    here = web.browser("asel")
    right = web.ensure_password("asel")
    assert _change(here, web.csrf(here), WRONG).status_code == 422
    r = _change(here, web.csrf(here), right)
    assert r.status_code == 200
    assert web.post_login(web.client(), "asel", "a-brand-new-secret").status_code == 303


def test_the_people_page_leaves_a_signed_in_persons_channels_and_names_the_rows(web):
    web.browser("asel")  # she has signed in
    before = _user(web, "asel")
    admin = web.browser("erlan")
    text = ("Full name,Login,E-mail,Telegram,Role,Organisation\n"
            f"{before.full_name},asel,erlan@example.kz,4242,{before.role},"
            f"{_org_code(web, before)}\n")
    r = import_confirmed(admin, "/people/import", {"csrf": web.csrf(admin), "existing": "1"},
                         {"file": ("people.csv", io.BytesIO(text.encode()), "text/csv")})
    assert r.status_code == 200, r.text
    page = html.unescape(r.text)
    assert 'data-testid="people-kept"' in page
    assert "Row 2 (asel): E-mail, Telegram left unchanged" in page
    after = _user(web, "asel")
    assert (after.email, after.telegram_chat_id) == (before.email, before.telegram_chat_id)


def _org_code(web, user: User) -> str:
    from workflow.storage.models import Organisation

    with Session(web.engine) as s:
        return s.get_one(Organisation, user.organisation_id).code


def test_her_new_email_applies_when_she_opens_the_link_signed_in_as_herself(web):
    asel = web.browser("asel")
    old = _user(web, "asel").email
    r = asel.post("/account/email", data={"csrf": web.csrf(asel), "email": "asel@new.kz"})
    assert r.status_code == 200 and "A confirmation link was sent to asel@new.kz" in r.text
    assert _user(web, "asel").email == old
    with Session(web.engine) as s:
        mail = s.exec(select(OutboxMessage).where(
            OutboxMessage.digest.startswith("email-change:"))).one()
        assert mail.address == "asel@new.kz"
        token = LINK.search(mail.body_text).group(1)
        assert s.exec(select(EmailChange)).one().token_hash == auth.digest(token)
    link = f"/account/email/{token}"
    anonymous = web.client().get(link)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    other = web.browser("nurlan")  # another's session: refused, nothing changed
    before = without_audit(web.engine)
    assert other.get(link).status_code == 410
    assert other.post(link, data={"csrf": web.csrf(other)}).status_code == 410
    assert without_audit(web.engine) == before
    shown = asel.get(link)
    assert shown.status_code == 200 and 'data-testid="email-confirm"' in shown.text
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    done = asel.post(link, data={"csrf": csrf_of(shown.text)})
    assert done.status_code == 200 and "Your e-mail address is now asel@new.kz." in done.text
    assert _user(web, "asel").email == "asel@new.kz"
    assert asel.post(link, data={"csrf": csrf_of(shown.text)}).status_code == 410  # once

"""The people page lists the people an administrator administers, each with role,
organisation and status (invited until when, no live invitation, active, deactivated:
`services.people.status_of`), searched by name, login or e-mail, filtered by status, a page
at a time; she resends an invitation (the older link ends), deactivates (the person's
sessions end) and reactivates, audited; every refusal in her words, nothing stored."""

from __future__ import annotations

import html
import io
import re

from sqlmodel import Session, select

from tests.support.register_rows import context
from tests.support.web_helpers import Web, csrf_of, import_confirmed
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.services import invitations, people
from workflow.storage.models import Invitation, OutboxMessage

INVITE = re.compile(r"/invite/([A-Za-z0-9_-]{30,})")
PEOPLE = ("name,login,email,role,organisation,language\n"
          "Aliya Omarova,aliya,aliya@example.kz,officer,AK-ALM-EDU,ru\n"
          "Ruslan Bekov,ruslan,ruslan@example.kz,manager,AK-ALM-TLG,kk\n")


def _rows(text: str) -> dict[str, str]:
    return dict(re.findall(r'data-person="([^"]+)" data-status="([^"]+)"', text))


def _import(web: Web, admin) -> None:
    r = import_confirmed(admin, "/people/import", {"csrf": web.csrf(admin)},
                         {"file": ("people.csv", io.BytesIO(PEOPLE.encode()), "text/csv")})
    assert r.status_code == 200, r.text


def _tokens(web: Web, email: str) -> list[str]:
    with Session(web.engine) as s:
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.address == email)
                       .order_by(OutboxMessage.id)).all()
    return [INVITE.search(m.body_text).group(1) for m in mails]


def test_the_status_is_decided_in_one_place():
    assert people.status_of(False, True, None, 10.0) == people.DEACTIVATED
    assert people.status_of(True, True, 20.0, 10.0) == people.ACTIVE
    assert people.status_of(True, False, 20.0, 10.0) == people.INVITED
    assert people.status_of(True, False, 5.0, 10.0) == people.NOT_INVITED
    assert people.status_of(True, False, None, 10.0) == people.NOT_INVITED


def test_the_people_page_lists_her_people_with_role_organisation_and_status(web: Web):
    with Session(web.engine) as s:  # added on the command line, never invited
        svc.add_user(s, context(), "kanat", "Kanat Ali", "officer", "AK-ALM-KRS")
        s.commit()
    admin = web.browser("erlan")
    _import(web, admin)
    page = admin.get("/people").text
    listed = _rows(page)
    assert set(listed) == {"asel", "marat", "saule", "timur", "nurlan", "dana", "erlan",
                           "aliya", "ruslan", "kanat"}  # not the ministry's people
    assert listed["erlan"] == listed["asel"] == "active" and listed["aliya"] == "invited"
    assert listed["kanat"] == "not_invited"
    row = page[page.index('data-person="ruslan"'):]
    row = html.unescape(row[:row.index("</tr>")])
    assert "Ruslan Bekov" in row and ">manager<" in row and "Akimat of Talgar district" in row
    assert re.search(r"Invited \(the link works until \d{4}-\d\d-\d\d \d\d:\d\d\)", row)
    invited = admin.get("/people", params={"status": "invited"}).text
    assert set(_rows(invited)) == {"aliya", "ruslan"}
    for q, found in (("omarova", {"aliya"}), ("RUSLAN@example", {"ruslan"}), ("mar", {"marat",
                     "aliya"}), ("nobody-such", set())):
        assert set(_rows(admin.get("/people", params={"q": q}).text)) == found, q


def test_the_list_is_paged(web: Web):
    with Session(web.engine) as s:
        for n in range(55):
            svc.add_user(s, context(), f"clerk{n:02}", f"Clerk {n:02}", "officer", "AK-ALM-ILE")
        s.commit()
    admin = web.browser("erlan")
    first = admin.get("/people", params={"q": "clerk"}).text
    assert 'data-testid="people-total">55<' in first and len(_rows(first)) == 50
    second = admin.get("/people", params={"q": "clerk", "page": "2"}).text
    assert sorted(_rows(second)) == [f"clerk{n}" for n in range(50, 55)]


def _a_minute_later(web: Web) -> None:
    """Every invitation made a minute earlier than it was: one may be sent again
    (`people.RESEND_SECONDS`)."""
    with Session(web.engine) as s:
        for row in s.exec(select(Invitation)):
            row.created_at -= people.RESEND_SECONDS + 1
            s.add(row)
        s.commit()


def test_a_resent_invitation_replaces_the_older_link(web: Web):
    admin = web.browser("erlan")
    _import(web, admin)
    (old,) = _tokens(web, "aliya@example.kz")
    _a_minute_later(web)  # invited by the import a minute ago
    since = web.last_audit()
    r = admin.post("/people/aliya/resend?status=invited", data={"csrf": web.csrf(admin)})
    assert r.status_code == 200
    assert "A new invitation for Aliya Omarova was sent to aliya@example.kz" in r.text
    assert set(_rows(r.text)) == {"aliya", "ruslan"}  # the list as she filtered it
    old_, new = _tokens(web, "aliya@example.kz")
    assert old_ == old and new != old
    with Session(web.engine) as s:
        try:
            invitations.invitation_user(s, old)
            raise AssertionError("the older link still works")
        except UsageError as exc:
            assert exc.key == "accounts.invite_used"
        assert invitations.invitation_user(s, new).login == "aliya"
    assert [a for _w, a, _p in web.audit_since(since)] == ["user.invite"]


def test_deactivated_she_is_signed_out_and_reactivated_she_is_listed_active(web: Web):
    asel = web.browser("asel")
    admin = web.browser("erlan")
    since = web.last_audit()
    r = admin.post("/people/asel/active", data={"csrf": web.csrf(admin), "active": "0"})
    assert r.status_code == 200 and "Asel Nurpeisova is deactivated" in r.text
    assert _rows(r.text)["asel"] == "deactivated"
    assert asel.get("/work").status_code == 303  # her session ended
    assert ("web:erlan", "user.set", {"login": "asel", "active": False}) \
        in web.audit_since(since)
    r = admin.post("/people/asel/active", data={"csrf": web.csrf(admin), "active": "1"})
    assert r.status_code == 200 and _rows(r.text)["asel"] == "active"
    r = admin.post("/people/asel/reset?q=asel", data={"csrf": web.csrf(admin)})  # her row's
    assert r.status_code == 200 and _rows(r.text) == {"asel": "invited"}


def test_refusals_are_in_her_words_and_store_nothing(web: Web):
    admin = web.browser("erlan")
    csrf = web.csrf(admin)
    officer = web.browser("asel")
    officer_csrf = web.csrf(officer)
    before = web.dump()
    for url, data, words in (
            ("/people/erlan/active", {"active": "0"}, "You cannot deactivate your own account."),
            ("/people/erlan/resend", {}, "erlan has already chosen a password"),
            ("/people/gulnar/active", {"active": "0"}, "No user gulnar"),  # the ministry's
            ("/people/gulnar/resend", {}, "No user gulnar"),
            ("/people/nobody/resend", {}, "No user nobody"),
            ("/people/marat/active", {"active": "1"}, "marat is already active.")):
        r = admin.post(url, data={"csrf": csrf, **data})
        assert r.status_code == 422, url
        assert words in html.unescape(r.text) and "Traceback" not in r.text, url
        assert web.dump() == before, url
    for url in ("/people/marat/active", "/people/marat/resend",
                "/people/marat/reset"):  # not an administrator
        assert officer.post(url, data={"csrf": officer_csrf, "active": "0"}).status_code == 404
        assert web.dump() == before
    assert admin.post("/people/marat/active", data={"csrf": "forged", "active": "0"}
                      ).status_code in (403, 409)
    assert web.dump() == before
    assert csrf_of(admin.get("/people").text)

"""Every surface asks the one decision of whose channels are whose (services/channels.py):
an invited officer made responsible for a whistleblower's case, who has not signed in yet,
keeps her e-mail through the people page's import, and the page refuses to resend her
invitation or reset her password, in the administrator's words, storing nothing; the command
line refuses the same. A link the administrator had resent to his own address before she
answered for the case opens nothing: its page shows neither her name nor the password form,
and a password sent to it is refused, nothing stored. An invitation resent within a minute is
refused saying in how many seconds it may be. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import re
from datetime import date

from sqlmodel import Session, col, select

from tests.support.register_rows import context
from tests.support.web_helpers import Web, import_confirmed
from web.kit.deps import LOGIN_CSRF_COOKIE
from workflow import services as svc
from workflow.storage.models import Invitation, OutboxMessage, User

PEOPLE = ("name,login,email,role,organisation,language\n"
          "Aliya Omarova,aliya,aliya@example.kz,officer,AK-ALM-EDU,ru\n"
          "Ruslan Bekov,ruslan,ruslan@example.kz,manager,AK-ALM-TLG,kk\n")
CHANGED = ("name,login,email,role,organisation,language\n"
           "Aliya Omarova,aliya,erlan.private@example.kz,officer,AK-ALM-EDU,ru\n")
PROTECTED = "aliya is the responsible officer of a case whose person only she may see"
LINK_REFUSED = ("This sign-in link cannot be used: its account is the responsible officer of a "
                "case whose person only she may see and has never signed in")
INVITE = re.compile(r"/invite/([A-Za-z0-9_-]{30,})")


def _import(web: Web, admin, text: str, update: bool = False):
    data = {"csrf": web.csrf(admin), **({"existing": "1"} if update else {})}
    r = import_confirmed(admin, "/people/import", data,
                         {"file": ("people.csv", io.BytesIO(text.encode()), "text/csv")})
    assert r.status_code == 200, r.text
    return html.unescape(r.text)


def _aliya(web: Web) -> tuple:
    with Session(web.engine) as s:
        return tuple(s.exec(select(User).where(User.login == "aliya")).one()
                     .model_dump().items())


def _a_minute_later(web: Web) -> None:
    with Session(web.engine) as s:
        for row in s.exec(select(Invitation)):
            row.created_at -= 61
            s.add(row)
        s.commit()


def _whistleblowers_case_for_aliya(web: Web) -> int:
    with Session(web.engine) as s:
        case = svc.open_case(s, context(actor="cli:setup"), "whistleblower_protection",
                             "AK-ALM-EDU", person="N. Abdrakhmanov", position="Specialist",
                             responsible="aliya",
                             dates={"application_received": date(2026, 4, 10)})
        s.commit()
        return case.id


def test_the_people_page_keeps_her_email_and_refuses_her_invitation(web: Web, merzim_db):
    admin = web.browser("erlan")
    _import(web, admin, PEOPLE)  # aliya invited; she never opens the link
    _whistleblowers_case_for_aliya(web)
    _a_minute_later(web)
    before = _aliya(web)
    page = _import(web, admin, CHANGED, update=True)
    assert ("Row 2 (aliya): E-mail left unchanged — they are hers (she has signed in, or she "
            "is the responsible officer of a case whose person only she may see), so only she "
            "can change them.") in page
    assert _aliya(web) == before
    dump = web.dump()
    for url, data in (("/people/aliya/resend", {}), ("/people/reset", {"login": "aliya"}),
                      ("/people/aliya/reset", {})):
        r = admin.post(url, data={"csrf": web.csrf(admin), **data})
        assert r.status_code == 422, url
        text = html.unescape(r.text)
        assert PROTECTED + " and has not signed in yet" in text and "Traceback" not in text, url
        assert web.dump() == dump, url
    with Session(web.engine) as s:
        assert not s.exec(select(OutboxMessage).where(
            OutboxMessage.address == "erlan.private@example.kz")).all()
    # the command line asks the same services
    for args in (("user", "reset", "aliya"), ("user", "telegram-link", "aliya"),
                 ("user", "set", "aliya", "--telegram-chat", "999")):
        run = merzim_db(*args)
        assert run.returncode != 0, args
        said = run.stdout + run.stderr
        assert PROTECTED in said and "Traceback" not in said, (args, said)
        assert web.dump() == dump, args
    run = merzim_db("user", "set", "aliya", "--email", "erlan.private@example.kz")
    assert run.returncode == 0, run.stderr
    assert (PROTECTED + ": her e-mail becomes erlan.private@example.kz when she opens the "
            "confirmation link sent there, signed in as herself.") in run.stdout
    assert _aliya(web) == before


def test_the_link_he_resent_to_himself_before_opens_nothing(web: Web):
    """The attack through the pages: aliya invited, the administrator points her e-mail at his
    own by an import and resends her invitation to himself while she is not protected (both
    allowed); then she is made the responsible officer of a whistleblower's case. The link he
    received: its page refuses it (410, no name, no form) in the reader's language, and the
    password he sends through it is refused, only the refusal audited."""
    admin = web.browser("erlan")
    _import(web, admin, PEOPLE)
    _import(web, admin, CHANGED, update=True)  # not protected yet: the administrator's to set
    _a_minute_later(web)
    r = admin.post("/people/aliya/resend", data={"csrf": web.csrf(admin)})
    assert r.status_code == 200, r.text
    with Session(web.engine) as s:
        mail = s.exec(select(OutboxMessage).where(
            OutboxMessage.address == "erlan.private@example.kz",
            col(OutboxMessage.digest).like("invitation:%"))).one()
    found = INVITE.search(mail.body_text)
    assert found
    token = found.group(1)
    assert "Aliya Omarova" in web.client().get(f"/invite/{token}").text  # it works, so far
    _whistleblowers_case_for_aliya(web)
    dump, since = web.dump(), web.last_audit()
    he = web.client()
    page = he.get(f"/invite/{token}")
    text = html.unescape(page.text)
    assert page.status_code == 410 and LINK_REFUSED in text, text
    assert "Aliya Omarova" not in text and 'name="password"' not in text
    csrf = he.cookies.get(LOGIN_CSRF_COOKIE)
    assert csrf
    r = he.post(f"/invite/{token}", data={"csrf": csrf, "password": "erlan-chose-this",
                                          "repeated": "erlan-chose-this"})
    assert r.status_code == 410 and LINK_REFUSED in html.unescape(r.text)  # (as an expired one)
    assert web.dump() == dump
    assert [(a, p) for _w, a, p in web.audit_since(since)] == [
        ("refused.invitation", {"key": "accounts.invite_link_protected"})]
    ru = web.client(lang="ru").get(f"/invite/{token}")
    assert ru.status_code == 410 and "Эту ссылку для входа использовать нельзя" in \
        html.unescape(ru.text)
    assert web.post_login(web.client(), "aliya", "erlan-chose-this").status_code != 303


def test_an_invitation_is_resent_at_most_once_a_minute(web: Web):
    admin = web.browser("erlan")
    _import(web, admin, PEOPLE)  # ruslan invited just now
    dump = web.dump()
    r = admin.post("/people/ruslan/resend", data={"csrf": web.csrf(admin)})
    assert r.status_code == 422
    text = html.unescape(r.text)
    found = re.search(r"An invitation was sent to ruslan less than a minute ago: it can be "
                      r"sent again in (\d+) seconds?\.", text)
    assert found and 1 <= int(found.group(1)) <= 60 and "Traceback" not in text
    assert web.dump() == dump
    _a_minute_later(web)
    r = admin.post("/people/ruslan/resend", data={"csrf": web.csrf(admin)})
    assert r.status_code == 200
    assert "A new invitation for Ruslan Bekov was sent to ruslan@example.kz" in r.text

"""The people preview shows each person's proposed login (made from the e-mail) and role as
fields she may change before confirming, and what she changes is what is stored
(web/people_page.py, workflow/imports/people.py): sent a field a row (no script) or the
changed rows in one field (the page's script); a login she types that cannot be one, is
another row's or is taken is refused naming its row, in her language, nothing stored. On
SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

from sqlmodel import Session, col, select

from tests.support.databases import dump_tables
from tests.support.web_helpers import Web, confirm_fields, csrf_of, web_fixture  # noqa: F401
from workflow.i18n import Translator
from workflow.storage.models import User

DOMAIN = "@logins.example.kz"


def _file() -> bytes:
    lines = ["№ п/п;ФИО;Подразделение;E-mail",
             *(f"{i + 1};Person {i};Акимат Алматинской области;p.person{i}{DOMAIN}"
               for i in range(3))]
    return ("\n".join(lines) + "\n").encode()


def _previewed(web: Web):
    erlan = web.browser("erlan")
    page = erlan.get("/people")
    preview = erlan.post("/people/import", data={"csrf": csrf_of(page.text)},
                         files={"file": ("people.csv", _file(), "text/csv")})
    assert preview.status_code == 200, preview.text[-3000:]
    return erlan, preview


def _stored(web: Web) -> dict[str, tuple[str, str]]:
    with Session(web.engine) as s:
        return {e: (login, role) for login, role, e in s.exec(
            select(User.login, User.role, User.email).where(
                col(User.email).endswith(DOMAIN))).all()}


def _confirmed(web: Web, erlan, data: dict[str, str], *stored: tuple[str, str]) -> None:
    """The preview confirmed with `data`: its rows stored in order with the (login, role)s
    `stored`."""
    done = erlan.post("/people/import/confirm", data=data)
    assert done.status_code == 200, done.text[-3000:]
    assert _stored(web) == {f"p.person{i}{DOMAIN}": row for i, row in enumerate(stored)}


def _login_fields(page: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="text" name="(login_\d+)" value="([^"]*)"', page)}


def test_the_preview_offers_each_login_and_role_to_change_and_stores_what_she_chose(web: Web):
    erlan, preview = _previewed(web)
    logins = _login_fields(preview.text)
    # each row's login, proposed from its e-mail, is a field; its role a select
    assert logins == {"login_2": "p.person0", "login_3": "p.person1", "login_4": "p.person2"}
    assert preview.text.count('data-testid="login-proposed"') == 3
    fields = {**confirm_fields(preview.text), **logins}
    assert {"role_2", "role_3", "role_4"} <= set(fields)
    _confirmed(web, erlan, {**fields, "login_3": "aigerim.s", "role_4": "manager"},
               ("p.person0", "officer"), ("aigerim.s", "officer"), ("p.person2", "manager"))


def test_the_script_sends_only_the_changed_logins_in_one_field(web: Web):
    erlan, preview = _previewed(web)
    script = erlan.get("/static/people-import.js")
    assert script.status_code == 200 and "data-login-row" in script.text
    scripted = {k: v for k, v in confirm_fields(preview.text).items()
                if not k.startswith("role_")}
    assert "logins" in scripted
    _confirmed(web, erlan, {**scripted, "logins": "2:dana.k\n4:erbol", "roles": "3:admin"},
               ("dana.k", "officer"), ("p.person1", "admin"), ("erbol", "officer"))


def test_a_login_she_types_that_cannot_be_stored_is_refused_naming_its_row(web: Web):
    erlan, preview = _previewed(web)
    fields = {**confirm_fields(preview.text), **_login_fields(preview.text)}
    before = dump_tables(web.engine)
    for typed, rule in (("two words", "accounts.rule_login"),
                        ("p.person0", "accounts.rule_twice"),  # row 2's
                        ("erlan", "accounts.rule_exists"),  # a person stored
                        ("", "accounts.rule_required")):
        refused = erlan.post("/people/import/confirm", data={**fields, "login_3": typed})
        assert refused.status_code in (409, 422), refused.text[-2000:]
        said = html.unescape(refused.text)
        assert "Traceback" not in said
        assert Translator("en")(rule, n=100, row=2).split("{")[0][:20] in said, (typed, said[-2000:])
        assert "3" in said and (typed in said)
        assert _stored(web) == {}
    after = dump_tables(web.engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}

"""A person's channels are hers (P-27): once she has signed in, an administrator's people import
or `user set` no longer changes her e-mail or Telegram chat. The import leaves them and says
which rows it left so (in the reader's language); a new e-mail from someone else's form waits
for her confirmation by a link sent to the new address, applied when she opens it signed in as
herself; a Telegram chat only her own '/start CODE' binds. An account that never signed in is
still set up by the administrator. Each refusal stores nothing.

The case this guards: an administrator's import re-pointed a signed-in officer's Telegram at
his own chat and changed her e-mail; the bot then answered his `/case N`, and a password
reset mailed her account to him."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from tests.support.databases import dump_tables
from workflow import services as svc
from workflow.core.errors import RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.imports import people
from workflow.reminders.telegram_link import _bind, create_link, linked_user
from workflow.services import accounts as auth
from workflow.services import channels, invitations
from workflow.storage.models import AuditRecord, EmailChange, OutboxMessage, User

TODAY = date(2025, 11, 19)
PASSWORD = "her-own-password-1"
BASE = "https://merzim.example.kz"
HEADER = {"_row": 1, "login": "login", "name": "name", "email": "email",
          "telegram": "telegram", "role": "role", "organisation": "organisation"}


def _people(db, make_ctx) -> None:
    """Dana has signed in (her chat bound by her own '/start CODE'); Erlan never has (his e-mail
    and chat an administrator typed in)."""
    with Session(db) as s:
        ctx = make_ctx(TODAY, actor="cli:setup")
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        dana = svc.add_user(s, ctx, "dana", "Dana", "officer", "AK", email="dana@example.kz")
        svc.add_user(s, ctx, "erlan", "Erlan", "officer", "AK", email="erlan@example.kz")
        svc.update_user(s, ctx, "erlan", telegram_chat_id="200")
        auth.set_password(s, dana, PASSWORD, "test-setup")
        code = create_link(s, dana, "web:dana")
        assert _bind(s, f"/start {code}", 100, None)[1] == 1
        s.commit()
        assert auth.authenticate(s, "dana", PASSWORD).user is not None  # she signs in
        s.commit()


def _user(s: Session, login: str) -> User:
    return s.exec(select(User).where(User.login == login)).one()


def _row(n: int, login: str, email: str, chat: str, name: str | None = None) -> dict:
    return {"_row": n, "login": login, "name": name or login.title(), "email": email,
            "telegram": chat, "role": "officer", "organisation": "AK"}


def _import(s: Session, make_ctx, rows: list[dict]) -> people.ImportResult:
    return people.import_people(s, make_ctx(TODAY, actor="web:admin"), rows,
                                      update=True, base_url=BASE, days=7)


def test_an_import_leaves_a_signed_in_persons_channels_and_says_which_rows(db, make_ctx):
    _people(db, make_ctx)
    with Session(db) as s:
        done = _import(s, make_ctx, [
            _row(2, "dana", "admin@example.kz", "999", name="Dana Serikova"),
            _row(3, "erlan", "erlan.new@example.kz", "300"),
            _row(4, "dana2", "dana2@example.kz", ""),
        ])
        s.commit()
        assert [u.login for u in done.added] == ["dana2"]
        assert sorted(u.login for u in done.updated) == ["dana", "erlan"]
        assert [(k.row, k.login, k.fields) for k in done.kept] == [
            (2, "dana", ["email", "telegram"])]
        dana, erlan = _user(s, "dana"), _user(s, "erlan")
        # her name changes; her e-mail and chat stay hers
        assert (dana.full_name, dana.email, dana.telegram_chat_id) == (
            "Dana Serikova", "dana@example.kz", "100")
        assert dana.telegram_bound_at is not None
        # he never signed in: the administrator still sets his, the chat not his own binding
        assert (erlan.email, erlan.telegram_chat_id, erlan.telegram_bound_at) == (
            "erlan.new@example.kz", "300", None)
        assert linked_user(s, 999) is None and linked_user(s, 100).login == "dana"
        assert linked_user(s, 300) is None  # gets his reminders; no answers about cases
        sets = [json.loads(r.payload) for r in s.exec(select(AuditRecord).where(
            AuditRecord.action == "user.set", AuditRecord.actor == "web:admin"))]
        assert {"login": "dana", "full_name": "Dana Serikova", "import": True} in sets
        assert not any(p["login"] == "dana" and ("email" in p or "telegram_chat_id" in p)
                       for p in sets)
    lines = {lang: done.kept_lines(Translator(lang)) for lang in ("kk", "ru", "en")}
    assert lines["en"] == ["Row 2 (dana): E-mail, Telegram left unchanged — they are hers (she "
                           "has signed in, or she is the responsible officer of a case whose "
                           "person only she may see), so only she can change them."]
    for lang, found in lines.items():
        assert len(found) == 1 and "dana" in found[0] and "2" in found[0], lang
        assert "accounts." not in found[0] and "people.col" not in found[0], lang
    assert len({found[0] for found in lines.values()}) == 3


def test_a_reset_after_such_an_import_mails_her_own_address(db, make_ctx):
    _people(db, make_ctx)
    with Session(db) as s:
        _import(s, make_ctx, [_row(2, "dana", "admin@example.kz", "999")])
        s.commit()
        invitations.reset(s, make_ctx(TODAY, actor="web:admin"), _user(s, "dana"), BASE, 7)
        s.commit()
        mail = s.exec(select(OutboxMessage).where(
            OutboxMessage.digest.startswith("invitation:"))).all()
        assert [m.address for m in mail if m.recipient_id == _user(s, "dana").id] == [
            "dana@example.kz"]


def test_user_set_refuses_her_telegram_and_makes_a_new_email_wait_for_her(db, make_ctx):
    _people(db, make_ctx)
    admin = make_ctx(TODAY, actor="cli:admin")
    for changes, key in (({"telegram_chat_id": "999"}, "channels.telegram_hers"),
                         ({"telegram_chat_id": ""}, "channels.telegram_hers"),
                         ({"email": ""}, "channels.email_hers"),
                         ({"email": "admin@example.kz", "full_name": "X"},
                          "channels.email_no_base"),
                         ({"full_name": "X", "telegram_chat_id": "999"},
                          "channels.telegram_hers")):
        before = dump_tables(db)
        with Session(db) as s, pytest.raises((RuleViolation, UsageError)) as refused:
            svc.update_user(s, admin, "dana", **changes)
        assert refused.value.key == key, changes
        assert dump_tables(db) == before, changes
    # the operator cannot hand out a code for her chat either
    with Session(db) as s, pytest.raises(RuleViolation) as refused:
        channels.operator_link_code(s, admin, _user(s, "dana"))
    assert refused.value.key == "channels.telegram_hers"
    with Session(db) as s:  # never signed in: the operator's code is still how he links
        assert channels.operator_link_code(s, admin, _user(s, "erlan"))

    with Session(db) as s:
        svc.update_user(s, admin, "dana", base_url=BASE, email="admin@example.kz",
                        full_name="Dana S.")
        s.commit()
        dana = _user(s, "dana")
        assert (dana.full_name, dana.email) == ("Dana S.", "dana@example.kz")
        pending = channels.pending_email(s, dana)
        assert pending is not None and pending.new_email == "admin@example.kz"
        mail = s.exec(select(OutboxMessage).where(
            OutboxMessage.digest == f"email-change:{pending.id}")).one()
        assert mail.address == "admin@example.kz" and "/account/email/" in mail.body_text
        assert pending.token_hash not in mail.body_text  # the table keeps the token's digest


def test_the_new_email_applies_only_when_she_opens_the_link_signed_in(db, make_ctx):
    _people(db, make_ctx)
    admin = make_ctx(TODAY, actor="web:admin")
    with Session(db) as s:
        first = channels.request_email_change(s, admin, _user(s, "dana"), "a@example.kz", BASE)
        token = channels.request_email_change(s, admin, _user(s, "dana"), "b@example.kz", BASE)
        s.commit()
        stored = {r.token_hash for r in s.exec(select(EmailChange))}
        assert auth.digest(token) in stored and token not in stored
    for who, link, key in (("erlan", token, "channels.email_unknown"),  # not his
                           ("dana", first, "channels.email_used"),  # replaced by the newer
                           ("dana", "no-such-link", "channels.email_unknown")):
        before = dump_tables(db)
        with Session(db) as s, pytest.raises(UsageError) as refused:
            channels.confirm_email_change(s, _user(s, who), link)
        assert refused.value.key == key
        assert dump_tables(db) == before
    with Session(db) as s:  # expired
        with pytest.raises(UsageError) as refused:
            channels.confirm_email_change(s, _user(s, "dana"), token,
                                          now=9e12)
        assert refused.value.key == "channels.email_expired"
        s.rollback()
        channels.confirm_email_change(s, _user(s, "dana"), token)
        s.commit()
        assert _user(s, "dana").email == "b@example.kz"
        assert channels.pending_email(s, _user(s, "dana")) is None
        record = s.exec(select(AuditRecord).where(
            AuditRecord.action == "user.email_changed")).one()
        assert record.actor == "web:dana"
        assert json.loads(record.payload) == {
            "login": "dana", "from": "dana@example.kz", "to": "b@example.kz",
            "requested_by": "web:admin"}
        with pytest.raises(UsageError) as again:  # once
            channels.confirm_email_change(s, _user(s, "dana"), token)
        assert again.value.key == "channels.email_used"


def test_unlinking_her_telegram_forgets_that_she_bound_it(db, make_ctx):
    _people(db, make_ctx)
    with Session(db) as s:
        invitations.telegram_unlink(s, _user(s, "dana"))
        s.commit()
        dana = _user(s, "dana")
        assert (dana.telegram_chat_id, dana.telegram_bound_at) == (None, None)
        assert linked_user(s, 100) is None


def test_an_accepted_invitation_makes_her_channels_hers(db, make_ctx):
    """Choosing her password through her own invitation proves the account is hers, as a
    sign-in does: the next import leaves her e-mail and chat."""
    _people(db, make_ctx)
    with Session(db) as s:
        ctx = make_ctx(TODAY, actor="web:admin")
        token = invitations.invite(s, ctx, _user(s, "erlan"), BASE, 7)
        s.commit()
        invitations.accept(s, token, PASSWORD, PASSWORD)
        s.commit()
        done = _import(s, make_ctx, [_row(2, "erlan", "admin@example.kz", "999")])
        s.commit()
        assert [(k.login, k.fields) for k in done.kept] == [("erlan", ["email", "telegram"])]
        erlan = _user(s, "erlan")
        assert (erlan.email, erlan.telegram_chat_id) == ("erlan@example.kz", "200")

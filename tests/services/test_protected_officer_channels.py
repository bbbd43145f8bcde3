"""The responsible officer of a protected case (a whistleblower's: only she sees its person)
owns her e-mail and Telegram from the moment she answers for it, signed in or not
(services/channels.py `hers`): an administrator's people import, `user set` and the operator's
Telegram code leave them or are refused, in the reader's language, storing nothing. Nobody
sends a link that signs in as her while she has never signed in -- a resent invitation and a
password reset are refused (`channels.invitation_refusal`) -- and no link sent before she
answered for the case opens her account, however she came to answer for it (the case opened
naming her or by default, or handed to her); handing the case over, audited as a disclosure,
is the way out. An invitation is resent at most once a minute per person, and the refusal
says in how many seconds.

The attacks this guards: an invited officer who had not chosen her password yet was made
responsible for a whistleblower's case; the administrator re-pointed her e-mail at his own by
an import, resent her invitation to himself, chose her password and read the person's name.
The audit log showed user.set, user.invite and a sign-in, no disclosure. Or he did the same
before she was made responsible, and opened the link he had received afterwards.

On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.databases import dump_tables, refused_unchanged
from workflow import services as svc
from workflow.core.errors import RuleViolation, UsageError
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.imports import people as people_import
from workflow.services import channels, invitations, people, visibility
from workflow.storage.models import AuditRecord, Invitation, OutboxMessage, User

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 3, 2)
BASE = "https://merzim.example.kz"
PASSWORD = "her-own-password-1"
T0 = 1_900_000_000.0  # the invitations' clock, for the tests that pass `now`


def ctx_of(actor: str = "cli:setup"):
    return svc.Context(CAL, REGISTRY, TODAY, actor=actor, language="en")


ADMIN = "web:erlan"


def world(db, protected: bool = True) -> dict[str, int]:
    """A ministry and its committee; the committee's officers dilnaz and bolat, each invited
    (neither has chosen a password, nor signed in), an administrator erlan above. A
    whistleblower's case whose responsible officer is dilnaz (`protected`), and a gift case
    (its person seen by the organisation's officers) whose responsible officer is bolat."""
    def build(s):
        ctx = ctx_of()
        svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
        svc.add_org(s, ctx, "MF-KGD", "State Revenue Committee", "committee",
                    parent_code="MF")
        svc.add_user(s, ctx, "erlan", "Erlan", "admin", "MF", email="erlan@x.kz",
                     language="en")
        for login in ("dilnaz", "bolat"):
            user = svc.add_user(s, ctx, login, login.title(), "officer", "MF-KGD",
                                email=f"{login}@x.kz", language="en")
            svc.update_user(s, ctx, login, telegram_chat_id="100" if login == "dilnaz"
                            else "200")
            invitations.invite(s, ctx, user, BASE, 7, now=T0)
        ids = {}
        if protected:
            ids["wb"] = svc.open_case(
                s, ctx, "whistleblower_protection", "MF-KGD", person="Madina Secretova-WB",
                position="Inspector", responsible="dilnaz",
                dates={"application_received": date(2026, 2, 20),
                       "reported": date(2026, 2, 19)}).id
        ids["gift"] = svc.open_case(s, ctx, "gift", "MF-KGD", person="Erlan Sadykov",
                                    position="Head of unit", responsible="bolat",
                                    dates={"received": date(2026, 2, 2)}).id
        return ids
    return commit(db, build)


def user_row(db, login: str) -> tuple:
    """Every column of her stored account."""
    with Session(db) as s:
        user = s.exec(select(User).where(User.login == login)).one()
        return tuple(user.model_dump().items())


def _user(s: Session, login: str) -> User:
    return s.exec(select(User).where(User.login == login)).one()


def _row(n: int, login: str, email: str, chat: str) -> dict:
    return {"_row": n, "login": login, "name": login.title(), "email": email,
            "telegram": chat, "role": "officer", "organisation": "MF-KGD"}


def rendered(error: RuleViolation) -> dict[str, str]:
    """The refusal in each language: translated (no key shown), each its own."""
    said = {lang: error.render(Translator(lang)) for lang in ("kk", "ru", "en")}
    for lang, text in said.items():
        assert error.key not in text and "{" not in text, (lang, text)
    assert len(set(said.values())) == 3
    return said


def test_her_channels_are_hers_from_the_moment_she_answers_for_a_protected_case(db):
    world(db, protected=False)
    with Session(db) as s:  # invited, responsible for a gift case: still the admin's to set
        assert not channels.hers(_user(s, "dilnaz")) and not channels.hers(_user(s, "bolat"))
        svc.open_case(s, ctx_of(), "whistleblower_protection", "MF-KGD", person="P",
                      position="Inspector", responsible="dilnaz",
                      dates={"application_received": date(2026, 2, 20)})
        s.commit()
    with Session(db) as s:
        dilnaz, bolat = _user(s, "dilnaz"), _user(s, "bolat")
        assert dilnaz.signed_in_at is None and channels.hers(dilnaz)
        assert channels.hers(dilnaz, s) and visibility.answers_for_protected(s, dilnaz.id)
        assert not channels.hers(bolat) and not visibility.answers_for_protected(s, bolat.id)
        # one not stored yet answers for nothing; one read outside any session is taken as hers
        assert not channels.hers(User(login="new", full_name="New", role="officer",
                                      organisation_id=dilnaz.organisation_id))
        s.expunge(dilnaz)
    assert channels.hers(dilnaz)


def test_an_import_leaves_her_email_and_telegram(db):
    world(db)
    dilnaz_before = user_row(db, "dilnaz")
    since = _last_audit(db)
    with Session(db) as s:
        done = people_import.import_people(
            s, ctx_of(ADMIN), [_row(2, "dilnaz", "erlan.private@x.kz", "999"),
                               _row(3, "bolat", "bolat.new@x.kz", "300")],
            update=True, base_url=BASE, days=7)
        s.commit()
    assert [(k.row, k.login, k.fields) for k in done.kept] == [
        (2, "dilnaz", ["email", "telegram"])]
    assert user_row(db, "dilnaz") == dilnaz_before  # nothing of hers changed
    with Session(db) as s:  # the gift case's officer is still the administrator's to set up
        bolat = _user(s, "bolat")
        assert (bolat.email, bolat.telegram_chat_id) == ("bolat.new@x.kz", "300")
        sets = [(r.action, r.payload) for r in s.exec(select(AuditRecord).where(
            AuditRecord.id > since, AuditRecord.action == "user.set"))]
    assert all('"dilnaz"' not in payload for _a, payload in sets)
    lines = {lang: done.kept_lines(Translator(lang)) for lang in ("kk", "ru", "en")}
    assert lines["en"] == ["Row 2 (dilnaz): E-mail, Telegram left unchanged — they are hers "
                           "(she has signed in, or she is the responsible officer of a case "
                           "whose person only she may see), so only she can change them."]
    for lang, found in lines.items():
        assert len(found) == 1 and "dilnaz" in found[0], lang
        assert "accounts." not in found[0] and "people.col" not in found[0], lang
    assert len({found[0] for found in lines.values()}) == 3
    titles = {Translator(lang).n("accounts.import_kept_title", 1) for lang in ("kk", "ru", "en")}
    assert len(titles) == 3 and not any("accounts." in t for t in titles)


def test_user_set_and_the_operators_code_are_refused_or_wait_for_her(db):
    world(db)
    admin = ctx_of("cli:admin")
    for changes, key in (({"telegram_chat_id": "999"}, "channels.telegram_protected"),
                         ({"telegram_chat_id": ""}, "channels.telegram_protected"),
                         ({"email": ""}, "channels.email_protected"),
                         ({"full_name": "X", "telegram_chat_id": "999"},
                          "channels.telegram_protected")):
        error = refused_unchanged(db, lambda s, c=changes: svc.update_user(
            s, admin, "dilnaz", base_url=BASE, **c))
        assert error.key == key, changes
        said = rendered(error)
        assert "dilnaz" in said["en"] and "only she may see" in said["en"]
    error = refused_unchanged(db, lambda s: channels.operator_link_code(s, admin,
                                                                        _user(s, "dilnaz")))
    assert error.key == "channels.telegram_protected"
    rendered(error)
    with Session(db) as s:  # the gift case's officer: the operator's code is how he links
        assert channels.operator_link_code(s, admin, _user(s, "bolat"))
        s.rollback()
    # a new address waits for her confirmation, opened signed in as herself
    with Session(db) as s:
        svc.update_user(s, admin, "dilnaz", base_url=BASE, email="erlan.private@x.kz")
        s.commit()
        dilnaz = _user(s, "dilnaz")
        assert dilnaz.email == "dilnaz@x.kz"
        pending = channels.pending_email(s, dilnaz)
        assert pending is not None and pending.new_email == "erlan.private@x.kz"
    texts = {lang: Translator(lang)("channels.email_pending_protected", login="dilnaz",
                                    email="erlan.private@x.kz") for lang in ("kk", "ru", "en")}
    assert len(set(texts.values())) == 3
    assert all("erlan.private@x.kz" in t and "channels." not in t for t in texts.values())


def test_nobody_resends_her_invitation_or_resets_her_password(db):
    """M-1 step by step: the import that would re-point her e-mail leaves it, the resend and
    the reset are refused in every language, her account row and every table unchanged; no
    link reaches the administrator's address."""
    cases = world(db)
    dilnaz_before = user_row(db, "dilnaz")
    with Session(db) as s:
        people_import.import_people(s, ctx_of(ADMIN), [_row(2, "dilnaz", "erlan.private@x.kz",
                                                            "999")],
                                    update=True, base_url=BASE, days=7)
        s.commit()
    assert user_row(db, "dilnaz") == dilnaz_before
    admin = ctx_of(ADMIN)
    for work in (lambda s: people.resend(s, admin, _user(s, "dilnaz"), BASE, 7,
                                         now=T0 + 3600),
                 lambda s: invitations.reset(s, admin, _user(s, "dilnaz"), BASE, 7),
                 lambda s: invitations.invite(s, admin, _user(s, "dilnaz"), BASE, 7)):
        error = refused_unchanged(db, work)
        assert error.key == "accounts.invite_protected"
        said = rendered(error)
        assert said["en"].startswith("dilnaz is the responsible officer of a case whose person "
                                     "only she may see and has not signed in yet")
        assert user_row(db, "dilnaz") == dilnaz_before
    with Session(db) as s:
        addresses = {m.address for m in s.exec(select(OutboxMessage))}
        assert "erlan.private@x.kz" not in addresses
        dilnaz_id = _user(s, "dilnaz").id
        assert len(s.exec(select(Invitation).where(Invitation.user_id == dilnaz_id)).all()) == 1

    # the way out: she is deactivated, the administrator hands the case over (a disclosure,
    # audited), she is reactivated and her invitation may be resent; now bolat answers for it
    with Session(db) as s:
        svc.update_user(s, admin, "dilnaz", active=False)
        svc.assign_responsible(s, admin, cases["wb"], "bolat", by=_user(s, "erlan"))
        svc.update_user(s, admin, "dilnaz", active=True)
        s.commit()
        assert s.exec(select(AuditRecord).where(
            AuditRecord.action == visibility.DISCLOSED)).first() is not None
        assert not channels.hers(_user(s, "dilnaz")) and channels.hers(_user(s, "bolat"))
        assert people.resend(s, admin, _user(s, "dilnaz"), BASE, 7, now=T0 + 3600)
        s.commit()
    error = refused_unchanged(db, lambda s: people.resend(s, admin, _user(s, "bolat"), BASE, 7,
                                                          now=T0 + 3600))
    assert error.key == "accounts.invite_protected"


def test_once_she_has_signed_in_a_reset_mails_her_own_address(db):
    """A signed-in officer of a protected case: her e-mail is the one she confirmed by
    signing in, so her password is reset as anyone's."""
    world(db, protected=False)
    with Session(db) as s:
        token = invitations.invite(s, ctx_of(), _user(s, "dilnaz"), BASE, 7)
        s.commit()
        invitations.accept(s, token, PASSWORD, PASSWORD)
        svc.open_case(s, ctx_of(), "whistleblower_protection", "MF-KGD", person="P",
                      position="Inspector", responsible="dilnaz",
                      dates={"application_received": date(2026, 2, 20)})
        s.commit()
        assert invitations.reset(s, ctx_of(ADMIN), _user(s, "dilnaz"), BASE, 7)
        s.commit()
        mail = s.exec(select(OutboxMessage).where(
            OutboxMessage.recipient_id == _user(s, "dilnaz").id)
            .order_by(OutboxMessage.id.desc())).first()
        assert mail is not None and mail.address == "dilnaz@x.kz"


def test_an_invitation_is_resent_at_most_once_a_minute(db):
    world(db, protected=False)  # bolat's and dilnaz's invitations made at T0
    admin = ctx_of(ADMIN)

    def resend(at: float):
        return lambda s: people.resend(s, admin, _user(s, "dilnaz"), BASE, 7, now=at)

    for at, wait in ((T0 + 1, 59), (T0 + 58, 2), (T0 + 59.5, 1)):
        before = dump_tables(db)
        error = refused_unchanged(db, resend(at))
        assert error.key == "people.resend_wait" and error.params["n"] == wait
        assert dump_tables(db) == before
        said = rendered(error)
        assert all(str(wait) in text and "dilnaz" in text for text in said.values())
    forms = {n: refused_unchanged(db, resend(T0 + 60 - n)).render(Translator("ru"))
             for n in (1, 2, 5)}
    assert "через 1 секунду" in forms[1] and "через 2 секунды" in forms[2] \
        and "через 5 секунд" in forms[5]
    en = refused_unchanged(db, resend(T0 + 59.5)).render(Translator("en"))
    assert en == ("An invitation was sent to dilnaz less than a minute ago: it can be sent "
                  "again in 1 second.")
    assert "59 секундтан кейін" in refused_unchanged(db, resend(T0 + 1)).render(
        Translator("kk"))
    with Session(db) as s:  # a minute after the newest: sent, and counted from it
        assert people.resend(s, admin, _user(s, "dilnaz"), BASE, 7, now=T0 + 60)
        s.commit()
    assert refused_unchanged(db, resend(T0 + 90)).params["n"] == 30
    with Session(db) as s:  # per person: bolat's own newest invitation is his T0
        assert people.resend(s, admin, _user(s, "bolat"), BASE, 7, now=T0 + 90)
        s.commit()


def _whistleblowers_case(s: Session, responsible: str | None) -> int:
    """A whistleblower's case of the committee: its responsible officer `responsible`, else
    the committee's first officer (dilnaz)."""
    case = svc.open_case(s, ctx_of(), "whistleblower_protection", "MF-KGD",
                         person="Madina Secretova-WB", position="Inspector",
                         responsible=responsible,
                         dates={"application_received": date(2026, 2, 20)})
    assert case.id is not None
    return case.id


def _newest_mail(s: Session, login: str) -> OutboxMessage:
    mail = s.exec(select(OutboxMessage).where(
        OutboxMessage.recipient_id == _user(s, login).id)
        .order_by(col(OutboxMessage.id).desc())).first()
    assert mail is not None
    return mail


def _link_refused(db, token: str, at: float) -> None:
    """Her invitation's page and its password form both refuse the link, in every language,
    naming nobody, with every table as it was; her account has no password and has never
    signed in."""
    dilnaz_before = user_row(db, "dilnaz")
    for work in (lambda s: invitations.invitation_user(s, token, now=at),
                 lambda s: invitations.accept(s, token, PASSWORD, PASSWORD, now=at)):
        error = refused_unchanged(db, work)
        assert error.key == "accounts.invite_link_protected" and not error.params
        said = rendered(error)
        assert said["en"].startswith("This sign-in link cannot be used: its account is the "
                                     "responsible officer of a case whose person only she may "
                                     "see and has never signed in")
        assert all("dilnaz" not in text and "Madina" not in text for text in said.values())
    assert user_row(db, "dilnaz") == dilnaz_before
    with Session(db) as s:
        dilnaz = _user(s, "dilnaz")
        assert dilnaz.password_hash is None and dilnaz.signed_in_at is None
        assert channels.hers(dilnaz, s)


@pytest.mark.parametrize("path", ["opened naming her", "opened by default", "handed to her"])
def test_a_link_sent_before_she_answered_for_a_protected_case_opens_nothing(db, path):
    """The attack end to end: while she is not protected yet the administrator re-points her
    e-mail at his own and resends her invitation to himself (both allowed); then she is made
    the responsible officer of a whistleblower's case, by one of the paths that make her one.
    The link he received is refused when he opens it and when he sends a password through it,
    nothing stored: he cannot sign in as her."""
    world(db, protected=False)  # dilnaz is the committee's first officer (the default one)
    admin = ctx_of(ADMIN)
    if path == "handed to her":
        with Session(db) as s:  # bolat answers for it until he hands it to her
            wb = _whistleblowers_case(s, "bolat")
            s.commit()
    with Session(db) as s:
        svc.update_user(s, admin, "dilnaz", email="erlan.private@x.kz")
        token = people.resend(s, admin, _user(s, "dilnaz"), BASE, 7, now=T0 + 3600)
        s.commit()
        mail = _newest_mail(s, "dilnaz")
        assert mail.address == "erlan.private@x.kz" and f"/invite/{token}" in mail.body_text
        assert invitations.invitation_user(s, token, now=T0 + 3601).login == "dilnaz"
    with Session(db) as s:
        dilnaz_id = _user(s, "dilnaz").id
        if path == "handed to her":
            svc.assign_responsible(s, ctx_of("web:bolat"), wb, "dilnaz", by=_user(s, "bolat"))
        else:
            case = svc.get_case(s, _whistleblowers_case(
                s, "dilnaz" if path == "opened naming her" else None))
            assert case.responsible_id == dilnaz_id
        s.commit()
        assert visibility.answers_for_protected(s, dilnaz_id)
    _link_refused(db, token, T0 + 7200)
    with Session(db) as s:  # the link is still unused: refused, not spent
        row = s.exec(select(Invitation).where(Invitation.user_id == dilnaz_id)
                     .order_by(col(Invitation.id).desc())).first()
        assert row is not None and row.used_at is None


def test_her_own_earlier_link_waits_for_the_way_out(db):
    """Refused rather than audited: the link she received herself is refused as his would be
    (nobody can tell whose mailbox an address someone else typed in is). The way out, in the
    open: deactivated, the case handed over (a disclosure), reactivated, her invitation
    resent (the older link spent); the new link signs her in, the case may be handed back to
    her (a disclosure again), and her channels are hers for good."""
    world(db, protected=False)
    with Session(db) as s:
        token = invitations.invite(s, ctx_of(ADMIN), _user(s, "dilnaz"), BASE, 7,
                                   now=T0 + 3600)
        wb = _whistleblowers_case(s, "dilnaz")
        s.commit()
        assert _newest_mail(s, "dilnaz").address == "dilnaz@x.kz"
    _link_refused(db, token, T0 + 3700)
    admin = ctx_of(ADMIN)
    with Session(db) as s:
        svc.update_user(s, admin, "dilnaz", active=False)
        with pytest.raises(UsageError) as gone:  # deactivated: no link of hers is known
            invitations.invitation_user(s, token, now=T0 + 3800)
        assert gone.value.key == "accounts.invite_unknown"
        svc.assign_responsible(s, admin, wb, "bolat", by=_user(s, "erlan"))
        svc.update_user(s, admin, "dilnaz", active=True)
        fresh = people.resend(s, admin, _user(s, "dilnaz"), BASE, 7, now=T0 + 7200)
        s.commit()
    with Session(db) as s:
        with pytest.raises(UsageError) as spent:
            invitations.invitation_user(s, token, now=T0 + 7300)
        assert spent.value.key == "accounts.invite_used"
        invitations.accept(s, fresh, PASSWORD, PASSWORD, now=T0 + 7300)
        s.commit()
        svc.assign_responsible(s, ctx_of("web:bolat"), wb, "dilnaz", by=_user(s, "bolat"))
        s.commit()
        seen = [r.payload for r in s.exec(select(AuditRecord).where(
            AuditRecord.action == visibility.DISCLOSED).order_by(col(AuditRecord.id)))]
        assert len(seen) == 2 and '"bolat"' in seen[0] and '"dilnaz"' in seen[1]
        dilnaz = _user(s, "dilnaz")
        assert channels.hers(dilnaz, s) and channels.invitation_refusal(s, dilnaz) is None


def _last_audit(db) -> int:
    with Session(db) as s:
        last = s.exec(select(AuditRecord.id).order_by(AuditRecord.id.desc())).first()
        return last or 0

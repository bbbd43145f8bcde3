"""A person's channels are hers (P-27): the one place that decides who may change the e-mail
address and the Telegram chat of an account.

* An account that has never signed in (`User.signed_in_at` None) is still the
  administrator's to set up: an import or a form sets her e-mail and Telegram chat -- unless
  she answers for a protected case (the responsible officer of a whistleblower's case:
  `visibility.answers_for_protected`): from the moment she does, they are hers as if she had
  signed in, since her account is then the one way to a person nobody else may see.
* Once they are hers, they change only with her confirmation. Telegram: only her own
  '/start CODE' (a code from her account page) binds a chat. E-mail: a change asked by
  anyone becomes a pending change; a link goes to the new address and the change applies when
  she opens it signed in as herself, before it expires. Nobody else's form, import or command
  changes them; an import says which of its rows it left so.
* The bot answers commands only in a chat its owner bound herself (`telegram_bound_at`): a chat
  an administrator typed in gets reminders (which never name a person) but no answers.
* No link signs in as an account whose channels are hers only because she answers for a
  protected case (`invitation_refusal`): a resent invitation or a password reset would go to
  an address she never confirmed, so neither is sent, and an invitation sent before she
  answered for the case (to an address someone else may have typed in, perhaps his own) is refused
  when it is opened -- until she has signed in herself or the case has been handed over
  (P-26, audited as a disclosure). Refused rather than audited: nobody reads the person
  through an account that is not his own.

A link's token is random; only its SHA-256 is stored. Every step is audited.
"""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.errors import RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.reminders.planner import enqueue
from workflow.services.accounts import digest, fresh_token
from workflow.services.context import Context
from workflow.storage import audit
from workflow.storage.models import EmailChange, User

EMAIL_CHANGE_HOURS = 48  # how long the confirmation link of an e-mail change works
CHANNELS = ("email", "telegram_chat_id")


def hers(user: User, s: Session | None = None) -> bool:
    """Whether the account's channels are hers alone: she has signed in, or she answers for a
    protected case. `s`: the session to read her cases in (default: the one `user` was
    loaded in; an account in none, not yet stored, answers for nothing, a stored one read
    outside a session is taken as hers)."""
    if user.signed_in_at is not None:
        return True
    return _protected_officer(user, s)


def _protected_officer(user: User, s: Session | None) -> bool:
    """Whether the account is the responsible officer of a protected case (read without
    flushing the caller's pending changes)."""
    from sqlalchemy.orm import object_session

    from workflow.services.visibility import answers_for_protected

    if user.id is None:
        return False
    found: Any = s if s is not None else object_session(user)
    if found is None:
        return True
    with found.no_autoflush:
        return answers_for_protected(found, user.id)


def _refused(user: User, channel: str) -> RuleViolation:
    """The refusal of someone else's change of her `channel` ("email", "telegram"), saying
    why it is hers: she has signed in, or she answers for a protected case."""
    why = "hers" if user.signed_in_at is not None else "protected"
    return RuleViolation(f"her {channel} is hers", key=f"channels.{channel}_{why}",
                         login=user.login)


def invitation_refusal(s: Session, user: User, opened: bool = False) -> RuleViolation | None:
    """Why no link may sign in as her, None when one may: refused while her channels are hers
    only because she answers for a protected case -- she has never signed in, so her e-mail
    is an address someone else typed in, and whoever reads it would see the protected person.
    Asked when a link is sent (an invitation, resent or after a password reset: the refusal
    tells the administrator what to do) and when one is opened (`opened`: an invitation sent
    before she answered for the case, on its page; the refusal tells whoever holds the link),
    so no path that makes her the responsible officer -- opening a case naming her or by
    default, a hand-over -- leaves a live way in."""
    if user.signed_in_at is None and _protected_officer(user, s):
        if opened:
            return RuleViolation("the link's account answers for a protected case and never "
                                 "signed in", key="accounts.invite_link_protected")
        return RuleViolation("she answers for a protected case and never signed in",
                             key="accounts.invite_protected", login=user.login)
    return None


def _same(a: str | None, b: str | None) -> bool:
    return (a or None) == (b or None)


def withheld(user: User, email: str | None, telegram_chat_id: str | None,
             s: Session | None = None) -> list[str]:
    """The channels among those asked (None: not asked) that someone other than their owner
    may not change on this account: they are hers (`hers`) and the value differs from hers."""
    if not hers(user, s):
        return []
    asked = {"email": email, "telegram_chat_id": telegram_chat_id}
    return [k for k in CHANNELS if asked[k] is not None and not _same(asked[k], getattr(user, k))]


def set_telegram(user: User, chat: str | None) -> None:
    """An administrator's chat for an account that never signed in (or none): reminders go
    there; the bot answers no commands in it until its owner binds it with '/start CODE'."""
    user.telegram_chat_id = chat or None
    user.telegram_active = bool(chat)
    user.telegram_bound_at = None


def operator_link_code(s: Session, ctx: Context, user: User) -> str:
    """A one-time code an operator hands to a person who never signed in (she sends
    '/start CODE' to the bot); refused once her channels are hers (`hers`): she makes her own
    on her account page, so nobody else can bind a chat of his to her account."""
    from workflow.reminders.telegram_link import create_link

    if hers(user, s):
        raise _refused(user, "telegram")
    return create_link(s, user, ctx.actor)


# -- a pending change of e-mail ----------------------------------------------------------------


def request_email_change(s: Session, ctx: Context, user: User, new_email: str, base_url: str,
                         now: float | None = None) -> str:
    """A change of a signed-in person's e-mail, waiting for her: a link to the new address
    (an unused older one stops working); returns the token (never shown, tests only)."""
    t = time.time() if now is None else now
    token = fresh_token(s, EmailChange, user.id, t)
    row = EmailChange(token_hash=digest(token), user_id=user.id, new_email=new_email,
                      requested_by=ctx.actor[:100], created_at=t,
                      expires_at=t + EMAIL_CHANGE_HOURS * 3600)
    s.add(row)
    s.flush()
    link = f"{base_url.rstrip('/')}/account/email/{token}"
    tr = Translator(user.language)
    text = tr.n("channels.email_body", EMAIL_CHANGE_HOURS, name=user.full_name,
                login=user.login, link=link)
    from html import escape

    html = ("<html><body><p>" + escape(text).replace("\n", "<br>").replace(
        escape(link), f'<a href="{escape(link)}">{escape(link)}</a>') + "</p></body></html>")
    enqueue(s, user.id, "email", ctx.today, f"email-change:{row.id}", new_email,
            tr("channels.email_subject", login=user.login), text, html)
    audit.append(s, ctx.actor, "user.email_change", "user", user.id,
                 {"login": user.login, "to": new_email, "expires_at": row.expires_at})
    return token


def pending_email(s: Session, user: User, now: float | None = None) -> EmailChange | None:
    """Her e-mail change waiting for her confirmation (None: none, or it expired)."""
    t = time.time() if now is None else now
    return s.exec(select(EmailChange).where(
        EmailChange.user_id == user.id, col(EmailChange.used_at).is_(None),
        EmailChange.expires_at >= t).order_by(col(EmailChange.id).desc())).first()


def email_change_for(s: Session, viewer: User, token: str, now: float | None = None
                     ) -> EmailChange:
    """The live change of the link `token`, which must be the viewer's own; refused (nothing
    said about whose it is) when unknown, used, expired or another's."""
    t = time.time() if now is None else now
    row = s.exec(select(EmailChange).where(
        EmailChange.token_hash == digest(token or ""))).first()
    if row is None or row.user_id != viewer.id:
        raise UsageError("unknown link", key="channels.email_unknown")
    if row.used_at is not None:
        raise UsageError("link used", key="channels.email_used")
    if row.expires_at < t:
        raise UsageError("link expired", key="channels.email_expired")
    return row


def confirm_email_change(s: Session, viewer: User, token: str, now: float | None = None
                         ) -> User:
    """She opened the link signed in as herself: the new address is hers (audited), once."""
    row = email_change_for(s, viewer, token, now)
    user = s.get_one(User, row.user_id)
    old = user.email
    user.email = row.new_email
    row.used_at = time.time() if now is None else now
    s.add(user)
    s.add(row)
    s.flush()
    audit.append(s, f"web:{user.login}", "user.email_changed", "user", user.id,
                 {"login": user.login, "from": old, "to": row.new_email,
                  "requested_by": row.requested_by})
    return user


def admin_channels(s: Session, ctx: Context, user: User, changes: dict[str, Any],
                   base_url: str | None) -> dict[str, Any]:
    """Someone's form (not hers) asks to change `changes`' e-mail and Telegram chat (absent or
    None: not asked; "": remove). On an account whose channels are not hers (`hers`: she
    never signed in and answers for no protected case) they are set here; on one whose are, a
    different e-mail becomes a pending change (a link to the new address, so `base_url` is
    needed, applied when she opens it signed in as herself) and any other change of them is
    refused. Returns what was applied now (for the caller's audit record); the pending change
    audits itself."""
    email, chat = changes.get("email"), changes.get("telegram_chat_id")
    applied: dict[str, Any] = {}
    if not hers(user, s):
        if email is not None:
            user.email = email or None
            applied["email"] = email or None
        if chat is not None:
            set_telegram(user, chat)
            applied["telegram_chat_id"] = chat or None
        return applied
    refused = withheld(user, email, chat, s)
    if "telegram_chat_id" in refused:
        raise _refused(user, "telegram")
    if "email" in refused:
        if not email:
            raise _refused(user, "email")
        if not base_url:
            raise UsageError("no link address", key="channels.email_no_base")
        request_email_change(s, ctx, user, email, base_url)
        applied["email_pending"] = email
    return applied

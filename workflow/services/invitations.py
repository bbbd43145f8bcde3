"""Invitations: one-time sign-in links sent by e-mail, her own password and Telegram (a file
of people is imported by `workflow/imports/people.py`, which invites each new one).

An invitation's link holds a random token; only its SHA-256 is stored. Opening it lets the
person set her password once, before it expires ([accounts] invitation_days); a newer
invitation replaces an unused older one. No link opens an account that answers for a
protected case and never signed in (`channels.invitation_refusal`), whenever it was sent.
The e-mail goes through the outbox like a reminder (the worker sends it), in her language.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlmodel import Session, select

from workflow.core.errors import RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.reminders.planner import enqueue
from workflow.reminders.telegram_link import create_link
from workflow.services.accounts import (
    digest,
    fresh_token,
    own_password_matches,
    set_password,
)
from workflow.services.context import Context
from workflow.storage import audit
from workflow.storage.models import Invitation, Organisation, User

DAY = 86400.0
COLUMNS = ("name", "login", "email", "telegram", "role", "organisation", "language")
REQUIRED = ("name", "login", "role", "organisation")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
CHAT = re.compile(r"^-?\d{1,20}$")


# -- invitations ------------------------------------------------------------------------------


def _check_invitable(s: Session, user: User) -> None:
    """Refuse an invitation to an account without an e-mail address, or to one that answers
    for a protected case and never signed in (`channels.invitation_refusal`)."""
    from workflow.services.channels import invitation_refusal

    if not user.email:
        raise UsageError(f"{user.login} has no e-mail address", key="accounts.no_email",
                         login=user.login)
    refusal = invitation_refusal(s, user)
    if refusal is not None:
        raise refusal


def invite(s: Session, ctx: Context, user: User, base_url: str, days: int,
           now: float | None = None) -> str:
    """Write her invitation e-mail to the outbox with a fresh one-time link (an unused older
    link stops working); returns the token (tests and the caller's count; never shown).
    Refused, nothing written, for an account that answers for a protected case and never
    signed in (`channels.invitation_refusal`)."""
    _check_invitable(s, user)
    t = time.time() if now is None else now
    token = fresh_token(s, Invitation, user.id, t)
    row = Invitation(token_hash=digest(token), user_id=user.id, created_at=t,
                     expires_at=t + days * DAY)
    s.add(row)
    s.flush()
    _invitation_mail(s, ctx, user, row, token, base_url, days)
    audit.append(s, ctx.actor, "user.invite", "user", user.id,
                 {"login": user.login, "expires_at": row.expires_at})
    return token


def _invitation_mail(s: Session, ctx: Context, user: User, row: Invitation, token: str,
                     base_url: str, days: int) -> None:
    """The invitation's e-mail, in her language, into the outbox: it names her organisation
    and who invited her."""
    subject, text, html = invitation_message(user.language, user.full_name, user.login,
                                             token, base_url, days,
                                             org=s.get(Organisation, user.organisation_id),
                                             by=inviter_name(s, ctx))
    enqueue(s, user.id, "email", ctx.today, f"invitation:{row.id}", user.email or "",
            subject, text, html)


def inviter_name(s: Session, ctx: Context) -> str | None:
    """Who sends an invitation, by her full name (the context's actor, "web:erlan"); None for
    the command line's operator, who is no merzim user."""
    from workflow.services.users import display_names

    return display_names(s, [ctx.actor]).get(ctx.actor)


def invitation_message(language: str, name: str, login: str, token: str, base_url: str,
                       days: int, org: Any = None, by: str | None = None
                       ) -> tuple[str, str, str]:
    """An invitation e-mail's subject, text and HTML, in her language; naming her
    organisation (`org`, an Organisation) and who invited her (`by`, a full name) when
    given."""
    from workflow.services.organisations import org_name

    link = f"{base_url.rstrip('/')}/invite/{token}"
    tr = Translator(language)
    params = {"name": name, "login": login, "link": link}
    key = "accounts.invite_body"
    if org is not None:
        params["organisation"] = org_name(org, language)
        key = "accounts.invitation_body" if by else "accounts.invitation_body_unsigned"
        if by:
            params["by"] = by
    text = tr.n(key, days, **params)
    html = ("<html><body><p>" + _escape(tr.n(key, days, **{
        **params, "link": "LINK"})).replace("\n", "<br>").replace(
        "LINK", f'<a href="{_escape(link)}">{_escape(link)}</a>') + "</p></body></html>")
    return tr("accounts.invite_subject", login=login), text, html


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def invitation_user(s: Session, token: str, now: float | None = None) -> User:
    """The person a live invitation is for; refused when the link is unknown, used or
    expired, or its account may not be opened by a link (`_live`)."""
    row, user = _live(s, token, now)
    return user


def _live(s: Session, token: str, now: float | None) -> tuple[Invitation, User]:
    """The invitation of the link and its account, refused (nothing written) when unknown,
    used, expired, or its account answers for a protected case and never signed in
    (`channels.invitation_refusal`): a link sent before she answered for the case went to an
    address someone else may have typed in, so it no longer signs in as her."""
    from workflow.services.channels import invitation_refusal

    t = time.time() if now is None else now
    row = s.exec(select(Invitation).where(Invitation.token_hash == digest(token or ""))).first()
    user = s.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise UsageError("unknown invitation", key="accounts.invite_unknown")
    if row.used_at is not None:
        raise UsageError("invitation used", key="accounts.invite_used")
    if row.expires_at < t:
        raise UsageError("invitation expired", key="accounts.invite_expired")
    refusal = invitation_refusal(s, user, opened=True)
    if refusal is not None:
        raise refusal
    return row, user


def accept(s: Session, token: str, password: str, repeated: str, now: float | None = None
           ) -> User:
    """Set her password through a live invitation, once (its link then stops working);
    refused, nothing written, as `invitation_user` is."""
    row, user = _live(s, token, now)
    if password != repeated:
        raise UsageError("passwords differ", key="accounts.password_mismatch")
    set_password(s, user, password, f"web:{user.login}")
    row.used_at = time.time() if now is None else now
    user.signed_in_at = row.used_at  # she opened her own invitation: her channels are hers now
    s.add(row)
    s.add(user)
    audit.append(s, f"web:{user.login}", "user.invite_accepted", "user", user.id,
                 {"login": user.login})
    return user


def reset(s: Session, ctx: Context, user: User, base_url: str, days: int) -> str:
    """An administrator's reset: her password stops working (her sessions, tokens and feeds
    end) and she gets a new invitation to choose another; nobody sees a password. Refused,
    nothing written, as `invite` is (`channels.invitation_refusal`)."""
    _check_invitable(s, user)
    user.password_hash = None
    s.add(user)
    s.flush()
    from workflow.services.accounts import revoke_all

    revoke_all(s, user, ctx.actor)
    audit.append(s, ctx.actor, "user.password_reset", "user", user.id, {"login": user.login})
    return invite(s, ctx, user, base_url, days)


# -- her own account ---------------------------------------------------------------------------


class WrongPassword(RuleViolation):
    """Her current password was wrong (or her account is locked): the caller refuses with
    `accounts.wrong_password_refused`, which counts it toward the lock-out."""

    def __init__(self) -> None:
        super().__init__("wrong current password", key="accounts.wrong_password")


def change_password(s: Session, user: User, current: str, new: str, repeated: str) -> None:
    """Her new password, after her current one; every session of hers ends (the caller opens
    a new one for the browser she changed it in). Both password checks take one of the
    process's (SignInBusy, before anything is written, when none comes free in time). A wrong
    current password, or any while her account is locked: WrongPassword, counted toward the
    lock-out as a wrong sign-in is (by the refusal, `wrong_password_refused`)."""
    if not own_password_matches(user, current or ""):
        raise WrongPassword()
    if new != repeated:
        raise UsageError("passwords differ", key="accounts.password_mismatch")
    if new == current:
        raise UsageError("same password", key="accounts.password_same")
    set_password(s, user, new, f"web:{user.login}")


def telegram_code(s: Session, user: User) -> str:
    """A one-time code (a day) that links the chat sending '/start CODE' to her."""
    return create_link(s, user, f"web:{user.login}")


def telegram_unlink(s: Session, user: User) -> None:
    """Her reminders stop going to Telegram; the chat is forgotten."""
    if not user.telegram_chat_id:
        raise UsageError("not linked", key="accounts.telegram_not_linked")
    chat = user.telegram_chat_id
    user.telegram_chat_id, user.telegram_active, user.telegram_bound_at = None, False, None
    s.add(user)
    s.flush()
    audit.append(s, f"web:{user.login}", "user.telegram_unlinked", "user", user.id,
                 {"login": user.login, "chat": chat})

"""Accounts: argon2 passwords, lock-out, browser sessions, API tokens and feed tokens.

Tokens are random (secrets.token_urlsafe) and only their SHA-256 is stored, so a copy of
the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, select

from workflow.core.errors import UsageError
from workflow.storage import audit
from workflow.storage.models import ApiToken, CalendarFeed, User, WebSession

HASHER = PasswordHasher()
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
SESSION_SECONDS = 12 * 3600
MIN_PASSWORD = 10


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(s: Session, user: User, password: str, actor: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError("password too short", key="error.short_password", n=MIN_PASSWORD)
    user.password_hash = HASHER.hash(password)
    user.failed_logins, user.locked_until = 0, None
    s.add(user)
    s.flush()
    audit.append(s, actor, "user.password", "user", user.id, {"login": user.login})


@dataclass
class LoginResult:
    """Outcome of a login attempt; the caller commits either way (failures are counted)."""

    user: User | None
    error: str | None = None  # catalogue key: login.failed or login.locked
    minutes: int = 0


def authenticate(s: Session, login: str, password: str, now: float | None = None) -> LoginResult:
    """Check a password; after MAX_FAILURES wrong ones the account is locked for a while."""
    now = now or time.time()
    login = (login or "")[:100]
    user = s.exec(select(User).where(User.login == login)).first()
    if user is None or not user.active or not user.password_hash:
        HASHER.hash("timing-equaliser")  # similar time for unknown users
        audit.append(s, f"web:{login}", "login.failed", "user", "?", {"login": login})
        return LoginResult(None, "login.failed")
    if user.locked_until and user.locked_until > now:
        audit.append(s, f"web:{login}", "login.locked", "user", user.id, {"login": login})
        return LoginResult(None, "login.locked", int((user.locked_until - now) // 60) + 1)
    try:
        HASHER.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILURES
        if locked:
            user.locked_until, user.failed_logins = now + LOCK_SECONDS, 0
        s.add(user)
        audit.append(s, f"web:{login}", "login.locked" if locked else "login.failed", "user",
                     user.id, {"login": login})
        if locked:
            return LoginResult(None, "login.locked", LOCK_SECONDS // 60)
        return LoginResult(None, "login.failed")
    user.failed_logins, user.locked_until = 0, None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    s.add(user)
    audit.append(s, f"web:{login}", "login.ok", "user", user.id, {"login": login})
    return LoginResult(user)


def open_session(s: Session, user: User, now: float | None = None) -> tuple[str, WebSession]:
    now = now or time.time()
    token = secrets.token_urlsafe(32)
    row = WebSession(token_hash=digest(token), user_id=user.id, csrf=secrets.token_urlsafe(24),
                     created_at=now, expires_at=now + SESSION_SECONDS)
    s.add(row)
    s.flush()
    return token, row


def session_user(s: Session, token: str | None, now: float | None = None
                 ) -> tuple[User, WebSession] | None:
    if not token:
        return None
    now = now or time.time()
    row = s.exec(select(WebSession).where(WebSession.token_hash == digest(token))).first()
    if row is None or row.expires_at < now:
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def close_session(s: Session, token: str) -> None:
    row = s.exec(select(WebSession).where(WebSession.token_hash == digest(token))).first()
    if row is not None:
        user = s.get(User, row.user_id)
        audit.append(s, f"web:{user.login if user else row.user_id}", "logout", "user",
                     row.user_id, {})
        s.delete(row)


def create_api_token(s: Session, user: User, name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise UsageError("token name must be 1-100 characters", key="error.bad_token_name")
    token = "mz_" + secrets.token_urlsafe(32)
    s.add(ApiToken(token_hash=digest(token), user_id=user.id, name=name, created_at=time.time()))
    s.flush()
    audit.append(s, f"web:{user.login}", "token.create", "user", user.id, {"name": name})
    return token


def api_user(s: Session, token: str | None) -> User | None:
    if not token:
        return None
    row = s.exec(select(ApiToken).where(ApiToken.token_hash == digest(token),
                                        ApiToken.revoked_at.is_(None))).first()
    if row is None:
        return None
    user = s.get(User, row.user_id)
    return user if user is not None and user.active else None


def create_feed(s: Session, owner: User, scope: str, organisation_id: int | None) -> str:
    token = secrets.token_urlsafe(32)
    s.add(CalendarFeed(token_hash=digest(token), owner_id=owner.id, scope=scope,
                       organisation_id=organisation_id, created_at=time.time()))
    s.flush()
    audit.append(s, f"web:{owner.login}", "feed.create", "user", owner.id,
                 {"scope": scope, "organisation_id": organisation_id})
    return token


def feed_for(s: Session, token: str) -> CalendarFeed | None:
    return s.exec(select(CalendarFeed).where(CalendarFeed.token_hash == digest(token),
                                             CalendarFeed.revoked_at.is_(None))).first()


def revoke_feed(s: Session, owner: User, feed_id: int) -> bool:
    row = s.get(CalendarFeed, feed_id)
    if row is None or row.owner_id != owner.id or row.revoked_at is not None:
        return False
    row.revoked_at = time.time()
    s.add(row)
    audit.append(s, f"web:{owner.login}", "feed.revoke", "user", owner.id, {"feed": feed_id})
    return True


def live_feeds(s: Session, user: User) -> list[CalendarFeed]:
    """The user's calendar feeds that are not revoked."""
    return list(s.exec(select(CalendarFeed).where(CalendarFeed.owner_id == user.id,
                                                  CalendarFeed.revoked_at.is_(None))))


def live_tokens(s: Session, user: User) -> list[ApiToken]:
    """The user's API tokens that are not revoked."""
    return list(s.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                              ApiToken.revoked_at.is_(None))))


def revoke_token(s: Session, user: User, token_id: int | None, actor: str) -> bool:
    """Revoke one of the user's own API tokens (audited); another's or an unknown one: no-op."""
    row = s.get(ApiToken, token_id) if token_id is not None else None
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = time.time()
    s.add(row)
    audit.append(s, actor, "token.revoke", "user", user.id, {"token": row.id})
    return True

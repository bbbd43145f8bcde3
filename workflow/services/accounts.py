"""Accounts: argon2 passwords, lock-out, browser sessions, API tokens and feed tokens.

Tokens are random (secrets.token_urlsafe) and only their SHA-256 is stored, so a copy of
the database does not let anyone sign in.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from argon2 import Parameters, PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import MerzimError, UsageError
from workflow.kept import reading, versions
from workflow.settings import (
    ARGON2_PROFILE_ENV,
    ARGON2_PROFILES,
    argon2_profile,
    default_password_checks,
)
from workflow.storage import audit
from workflow.storage.db import begin_write
from workflow.storage.models import (
    ApiToken,
    CalendarFeed,
    Organisation,
    User,
    WebSession,
)
from workflow.storage.queries import accounts as queries

# argon2-cffi's parameter sets by the names MERZIM_ARGON2_PROFILE takes (workflow.settings)
# OWASP's Password Storage Cheat Sheet: argon2id, 19 MiB, 2 passes, one lane (the
# recommendation with the lower memory cost)
OWASP_19M = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=2,
                       memory_cost=19 * 1024, parallelism=1)
_PROFILES = {"owasp-19m": OWASP_19M,
             "rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY,
             "cheapest": profiles.CHEAPEST}
assert tuple(_PROFILES) == ARGON2_PROFILES
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
SESSION_SECONDS = 12 * 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 200  # the same limit for `user password` and the login form


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def fresh_token(s: Session, table: Any, user_id: int | None, at: float) -> str:
    """A new one-time token of hers for the rows of `table` (an invitation, an e-mail change:
    `user_id`, `used_at`), its unused older ones ending now; the row keeps only `digest`."""
    for old in queries.unused_tokens(s, table, user_id):
        old.used_at = at
        s.add(old)
    return secrets.token_urlsafe(32)


@functools.cache
def _hasher_of(profile: str) -> PasswordHasher:
    if profile == "cheapest":
        logging.getLogger("merzim.accounts").warning(
            "%s=cheapest: passwords are hashed at the lowest argon2 cost (test suites only)",
            ARGON2_PROFILE_ENV)
    return PasswordHasher.from_parameters(_PROFILES[profile])


def hasher() -> PasswordHasher:
    """The password hasher of the profile the environment names (default: OWASP's 19 MiB).

    A hash carries its own parameters, so a password set under one profile is still checked
    under another, and re-hashed with the current one at its next sign-in."""
    return _hasher_of(argon2_profile(os.environ))


class SignInBusy(MerzimError):
    """Every password check of this process is taken and none came free in time: nothing was
    checked or stored; the reader tries again in a moment (`retry_after` seconds)."""

    exit_code = 1
    key = "signin.busy"

    def __init__(self, retry_after: int):
        super().__init__("too many sign-ins at once: try again in a moment",
                         seconds=retry_after)
        self.retry_after = retry_after


@dataclass
class _Checks:
    slots: threading.BoundedSemaphore
    at_once: int
    wait_seconds: float


_checks = _Checks(threading.BoundedSemaphore(default_password_checks()),
                  default_password_checks(), 2.0)


def limit_password_checks(at_once: int, wait_seconds: float) -> None:
    """At most `at_once` password checks (argon2 hashes and verifies) at once in this process;
    one beyond them waits up to `wait_seconds` for a free one ([web] password_checks and
    password_wait_seconds). Checks already running finish under the limit they started with.

    Also has the C library hand a check's memory back when it ends (`_large_blocks_unmapped`):
    otherwise each of a web server's threads keeps the last one it held, and a burst of
    sign-ins leaves the process as large as its threads times argon2's memory."""
    global _checks
    _checks = _Checks(threading.BoundedSemaphore(at_once), at_once, wait_seconds)
    _large_blocks_unmapped()


# glibc's mallopt: blocks of this size and more are mapped on their own and unmapped when
# freed. Left to itself glibc raises that threshold to the size of the first such block freed
# (up to 32 MiB), after which argon2's 19 MiB comes from the allocating thread's own arena
# and stays with it: 40 server threads kept 40 × 19 MiB after a burst of 100 sign-ins.
_M_MMAP_THRESHOLD = -3
LARGE_BLOCK = 4 * 1024 * 1024


@functools.cache
def _large_blocks_unmapped() -> bool:
    """Blocks of LARGE_BLOCK bytes and more (argon2's memory) given back to the system when
    freed, in this process; False where the C library is not glibc (nothing to do)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK))


@contextmanager
def password_check() -> Iterator[None]:
    """One of the process's password checks, held for the block; SignInBusy when none comes
    free within the wait (the block then does not run: nothing is checked or written)."""
    checks = _checks
    if not checks.slots.acquire(timeout=checks.wait_seconds):
        raise SignInBusy(retry_after=max(1, round(checks.wait_seconds)))
    try:
        yield
    finally:
        checks.slots.release()


def set_password(s: Session, user: User, password: str, actor: str) -> None:
    """Set a web password; every session, API token and feed of the user ends with the old one."""
    if len(password) < MIN_PASSWORD:
        raise UsageError("password too short", key="error.short_password", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise UsageError("password too long", key="error.long_password", n=MAX_PASSWORD)
    with password_check():
        user.password_hash = hasher().hash(password)
    user.failed_logins, user.locked_until = 0, None
    s.add(user)
    s.flush()
    audit.append(s, actor, "user.password", "user", user.id, {"login": user.login})
    revoke_all(s, user, actor)


def revoke_all(s: Session, user: User, actor: str, now: float | None = None) -> dict[str, int]:
    """End the user's browser sessions and revoke her API tokens and calendar feeds (audited).

    Revoked tokens and feeds stay revoked: reactivating the user or a new password does not
    revive them; she makes new ones."""
    now = now or time.time()
    sessions = queries.sessions_of(s, user.id)
    for row in sessions:
        s.delete(row)
    tokens = queries.live_tokens(s, user.id)
    feeds = queries.live_feeds(s, user.id)
    revocable: list[ApiToken | CalendarFeed] = [*tokens, *feeds]
    for held in revocable:
        held.revoked_at = now
        s.add(held)
    s.flush()
    counts = {"sessions": len(sessions), "tokens": len(tokens), "feeds": len(feeds)}
    audit.append(s, actor, "user.revoke", "user", user.id, {"login": user.login, **counts})
    return counts


@dataclass
class LoginResult:
    """Outcome of a login attempt; the caller commits either way (failures are counted).

    A locked account answers like a wrong password (error "login.failed"), so the answer does
    not tell which logins exist; `locked` is for the caller's logs and tests only."""

    user: User | None
    error: str | None = None  # catalogue key: login.failed
    minutes: int = 0
    locked: bool = False


@functools.cache
def _stand_in_hash(profile: str) -> str:
    """A hash to check against when there is no account, so every attempt costs one verify."""
    return _hasher_of(profile).hash(secrets.token_urlsafe(16))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def current_password_matches(user: User, password: str) -> bool:
    """Whether `password` is the user's own (a password change's first step), checked inside
    one of the process's password checks, as a sign-in is (SignInBusy when none comes free)."""
    if not user.password_hash:
        return False
    with password_check():
        return (len(password) <= MAX_PASSWORD
                and _password_matches(user.password_hash, password[:MAX_PASSWORD]))


def _user_for_update(s: Session, user_id: int) -> User:
    """The user's row, re-read under a lock: failures are counted one attempt at a time."""
    begin_write(s)  # SQLite: the database's write lock; PostgreSQL: FOR UPDATE below
    return queries.user_for_update(s, user_id)


def _checked(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether the password matches (checked against a stand-in hash when `stored` is falsy),
    and its new hash when it matches one made with other parameters than today's: both inside
    one of the process's password checks (SignInBusy when none comes free in time)."""
    with password_check():
        matches = _password_matches(stored or _stand_in_hash(argon2_profile(os.environ)),
                                    password[:MAX_PASSWORD]) and len(password) <= MAX_PASSWORD
        if matches and stored and hasher().check_needs_rehash(stored):
            return True, hasher().hash(password)
        return matches, None


def authenticate(s: Session, login: str, password: str, now: float | None = None) -> LoginResult:
    """Check a password; after MAX_FAILURES wrong ones the account is locked for a while.

    Every attempt runs one argon2 verify (against a stand-in hash when the account does not
    exist, is inactive or has no password) and every refusal is the same "login.failed", so
    neither the answer nor its time says whether a login exists or is locked. The failure
    count and the lock are decided under a lock on the user's row, from the counted value, so
    parallel guesses cannot get past MAX_FAILURES. The verify (and the re-hash of a password
    hashed with older parameters) takes one of the process's password checks: when none comes
    free in time, SignInBusy before anything is written."""
    now = now or time.time()
    login = (login or "")[:100]
    password = password or ""
    user = queries.user_by_login(s, login)
    stored = user.password_hash if user is not None and user.active else None  # falsy: unusable
    matches, rehashed = _checked(stored, password)
    if user is None or not stored:
        audit.append(s, f"web:{login}", "login.failed", "user", user.id if user else "?",
                     {"login": login})
        return LoginResult(None, "login.failed")
    user = _user_for_update(s, user.id)
    if not matches or _locked(user, now):
        locked = _count_failure(s, user, now, f"web:{login}", {"login": login})
        return LoginResult(None, "login.failed", locked=locked)
    user.failed_logins, user.locked_until = 0, None
    user.signed_in_at = now  # her channels are hers from now on (services.channels)
    if rehashed is not None and user.password_hash == stored:  # (not changed meanwhile)
        user.password_hash = rehashed
    s.add(user)
    audit.append(s, f"web:{login}", "login.ok", "user", user.id, {"login": login})
    return LoginResult(user)


def _locked(user: User, now: float) -> bool:
    return bool(user.locked_until and user.locked_until > now)


def _count_failure(s: Session, user: User, now: float, actor: str,
                   payload: dict[str, str]) -> bool:
    """A wrong password of `user` (her row locked by the caller), whether given to sign in or
    as her current password to change it: counted, and after MAX_FAILURES the account is
    locked for LOCK_SECONDS; while it is locked nothing more is counted (audited
    "login.locked"). Whether the account is locked now."""
    if _locked(user, now):
        audit.append(s, actor, "login.locked", "user", user.id, payload)
        return True
    user.failed_logins += 1
    locked = user.failed_logins >= MAX_FAILURES
    if locked:
        user.locked_until, user.failed_logins = now + LOCK_SECONDS, 0
    s.add(user)
    audit.append(s, actor, "login.locked" if locked else "login.failed", "user", user.id,
                 payload)
    return locked


def own_password_matches(user: User, password: str, now: float | None = None) -> bool:
    """Whether `password` is the user's own and her account is not locked: a password
    change's first step, checked as a sign-in is (one of the process's password checks,
    SignInBusy when none comes free). A False is counted by `wrong_password_refused`."""
    now = now or time.time()
    return current_password_matches(user, password) and not _locked(user, now)


def wrong_password_refused(s: Session, user_id: int, actor: str, now: float | None = None
                           ) -> bool:
    """A password change refused for a wrong current password (or a locked account): what it
    did is rolled back, as any refusal's, and the wrong password is counted toward the lock-out
    with the wrong sign-ins (the same counter, the same MAX_FAILURES) and committed at once.
    Whether the account is locked now."""
    from workflow.services import transactions as tx

    s.rollback()
    try:
        user = _user_for_update(s, user_id)
        locked = _count_failure(s, user, now or time.time(), actor,
                                {"login": user.login, "via": "password_change"})
        tx.commit(s, write=bool(s.info.get(tx.DEFERRED)))
    except BaseException:
        s.rollback()
        raise
    return locked


def open_session(s: Session, user: User, now: float | None = None) -> tuple[str, WebSession]:
    now = now or time.time()
    token = secrets.token_urlsafe(32)
    row = WebSession(token_hash=digest(token), user_id=user.id, csrf=secrets.token_urlsafe(24),
                     created_at=now, expires_at=now + SESSION_SECONDS)
    s.add(row)
    s.flush()
    return token, row


def signed_in(s: Session, token: str | None, now: float | None = None
              ) -> tuple[User, WebSession, Organisation | None] | None:
    """The user of a live browser session, the session and her organisation, in one SELECT
    (every page asks: three round trips were one too many); None when the token is no live
    session of an active user."""
    if not token:
        return None
    now = now or time.time()
    found = queries.session_with_user(s, digest(token), versions.reader_scope_columns)
    if found is None:
        return None
    row, user, org, besides = found
    if row.expires_at < now or not user.active:
        return None
    # what her page reads besides, read in the same statement: the versions of her scopes and
    # of her lists' parts (those never written: 0), and the organisations' version
    named = versions.reader_scopes({"user": user.id, "org": org.id if org else None,
                                    "path": org.path if org else None})
    found_versions = besides["versions"]
    reading.known_versions(s, {**{sc: found_versions.get(sc, 0) for sc in named},
                              **besides["parts"]})
    return user, row, org


def close_session(s: Session, token: str) -> None:
    row = queries.session_by_hash(s, digest(token))
    if row is not None:
        user = s.get(User, row.user_id)
        audit.append(s, f"web:{user.login if user else row.user_id}", "logout", "user",
                     row.user_id, {})
        s.delete(row)


def create_api_token(s: Session, user: User, name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > limits.TOKEN_NAME:
        raise UsageError(f"token name must be 1-{limits.TOKEN_NAME} characters",
                         key="error.bad_token_name", limit=limits.TOKEN_NAME)
    token = "mz_" + secrets.token_urlsafe(32)
    s.add(ApiToken(token_hash=digest(token), user_id=user.id, name=name, created_at=time.time()))
    s.flush()
    audit.append(s, f"web:{user.login}", "token.create", "user", user.id, {"name": name})
    return token


def api_user(s: Session, token: str | None) -> User | None:
    found = api_signed_in(s, token)
    return None if found is None else found[0]


def api_signed_in(s: Session, token: str | None
                  ) -> tuple[User, Organisation | None] | None:
    """The active user of a live API token and her organisation, in one SELECT; None when the
    token is not one."""
    if not token:
        return None
    found = queries.live_token_user(s, digest(token))
    if found is None or not found[0].active:
        return None
    return found[0], found[1]


def create_feed(s: Session, owner: User, scope: str, organisation_id: int | None) -> str:
    token = secrets.token_urlsafe(32)
    s.add(CalendarFeed(token_hash=digest(token), owner_id=owner.id, scope=scope,
                       organisation_id=organisation_id, created_at=time.time()))
    s.flush()
    audit.append(s, f"web:{owner.login}", "feed.create", "user", owner.id,
                 {"scope": scope, "organisation_id": organisation_id})
    return token


def feed_for(s: Session, token: str) -> CalendarFeed | None:
    return queries.live_feed_by_hash(s, digest(token))


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
    return queries.live_feeds(s, user.id)


def live_tokens(s: Session, user: User) -> list[ApiToken]:
    """The user's API tokens that are not revoked."""
    return queries.live_tokens(s, user.id)


def revoke_token(s: Session, user: User, token_id: int | None, actor: str) -> bool:
    """Revoke one of the user's own API tokens (audited); another's or an unknown one: no-op."""
    row = s.get(ApiToken, token_id) if token_id is not None else None
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = time.time()
    s.add(row)
    audit.append(s, actor, "token.revoke", "user", user.id, {"token": row.id})
    return True

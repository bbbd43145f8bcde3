"""The people an administrator administers, each with her status: invited (until her
invitation expires), not invited (no live invitation: it expired, or none was sent), active
(she chose her password) or deactivated. The status is decided here, once, for the people
page and any other surface; an invitation resent and an account deactivated or reactivated
are the existing services' (`invitations.invite`, `users.update_user`), audited there. An
invitation is resent at most once a minute per person (`resend`, whichever surface asks)."""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from workflow.core.errors import RuleViolation
from workflow.kept import figures
from workflow.services.context import Context
from workflow.storage.models import Organisation, User
from workflow.storage.queries.accounts import (
    administrators_over,
    all_codes_with_officers,
    codes_with_officers,
    last_invitation_at,
    people_rows,
    user_for_update,
)

INVITED, NOT_INVITED, ACTIVE, DEACTIVATED = "invited", "not_invited", "active", "deactivated"
STATUSES = (INVITED, NOT_INVITED, ACTIVE, DEACTIVATED)
RESEND_SECONDS = 60  # an invitation is sent again at most once a minute per person


def status_of(active: bool, has_password: bool, invited_until: float | None,
              now: float) -> str:
    """A person's status: deactivated; active once she has a password; else invited while an
    invitation of hers is live, not invited when none is."""
    if not active:
        return DEACTIVATED
    if has_password:
        return ACTIVE
    return INVITED if invited_until is not None and invited_until > now else NOT_INVITED


@dataclass(frozen=True)
class Person:
    """A person as the people page lists her."""

    login: str
    full_name: str
    email: str | None
    role: str
    org: Any  # a row with the organisation's code, names and path
    status: str
    invited_until: float | None  # (status "invited") when her invitation expires

    def matches(self, query: str) -> bool:
        """Whether her name, login or e-mail holds `query` (case ignored; an empty one: yes)."""
        q = query.strip().casefold()
        return not q or any(q in (v or "").casefold()
                            for v in (self.full_name, self.login, self.email))


def people_of(s: Session, org: Organisation, now: float | None = None) -> list[Person]:
    """Everyone of the organisation's subtree, in the tree's order then by name, with her
    status."""
    t = time.time() if now is None else now
    out = []
    for r in people_rows(s, org):
        status = status_of(r.active, r.has_password, r.invited_until, t)
        out.append(Person(r.login, r.full_name, r.email, r.role, r, status,
                          r.invited_until if status == INVITED else None))
    return out


def resend(s: Session, ctx: Context, user: User, base_url: str, days: int,
           now: float | None = None) -> str:
    """A new invitation for a person who has not chosen her password (her older link stops
    working); refused, nothing written, for an active person (her password is reset instead),
    a deactivated one, one who answers for a protected case and never signed in
    (`channels.invitation_refusal`), and within RESEND_SECONDS of her newest invitation (the
    refusal says in how many seconds it may be sent: the time is the stored invitation's)."""
    from workflow.services import channels, invitations

    if not user.active:
        raise RuleViolation("deactivated", key="people.resend_deactivated", login=user.login)
    if user.password_hash is not None:
        raise RuleViolation("already active", key="people.resend_active", login=user.login)
    refusal = channels.invitation_refusal(s, user)
    if refusal is not None:
        raise refusal
    user_for_update(s, user.id)  # two resends at once: the second sees the first's invitation
    t = time.time() if now is None else now
    wait = resend_wait(s, user, t)
    if wait:
        raise RuleViolation(f"sent less than {RESEND_SECONDS} s ago", key="people.resend_wait",
                            login=user.login, n=wait)
    return invitations.invite(s, ctx, user, base_url, days, now=t)


def resend_wait(s: Session, user: User, now: float) -> int:
    """The whole seconds until her invitation may be sent again (0: now): RESEND_SECONDS
    after her newest one (`invitation.created_at`: made at an import, a resend or a reset)."""
    last = last_invitation_at(s, user.id)
    if last is None:
        return 0
    return max(0, math.ceil(last + RESEND_SECONDS - now))


def set_active(s: Session, ctx: Context, user: User, active: bool, by: User | None) -> User:
    """Deactivate (her sessions, tokens and feeds end) or reactivate a person, audited
    (`users.update_user`); an administrator does not deactivate herself."""
    from workflow.services.users import update_user

    if by is not None and by.id == user.id and not active:
        raise RuleViolation("not oneself", key="people.deactivate_self")
    if user.active == active:
        raise RuleViolation("nothing to change", key="people.already_" +
                            ("active" if active else "deactivated"), login=user.login)
    return update_user(s, ctx, user.login, active=active)


def administrators_of(s: Session, org: Organisation) -> list[tuple[str, str]]:
    """(login, full name) of who adds people to the organisation: its administrators and
    those above it, active, by name."""
    return administrators_over(s, org)


def staffless(s: Session, case_ids: Any) -> list[str]:
    """The codes of the organisations of the cases `case_ids` that have no active officer (a
    case of theirs can be handed to nobody yet), in code order."""
    from workflow.storage.queries import cases as case_queries

    codes = case_queries.subject_codes(s, sorted(set(case_ids)))
    return sorted(without_officer(s, codes))


def without_officer(s: Session, codes: Any) -> frozenset[str]:
    """Those of the organisations `codes` with no active officer: a case of theirs can be
    handed to nobody (`case_plan.assign_responsible` takes only an active officer of the
    case's organisation) until one is added. Every list page of unassigned rows asks: the
    organisations with an officer are kept (`officered`)."""
    wanted = set(codes)
    if not wanted:
        return frozenset()
    return frozenset(wanted - officered(s, wanted))


# the codes of the organisations with an active officer, per database, by the versions of
# what they are made of (kept/figures.py `officers`: every account's write and the
# organisations' move them)
_OFFICERED: weakref.WeakKeyDictionary[Any, tuple[tuple[int, ...], frozenset[str]]] = \
    weakref.WeakKeyDictionary()


def officered(s: Session, codes: Any = None) -> frozenset[str] | set[str]:
    """The codes of the organisations with an active officer, all of them, kept across
    requests until an account or an organisation is written; in a transaction that has
    written (it reads its own), those of `codes` (all when None)."""
    version = figures.versions_of(s, "officers")
    if version is None:
        return codes_with_officers(s, sorted(codes)) if codes is not None else \
            all_codes_with_officers(s)
    bind = s.get_bind()
    found = _OFFICERED.get(bind)
    if found is None or found[0] != version:
        found = (version, frozenset(all_codes_with_officers(s)))
        _OFFICERED[bind] = found  # (an item set is atomic)
    return found[1]


def forget_officered() -> None:
    """Drop what is kept of who has an officer (the tests' recount)."""
    _OFFICERED.clear()

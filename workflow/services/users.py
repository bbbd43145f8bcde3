"""Users: add and change the people merzim knows (officers, managers, admins)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import RuleViolation, UsageError
from workflow.services import visibility
from workflow.services.accounts import revoke_all
from workflow.services.context import Context
from workflow.services.lookup import get_org, get_user
from workflow.storage import audit
from workflow.storage.models import ROLES, User
from workflow.storage.queries.accounts import user_by_login, users_with_orgs

EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def add_user(s: Session, ctx: Context, login: str, full_name: str, role: str, org_code: str,
             email: str | None = None, language: str = "kk") -> User:
    login = (login or "").strip()
    if not login or len(login) > limits.LOGIN or any(c.isspace() for c in login):
        raise UsageError(f"bad login {login!r}", key="error.bad_login", value=login,
                         limit=limits.LOGIN)
    _check_user_fields(role, email, language, full_name)
    if user_by_login(s, login):
        raise RuleViolation(f"user {login} exists", key="rule.user_exists", login=login)
    org = get_org(s, org_code)
    user = User(login=login, full_name=full_name or login, role=role, organisation_id=org.id,
                email=email, language=language)
    s.add(user)
    s.flush()
    audit.append(s, ctx.actor, "user.add", "user", user.id,
                 {"login": login, "role": role, "org": org_code, "email": email})
    arrived(s, ctx, user)
    return user


def arrived(s: Session, ctx: Context, user: User) -> None:
    """An officer (added, invited, made one, moved or reactivated) is handed her
    organisation's cases nobody answers for (services/unanswered.py)."""
    if visibility.unassigned_of(user) is not None and user.active:
        from workflow.services.unanswered import hand_to_officers

        hand_to_officers(s, ctx, [user.organisation_id])


def _check_user_fields(role: str | None, email: str | None, language: str | None,
                       full_name: str | None = None) -> None:
    for what, value, limit in (("full_name", full_name, limits.FULL_NAME),
                               ("email", email, limits.EMAIL)):
        if value is not None and len(value) > limit:
            raise UsageError(f"{what} must be at most {limit} characters", key="error.too_long",
                             field=what, limit=limit)
    if role is not None and role not in ROLES:
        raise UsageError(f"unknown role {role!r}", key="error.bad_role", value=role,
                         known=", ".join(ROLES))
    if language is not None and language not in ("kk", "ru", "en"):
        raise UsageError(f"unknown language {language!r}", key="error.bad_language",
                         value=language)
    if email is not None and not EMAIL.match(email):
        raise UsageError(f"bad email address {email!r}", key="error.bad_email", value=email)


def check_email(email: str) -> str:
    """An e-mail address as merzim keeps it; refused when it is not one."""
    _check_user_fields(None, email or "", None)  # an empty one is not an address either
    return email


def update_user(s: Session, ctx: Context, login: str, base_url: str | None = None,
                **changes: Any) -> User:
    """Change a user's name, position, role, organisation, email, language, Telegram chat or
    activity (an empty position removes it).

    Her e-mail and Telegram chat follow `services.channels` (P-27): once she has signed in,
    a new e-mail waits for her confirmation by a link to it (`base_url`: where the link
    points) and her Telegram chat is hers to bind; such a refusal stores nothing.
    Deactivating ends her sessions and revokes her API tokens and feeds for good."""
    from workflow.services import channels

    user = get_user(s, login)
    _check_user_fields(changes.get("role"), changes.get("email") or None, changes.get("language"),
                       changes.get("full_name"))
    applied: dict[str, Any] = {}
    if changes.get("org") is not None:
        user.organisation_id = get_org(s, changes["org"]).id
        applied["org"] = changes["org"]
    for key in ("full_name", "role", "language", "active"):
        if changes.get(key) is not None:
            setattr(user, key, changes[key])
            applied[key] = changes[key]
    if changes.get("position") is not None:
        position = changes["position"].strip() or None
        if position is not None and len(position) > limits.TITLE:
            exc = UsageError(f"position must be at most {limits.TITLE} characters",
                             key="error.too_long", field="position", limit=limits.TITLE)
            exc.labels["field"] = "people.col_position"
            raise exc
        if position != user.position:
            user.position = applied["position"] = position
    pending = channels.admin_channels(s, ctx, user, changes, base_url)
    applied.update(pending)
    if not applied:
        raise UsageError("nothing to change", key="error.nothing_to_change")
    s.add(user)
    s.flush()
    audit.append(s, ctx.actor, "user.set", "user", user.id, {"login": login, **applied})
    if applied.get("active") is False:  # a deactivated user is signed out everywhere
        revoke_all(s, user, ctx.actor)
    if applied.keys() & {"role", "org", "active"}:
        arrived(s, ctx, user)
    return user


def list_users(s: Session) -> list[dict[str, Any]]:
    """Every user with the code of their organisation, by login."""
    return [{"login": u.login, "name": u.full_name, "role": u.role, "org": o.code,
             "email": u.email, "language": u.language, "active": u.active}
            for u, o in users_with_orgs(s)]


# the channels an audited actor came through ("web:asel", "api:asel", "telegram:asel"): what
# follows is a merzim login. A command line's actor names the operating-system account
# ("cli:erlan"), which is not a login, and "worker" or "demo" are merzim itself: kept as they are.
LOGIN_CHANNELS = ("web", "api", "telegram")


def display_names(s: Session, actors: Any) -> dict[str, str]:
    """Each actor or login of `actors` (an audit trail's "web:asel", or a bare "asel") that
    names a known user, mapped to her full name; the others are left out (shown as written)."""
    logins: dict[str, str] = {}
    for actor in {a for a in actors if a}:
        channel, sep, login = actor.partition(":")
        if not sep:
            logins[actor] = actor
        elif channel in LOGIN_CHANNELS and login:
            logins[actor] = login
    if not logins:
        return {}
    from workflow.storage.queries.accounts import full_names

    names = full_names(s, list(logins.values()))
    return {actor: names[login] for actor, login in logins.items() if names.get(login)}

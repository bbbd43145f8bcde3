"""Queries of the accounts: users, their browser sessions, API tokens and calendar feeds, and
the officers an organisation's cases go to (`services/accounts.py`, `users.py`, `lookup.py`,
`obligations.py`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, or_
from sqlalchemy import select as rows_of
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workflow.storage.models import (
    OFFICER,
    ApiToken,
    CalendarFeed,
    Invitation,
    ListVersion,
    Organisation,
    User,
    WebSession,
)
from workflow.storage.queries import jit_off_column, jit_turned_off
from workflow.storage.queries.organisations import remember


def user_by_login(s: Session, login: str) -> User | None:
    """The user of a login, or None."""
    return s.exec(select(User).where(User.login == login)).first()


def full_names(s: Session, logins: Sequence[str]) -> dict[str, str]:
    """The full name of each of these logins that names a user."""
    return dict(s.exec(select(User.login, User.full_name)
                       .where(col(User.login).in_(sorted(set(logins))))).all())


def user_for_update(s: Session, user_id: int) -> User:
    """The user's row re-read from the database under a row lock (FOR NO KEY UPDATE on
    PostgreSQL), replacing what the session holds. Not FOR UPDATE: that lock also stops every
    insert whose foreign key names the user (a case she is responsible for), so a sign-in
    holding it while it waits for the audit chain's lock deadlocked with a writer holding
    that lock and opening her case (a register import's batch)."""
    return s.exec(select(User).where(User.id == user_id).with_for_update(key_share=True)
                  .execution_options(populate_existing=True)).one()


def users_with_orgs(s: Session) -> list[tuple[User, Organisation]]:
    """Every user with her organisation, by login."""
    return list(s.exec(select(User, Organisation)
                       .join(Organisation, col(Organisation.id) == User.organisation_id)
                       .order_by(User.login)))


def active_officers(s: Session, org_ids: Sequence[int]) -> list[User]:
    """The active officers of the organisations `org_ids` (one query: the caller chunks), by
    id."""
    return list(s.exec(select(User).where(col(User.organisation_id).in_(org_ids),
                                          User.role == OFFICER, User.active)
                       .order_by(col(User.id))))


def active_officer_rows(s: Session, org_ids: Sequence[int]) -> list[Any]:
    """`active_officers` as rows of (id, login, organisation_id), not table objects (a
    register import reads them again for every batch of its rows)."""
    return list(s.execute(rows_of(col(User.id), col(User.login), col(User.organisation_id))
                          .where(col(User.organisation_id).in_(org_ids),
                                 col(User.role) == "officer", col(User.active))
                          .order_by(col(User.id))))


def unused_tokens(s: Session, table: Any, user_id: int | None) -> Sequence[Any]:
    """The user's one-time tokens in `table` (invitations, e-mail changes) not used yet."""
    return s.exec(select(table).where(table.user_id == user_id,
                                      col(table.used_at).is_(None))).all()


def last_invitation_at(s: Session, user_id: int | None) -> float | None:
    """When the user's newest invitation was made (a resend and a reset make one too; None:
    she never had one)."""
    return s.exec(select(func.max(Invitation.created_at))
                  .where(Invitation.user_id == user_id)).one()


def sessions_of(s: Session, user_id: int | None) -> Sequence[WebSession]:
    """Every browser session of the user."""
    return s.exec(select(WebSession).where(WebSession.user_id == user_id)).all()


def session_by_hash(s: Session, token_hash: str) -> WebSession | None:
    """The browser session of a token's hash (expired or not), or None."""
    return s.exec(select(WebSession).where(WebSession.token_hash == token_hash)).first()


def session_with_user(s: Session, token_hash: str,
                      scopes: Callable[[dict[str, Any]], list[Any]]) -> Any:
    """(session, user, her organisation or None, what her page reads besides) of a token's
    hash, expired or not, in one SELECT (every page asks), or None. What her page reads
    besides, in the same statement: the versions of the scopes every page of hers may read
    (`scopes`: workflow/kept/versions.py `reader_scope_columns`, the SQL expressions of them
    from her columns "user", "org" and "path"; those never written left out) and of her
    direct subordinates' paths (the parts of her lists: every one, 0 if never written), as
    `{"versions": {scope: version}, "parts": {path: version}}`."""
    found = s.execute(_session_statement(s.get_bind().dialect.name, scopes),
                      {"token_hash": token_hash}).first()
    if found is None:
        return None
    row, user, org, named, parts = found
    remember(s, org)
    return row, user, org, {"versions": _json(named), "parts": _json(parts)}


def _json(value: Any) -> dict[str, int]:
    """An aggregated JSON object as the driver gives it (PostgreSQL's json: a dict; SQLite's:
    its text; none aggregated: NULL)."""
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


@functools.cache
def _session_statement(dialect: str, scopes_of: Callable[[dict[str, Any]], list[Any]]) -> Any:
    """`session_with_user`'s statement, built once per dialect (its ORM SELECT of three entities
    and two subqueries costs more CPU to build than to run)."""
    object_agg = func.json_object_agg if dialect == "postgresql" else func.json_group_object
    lv, lv_part = aliased(ListVersion), aliased(ListVersion)
    child = aliased(Organisation)
    scopes = scopes_of({"user": User.id, "org": Organisation.id, "path": Organisation.path})
    named = (select(object_agg(lv.scope, lv.version)).where(col(lv.scope).in_(scopes))
             .scalar_subquery())
    parts = (select(object_agg(child.path, func.coalesce(lv_part.version, 0)))
             .select_from(child)
             .outerjoin(lv_part, col(lv_part.scope) == child.path)
             .where(col(child.parent_id) == Organisation.id).scalar_subquery())
    return (rows_of(WebSession, User, Organisation, named, parts)
            .join(User, col(User.id) == WebSession.user_id)
            .join(Organisation, col(Organisation.id) == User.organisation_id, isouter=True)
            .where(col(WebSession.token_hash) == bindparam("token_hash")))


# `live_token_user`'s statement, built once: every API request asks it, and building an ORM
# SELECT of two entities and its cache key costs more CPU than the round trip itself. On
# PostgreSQL it also turns JIT compilation off for the rest of the request's transaction
# (`jit_off_column`: the API's lists are not compiled, and no statement of their own says so)
_LIVE_TOKEN_USER = (select(User, Organisation)
                    .join(ApiToken, col(ApiToken.user_id) == User.id)
                    .join(Organisation, col(Organisation.id) == User.organisation_id,
                          isouter=True)
                    .where(col(ApiToken.token_hash) == bindparam("token_hash"),
                           col(ApiToken.revoked_at).is_(None)))
_LIVE_TOKEN_USER_NO_JIT = _LIVE_TOKEN_USER.add_columns(jit_off_column())


def live_token_user(s: Session, token_hash: str) -> tuple[User, Organisation | None] | None:
    """(user, her organisation or None) of a live API token's hash in one SELECT, or None; on
    PostgreSQL, the rest of the transaction then is not JIT-compiled (`jit_off_column`)."""
    postgres = s.get_bind().dialect.name == "postgresql"
    statement: Any = _LIVE_TOKEN_USER_NO_JIT if postgres else _LIVE_TOKEN_USER
    found = s.exec(statement, params={"token_hash": token_hash}).first()
    if found is None:
        return None
    if postgres:
        jit_turned_off(s)
    remember(s, found[1])
    return found[0], found[1]


def live_tokens(s: Session, user_id: int | None) -> list[ApiToken]:
    """The user's API tokens that are not revoked."""
    return list(s.exec(select(ApiToken).where(ApiToken.user_id == user_id,
                                              col(ApiToken.revoked_at).is_(None))))


def live_feeds(s: Session, owner_id: int | None) -> list[CalendarFeed]:
    """The user's calendar feeds that are not revoked."""
    return list(s.exec(select(CalendarFeed).where(CalendarFeed.owner_id == owner_id,
                                                  col(CalendarFeed.revoked_at).is_(None))))


def live_feed_by_hash(s: Session, token_hash: str) -> CalendarFeed | None:
    """The calendar feed of a hash if it is not revoked, else None."""
    return s.exec(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash,
                                             col(CalendarFeed.revoked_at).is_(None))).first()


def officer_names_under(s: Session, path: str) -> list[tuple[str, str, int]]:
    """(login, full name, organisation id) of every active officer of the organisation at
    `path` and those below it, in the tree's order then by name: plain rows, for a name typed
    to be found among them (`services/comments.py` `officers_named`)."""
    rows = s.exec(select(col(User.login), col(User.full_name), col(User.organisation_id))
                  .join(Organisation, col(Organisation.id) == User.organisation_id)
                  .where(User.role == OFFICER, col(User.active),
                         col(Organisation.path).startswith(path))
                  .order_by(col(Organisation.path), col(User.full_name), col(User.login)))
    return [(login, name, int(org_id or 0)) for login, name, org_id in rows]


def users_by_login(s: Session, logins: Sequence[str]) -> dict[str, User]:
    """The users of `logins` that exist, by login (one query)."""
    return {u.login: u for u in s.exec(select(User).where(col(User.login).in_(list(logins))))}


def logins_like(s: Session, bases: Iterable[str]) -> dict[str, str]:
    """The logins that begin with one of `bases` → their e-mail (folded; "" when none): the
    logins an import's proposal must not take, unless the person is the same."""
    bases = sorted(set(bases))
    found: dict[str, str] = {}
    for start in range(0, len(bases), 200):
        part = bases[start:start + 200]
        condition = or_(*(col(User.login).startswith(b, autoescape=True) for b in part))
        for login, email in s.exec(select(User.login, User.email).where(condition)):
            found[login] = (email or "").casefold()
    return found


def people_rows(s: Session, org: Organisation) -> list[Any]:
    """Rows of every user of the organisation's subtree, in the tree's order then by name:
    id, login, full_name, email, role, active, has_password, the organisation's code, names
    and path, and `invited_until` (when her newest unused invitation expires; None: she has
    none). Light rows, one query whatever the subtree's size."""
    from sqlalchemy import func

    from workflow.storage.models import Invitation
    from workflow.storage.queries import in_subtree, select_columns

    unused = (rows_of(col(Invitation.user_id), func.max(col(Invitation.expires_at))
                      .label("until"))
              .where(col(Invitation.used_at).is_(None))
              .group_by(col(Invitation.user_id)).subquery())
    return list(s.exec(select_columns(
        col(User.id), col(User.login), col(User.full_name), col(User.email), col(User.role),
        col(User.active), col(User.password_hash).is_not(None).label("has_password"),
        col(Organisation.code), col(Organisation.name), col(Organisation.name_kk),
        col(Organisation.name_ru), col(Organisation.path), unused.c.until.label("invited_until"))
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .outerjoin(unused, unused.c.user_id == User.id)
        .where(in_subtree(col(Organisation.path), org))
        .order_by(col(Organisation.path), col(User.full_name), col(User.login))))


def administrators_over(s: Session, org: Organisation) -> list[tuple[str, str]]:
    """(login, full name) of the active administrators of the organisation or of one above
    it (its path's), by name."""
    ids = [int(i) for i in org.path.strip("/").split("/") if i.isdigit()] or [org.id]
    return [(login, name) for login, name in s.exec(
        select(col(User.login), col(User.full_name))
        .where(col(User.organisation_id).in_(ids), User.role == "admin", col(User.active))
        .order_by(col(User.full_name), col(User.login)))]


def codes_with_officers(s: Session, codes: Sequence[str]) -> set[str]:
    """Those of the organisations `codes` that have an active officer (one query)."""
    if not codes:
        return set()
    return set(s.exec(_officered().where(col(Organisation.code).in_(sorted(set(codes))))))


def all_codes_with_officers(s: Session) -> set[str]:
    """The codes of every organisation that has an active officer (one query)."""
    return set(s.exec(_officered()))


def _officered() -> Any:
    return (select(col(Organisation.code)).distinct()
            .join(User, col(User.organisation_id) == Organisation.id)
            .where(User.role == OFFICER, col(User.active)))


def active_users_over(s: Session, org: Organisation, limit: int) -> list[User]:
    """The active users of the organisation and of those above it (its path's), by name; at
    most `limit` (who may read a case of `org` is among them)."""
    ids = [int(i) for i in org.path.strip("/").split("/") if i.isdigit()] or [org.id]
    return list(s.exec(select(User).where(col(User.organisation_id).in_(ids), col(User.active))
                       .order_by(col(User.full_name), col(User.login)).limit(limit)))


def positions_by_name(s: Session, org_id: int, names: Sequence[str]) -> dict[str, str]:
    """The position of each person of an organisation named (her full name) in `names` who
    has one; a name two people share gives none (whose would it be?)."""
    rows = s.exec(select(User.full_name, User.position)
                  .where(User.organisation_id == org_id, col(User.full_name).in_(list(names))))
    found: dict[str, list[str | None]] = {}
    for name, position in rows:
        found.setdefault(name, []).append(position)
    return {name: ps[0] for name, ps in found.items() if len(ps) == 1 and ps[0]}

"""Saved views: a list with its filters (the overdue list, the due list, the cases list, a
register's page) kept by a user under a name, shown in her menu with its count.

A view keeps an address inside merzim and nothing else: the list's path and its filters as a
query string (the page number and "as of" left out). It grants nothing: whoever opens it, or
sees it counted in her menu, sees the list as her own access shows it. A manager or an
administrator may share a view with the users of his organisation's subtree (his own
organisation's and those below it): they find it beside their own, counted with their access.
A view whose filters may name a person (`names_a_person`) is never shared: its address would
show the name.

Names are unique per user (case ignored), at most MAX_NAME characters; a user keeps at most
MAX_VIEWS. Each save, rename, share and delete is written to the audit log (entity "view")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlmodel import Session

from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.services import visibility
from workflow.services.context import Context
from workflow.storage import audit
from workflow.storage.models import Organisation, SavedView, User
from workflow.storage.queries import saved_views as q

MAX_NAME = 80  # characters of a view's name
MAX_QUERY = 1000  # characters of its filters
MAX_VIEWS = 50  # views one user keeps
LISTS = ("/overdue", "/due", "/cases")  # the lists a view may keep, besides a register's page
REGISTER = re.compile(r"/registers/([a-z0-9][a-z0-9_\-]{0,99})")
LEFT_OUT = frozenset(("page", "as_of", "clear", "lang", "csrf"))  # not a list's filters
SAVED, RENAMED, SHARED, DELETED = "view.save", "view.rename", "view.share", "view.delete"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def checked_name(name: str) -> str:
    """The name as kept (spaces around it trimmed); refused when empty, too long or holding a
    control character."""
    text = " ".join((name or "").split()) if name else ""
    if not text:
        raise UsageError("an empty view name", key="views.error_name_empty")
    if len(text) > MAX_NAME:
        raise UsageError(f"a view name of {len(text)} characters", key="views.error_name_long",
                         n=MAX_NAME, length=len(text))
    if any(ord(c) < 32 for c in name):
        raise UsageError("a control character in a view name", key="views.error_name_control")
    return text


def target(ctx: Context, address: str) -> tuple[str, str]:
    """(path, query) of a list's address inside merzim ("/overdue?org=X&year=2026"): refused
    when it is another site's, or no list a view may keep (an unknown register too)."""
    raw = (address or "").strip()
    parts = urlsplit(raw)
    path = parts.path.rstrip("/")
    if (parts.scheme or parts.netloc or not raw.startswith("/") or raw.startswith("//")
            or "\\" in raw or any(ord(c) < 32 for c in raw)):
        raise UsageError(f"not a list of merzim: {raw[:80]!r}", key="views.error_address")
    register = REGISTER.fullmatch(path)
    if path not in LISTS and (register is None or not _known(ctx, register.group(1))):
        raise UsageError(f"not a list of merzim: {raw[:80]!r}", key="views.error_address")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False)
                       if k not in LEFT_OUT and v])
    if len(query) > MAX_QUERY:
        raise UsageError("a view's filters too long", key="views.error_address_long",
                         n=MAX_QUERY)
    return path, query


def _known(ctx: Context, process: str) -> bool:
    try:
        ctx.registry.get(process)
    except MerzimError:
        return False
    return True


def names_a_person(ctx: Context, path: str, query: str) -> bool:
    """Whether a view's filters may name a person: the person or words searched for, or a
    register's field that may name one (a position, a relative). Such a view stays its
    owner's: shared, its address would show the name to readers who may not see her."""
    params = parse_qsl(query)
    if any(k in ("person", "q") for k, _v in params):
        return True
    register = REGISTER.fullmatch(path)
    process = register.group(1) if register else dict(params).get("process")
    if not process or not _known(ctx, process):
        return False
    fields = ctx.registry.get(process).fields
    return any(k.startswith("f.") and getattr(fields.get(k[2:].split(".")[0]), "personal",
                                              False) for k, _v in params)


def _shareable(ctx: Context, user: User, path: str, query: str) -> None:
    if not visibility.shares_views(user):
        raise RuleViolation("an officer shares no view", key="views.error_share",
                            role=user.role)
    if names_a_person(ctx, path, query):
        raise RuleViolation("a view naming a person is not shared",
                            key="views.error_share_person")


def _unique(s: Session, user: User, name: str, other_than: int | None = None) -> None:
    found = q.named(s, user.id, name)
    if found is not None and found.id != other_than:
        raise RuleViolation(f"a view named {name!r} exists", key="views.error_name_taken",
                            name=name)


def _logged(ctx: Context, path: str, query: str) -> str | None:
    """A view's filters as the audit log keeps them: none when they may name a person."""
    return None if names_a_person(ctx, path, query) else query


def _audit(s: Session, ctx: Context, action: str, view: SavedView, **more: Any) -> None:
    audit.append(s, ctx.actor, action, "view", view.id,
                 {"user": view.user_id, "name": view.name, **more})


def save(s: Session, ctx: Context, user: User, name: str, address: str,
         shared: bool = False) -> SavedView:
    """Keep the list at `address` under `name` for `user` (shared with his subtree when asked,
    and he may share); refused, nothing stored, for a bad name or address, a name she already
    uses, too many views, or sharing by an officer."""
    text = checked_name(name)
    path, query = target(ctx, address)
    if shared:
        _shareable(ctx, user, path, query)
    _unique(s, user, text)
    if q.count_own(s, user.id) >= MAX_VIEWS:
        raise RuleViolation("too many saved views", key="views.error_too_many", n=MAX_VIEWS)
    at = _now()
    view = SavedView(user_id=user.id, name=text, path=path, query=query,
                     shared=shared, created_at=at, updated_at=at)
    s.add(view)
    s.flush()
    _audit(s, ctx, SAVED, view, path=path, query=_logged(ctx, path, query), shared=shared)
    return view


def own(s: Session, user: User, view_id: int | str) -> SavedView:
    """One of the user's own views (anyone else's, or none: not found)."""
    view = s.get(SavedView, int(view_id)) if str(view_id).isdigit() else None
    if view is None or view.user_id != user.id:
        raise NotFound(f"view {view_id} not found", key="views.notfound", id=str(view_id)[:20])
    return view


def rename(s: Session, ctx: Context, user: User, view_id: int | str, name: str) -> SavedView:
    view = own(s, user, view_id)
    text = checked_name(name)
    _unique(s, user, text, other_than=view.id)
    before = view.name
    view.name, view.updated_at = text, _now()
    s.add(view)
    s.flush()
    _audit(s, ctx, RENAMED, view, before=before)
    return view


def share(s: Session, ctx: Context, user: User, view_id: int | str, shared: bool) -> SavedView:
    """Share the view with the users of the owner's subtree, or stop sharing it."""
    view = own(s, user, view_id)
    if shared:
        _shareable(ctx, user, view.path, view.query)
    view.shared, view.updated_at = bool(shared), _now()
    s.add(view)
    s.flush()
    _audit(s, ctx, SHARED, view, shared=view.shared)
    return view


def delete(s: Session, ctx: Context, user: User, view_id: int | str) -> None:
    view = own(s, user, view_id)
    _audit(s, ctx, DELETED, view, path=view.path, query=_logged(ctx, view.path, view.query))
    s.delete(view)
    s.flush()


@dataclass(frozen=True, slots=True)
class Kept:
    """A view as the menu, its page, the API and the command line show it: its address,
    whether it is the reader's own, and who shares it when it is not."""

    id: int
    name: str
    path: str
    query: str
    shared: bool
    own: bool
    owner: str  # login
    owner_name: str

    @property
    def address(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "address": self.address, "path": self.path,
                "query": self.query, "shared": self.shared, "own": self.own,
                "owner": self.owner, "owner_name": self.owner_name}


def _above(path: str) -> list[str]:
    """An organisation's path and those of the organisations above it ('/1/5/' → '/1/',
    '/1/5/')."""
    ids = [p for p in path.split("/") if p]
    return ["/" + "/".join(ids[:n]) + "/" for n in range(1, len(ids) + 1)]


def views_of(s: Session, user: User) -> list[Kept]:
    """The user's own views, then those shared with her by the managers above her."""
    mine = [Kept(v.id, v.name, v.path, v.query, v.shared, True, user.login,
                 user.full_name) for v in q.own_views(s, user.id)]
    org = s.get(Organisation, user.organisation_id)
    if org is None or not user.active:
        return mine
    return mine + [Kept(v.id, v.name, v.path, v.query, True, False, o.login,
                        o.full_name) for v, o in q.shared_with(
                            s, user.id, _above(org.path), visibility.SHARERS)]

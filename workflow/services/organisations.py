"""Organisations: add, list, import, and their names in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.models import ORG_KINDS, Organisation, saved_id
from workflow.storage.queries import organisations as queries


def add_org(s: Session, ctx: Context, code: str, name: str, kind: str,
            parent_code: str | None = None, name_kk: str | None = None,
            name_ru: str | None = None) -> Organisation:
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 64 or any(c.isspace() for c in code):
        raise UsageError(f"bad organisation code {code!r}", key="error.bad_code", value=code)
    if not name or len(name) > 300:
        raise UsageError("organisation name must be 1-300 characters", key="error.bad_name")
    if kind not in ORG_KINDS:
        raise UsageError(f"unknown kind {kind!r}", key="error.bad_kind", value=kind,
                         known=", ".join(ORG_KINDS))
    if queries.org_by_code(s, code):
        raise RuleViolation(f"organisation {code} exists", key="rule.org_exists", code=code)
    parent = get_org(s, parent_code) if parent_code else None
    org = Organisation(code=code, name=name, kind=kind, name_kk=name_kk, name_ru=name_ru,
                       parent_id=parent.id if parent else None)
    s.add(org)
    s.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, "org.add", "organisation", org.id,
                 {"code": code, "name": name, "kind": kind, "parent": parent_code})
    return org


def list_orgs(s: Session, under: str | None = None) -> list[Organisation]:
    return queries.orgs_in_path_order(s, get_org(s, under) if under else None)


def import_orgs(s: Session, ctx: Context, rows: Iterable[dict[str, str]]) -> list[Organisation]:
    """Add organisations from rows (code, name, kind, parent[, name_kk, name_ru]); all or none."""
    added = []
    for i, row in enumerate(rows, start=2):  # row 1 is the header
        n = row.get("_row", i)  # the row's number in the file, blank rows skipped
        try:
            added.append(add_org(s, ctx, row.get("code", ""), row.get("name", ""),
                                 (row.get("kind") or "").strip(),
                                 (row.get("parent") or "").strip() or None,
                                 row.get("name_kk") or None, row.get("name_ru") or None))
        except (UsageError, RuleViolation, NotFound) as exc:
            raise type(exc)(f"row {n}: {exc.message}", key="error.row", row=n,
                            detail=exc.message) from None
    return added


def local_name(name: str, name_kk: str | None, name_ru: str | None, language: str) -> str:
    """A name in the reader's language when one is stored, else the default name."""
    return name_in({"kk": name_kk, "ru": name_ru}, language, name)


def org_name(org: Any, language: str) -> str:
    """The organisation's name in the reader's language (an Organisation, or a row with its
    name columns)."""
    return local_name(org.name, org.name_kk, org.name_ru, language)



def org_rows(s: Session, org: Organisation) -> list[Any]:
    """Light rows (code, names, path) of an organisation's subtree, by path (a national
    subtree has thousands: no ORM objects)."""
    return queries.subtree_rows(s, org)


def orgs_version(s: Session) -> tuple[int, int]:
    """What changes whenever the organisations change, for caches of their lists: how many
    there are and the newest id. Organisations are only ever added (`add_org`); their codes,
    names and places in the tree never change after, and none is removed, so a new one changes
    both. Cheap: the primary key's index."""
    count, newest = queries.count_and_newest(s)
    return count, newest or 0


def org_names(s: Session) -> dict[int, str]:
    return {saved_id(o): o.name for o in queries.all_orgs(s)}

"""Organisations: add, list, import, their headcount set, and their names in the reader's
language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from workflow.core import limits
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.bulkinsert import insert_rows, new_ids
from workflow.storage.models import ORG_KINDS, Organisation, table_of
from workflow.storage.queries import organisations as queries


def add_org(s: Session, ctx: Context, code: str, name: str, kind: str,
            parent_code: str | None = None, name_kk: str | None = None,
            name_ru: str | None = None, headcount: int | str | None = None) -> Organisation:
    code, name = _checked(code, name, kind, name_kk, name_ru)
    staff = headcount_of(headcount)
    if queries.org_by_code(s, code):
        raise RuleViolation(f"organisation {code} exists", key="rule.org_exists", code=code)
    parent = get_org(s, parent_code) if parent_code else None
    org = Organisation(code=code, name=name, kind=kind, name_kk=name_kk, name_ru=name_ru,
                       parent_id=parent.id if parent else None, headcount=staff)
    s.add(org)
    s.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, "org.add", "organisation", org.id,
                 {"code": code, "name": name, "kind": kind, "parent": parent_code,
                  **({"headcount": staff} if staff is not None else {})})
    return org


HEADCOUNT_MAX = 10_000_000  # more staff than the country has: a typing error


def headcount_of(value: int | str | None) -> int | None:
    """An organisation's headcount as given (a whole number of staff, 0 or more; empty: not
    known), or the refusal of what is wrong in it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        staff = int(text)
    except ValueError:
        staff = -1
    if isinstance(value, bool) or staff < 0 or staff > HEADCOUNT_MAX:
        raise UsageError(f"headcount must be a whole number from 0 to {HEADCOUNT_MAX}, "
                         f"not {text!r}", key="org.headcount_bad", value=text,
                         limit=HEADCOUNT_MAX)
    return staff


def set_headcount(s: Session, ctx: Context, code: str, headcount: int | str | None
                  ) -> Organisation:
    """Set (or, with None or empty, clear) an organisation's headcount: the staff a
    consolidated share counts for it when it recorded no figures (B-20). Audited."""
    staff = headcount_of(headcount)
    org = get_org(s, code)
    before = org.headcount
    org.headcount = staff
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, "org.headcount", "organisation", org.id,
                 {"code": org.code, "before": before, "headcount": staff})
    return org


def _checked(code: str, name: str, kind: str, name_kk: str | None,
             name_ru: str | None) -> tuple[str, str]:
    """An organisation's code and name, stripped, or the refusal of what is wrong in them."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > limits.ORG_CODE or any(c.isspace() for c in code):
        raise UsageError(f"bad organisation code {code!r}", key="error.bad_code", value=code,
                         limit=limits.ORG_CODE)
    if not name or len(name) > limits.ORG_NAME:
        raise UsageError(f"organisation name must be 1-{limits.ORG_NAME} characters",
                         key="error.bad_name", limit=limits.ORG_NAME)
    for what, local in (("name_kk", name_kk), ("name_ru", name_ru)):
        if local is not None and len(local) > limits.ORG_NAME:
            raise UsageError(f"{what} must be at most {limits.ORG_NAME} characters",
                             key="error.too_long", field=what, limit=limits.ORG_NAME)
    if kind not in ORG_KINDS:
        raise UsageError(f"unknown kind {kind!r}", key="error.bad_kind", value=kind,
                         known=", ".join(ORG_KINDS))
    return code, name


def children(s: Session, org: Organisation) -> list[Organisation]:
    """The organisations directly under `org`, by code (one query)."""
    return queries.children_of(s, org)


def list_orgs(s: Session, under: str | None = None) -> list[Organisation]:
    return queries.orgs_in_path_order(s, get_org(s, under) if under else None)


def import_orgs(s: Session, ctx: Context, rows: Iterable[dict[str, str]]) -> list[Organisation]:
    """Add organisations from rows (code, name, kind, parent[, name_kk, name_ru, headcount]);
    all or none.

    In bulk, a bounded number of statements whatever the file's length
    (tests/storage/test_org_import_bulk.py): the organisations the file names (its codes and parents)
    read at once, every row checked in order as `add_org` checks it (a parent is one already
    stored or added by an earlier row), the ids taken first, then one insert of the rows (their
    paths made from the ids) and one of their audit records. `add_org` one row at a time
    flushed the session's growing set of objects at every row: 5,001 organisations took 86 s,
    501 5.2 s. The organisations returned are not in the session (their code, names, path)."""
    rows = list(rows)
    named = {(r.get(k) or "").strip() for r in rows for k in ("code", "parent")} - {""}
    known: dict[str, tuple[int | None, str]] = {}
    ordered = sorted(named)
    for i in range(0, len(ordered), 500):  # 500 codes per IN (...) list
        known.update(queries.ids_and_paths(s, ordered[i:i + 500]))
    audit.serialise(s)  # the write lock first: the ids after the largest stay ours (SQLite)
    ids = iter(new_ids(s, Organisation, len(rows)))
    added: list[Organisation] = []
    records: list[tuple[str, str, Any, str]] = []
    for i, row in enumerate(rows, start=2):  # row 1 is the header
        n = row.get("_row", i)  # the row's number in the file, blank rows skipped
        kind, parent_code = (row.get("kind") or "").strip(), (row.get("parent") or "").strip()
        name_kk, name_ru = row.get("name_kk") or None, row.get("name_ru") or None
        try:
            code, name = _checked(row.get("code", ""), row.get("name", ""), kind, name_kk,
                                  name_ru)
            staff = headcount_of(row.get("headcount"))
            if code in known:
                raise RuleViolation(f"organisation {code} exists", key="rule.org_exists",
                                    code=code)
            if parent_code and parent_code not in known:
                raise NotFound(f"no organisation {parent_code!r}", key="notfound.org",
                               code=parent_code)
        except (UsageError, RuleViolation, NotFound) as exc:
            raise type(exc)(f"row {n}: {exc.message}", key="error.row", row=n,
                            detail=exc.message) from None
        parent_id, parent_path = known[parent_code] if parent_code else (None, "/")
        oid = next(ids)
        path = f"{parent_path}{oid}/"
        known[code] = (oid, path)
        added.append(Organisation(id=oid, code=code, name=name, kind=kind, name_kk=name_kk,
                                  name_ru=name_ru, parent_id=parent_id, path=path,
                                  headcount=staff))
        records.append(("org.add", "organisation", oid, audit.canonical(
            {"code": code, "name": name, "kind": kind, "parent": parent_code or None,
             **({"headcount": staff} if staff is not None else {})})))
    columns = ("id", "code", "name", "name_kk", "name_ru", "kind", "parent_id", "path",
               "headcount")
    insert_rows(s.connection(), table_of(Organisation), columns,
                ((o.id, o.code, o.name, o.name_kk, o.name_ru, o.kind, o.parent_id, o.path,
                  o.headcount) for o in added))
    audit.append_many(s, ctx.actor, records)
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
    return {o.id: o.name for o in queries.all_orgs(s)}

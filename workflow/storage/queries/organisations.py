"""Queries of the organisations: by code, the tree (a subtree in path order, light rows),
names, and what changes when one is added (`services/organisations.py`, `lookup.py`,
`obligations.py`, `replanning.py`, `demo.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from workflow.storage.models import Organisation, table_of
from workflow.storage.queries import in_subtree, select_columns

_BY_CODE = "merzim.org_by_code"


def org_by_code(s: Session, code: str) -> Organisation | None:
    """The organisation of a code, or None.

    Remembered for the session (planning a year or opening a country's cases asks for the same
    few organisations thousands of times): a code never changes and an organisation is never
    deleted, and the session's identity map would hand back the same object anyway. An
    organisation the session no longer holds, or holds expired (a rollback expires everything:
    one added in the transaction rolled back is gone), is looked up again; one not found is not
    remembered."""
    known: dict[str, Organisation] = s.info.setdefault(_BY_CODE, {})
    org = known.get(code)
    if org is not None and org in s:
        state = inspect(org)
        if state.persistent and not state.expired_attributes:
            return org
    org = s.exec(select(Organisation).where(Organisation.code == code)).first()
    if org is None:
        known.pop(code, None)
    else:
        known[code] = org
    return org


def ids_and_paths(s: Session, codes: list[str]) -> dict[str, tuple[int | None, str]]:
    """The id and path of each organisation of `codes` that exists, by code."""
    return {code: (oid, path) for code, oid, path in s.exec(
        select(Organisation.code, Organisation.id, Organisation.path)
        .where(col(Organisation.code).in_(codes)))}


def names_ids_and_paths(s: Session) -> list[tuple[str, int | None, str, str, str | None,
                                                str | None]]:
    """Every organisation's code, id, path and names (default, kk, ru): an import that names
    a parent by its name in any language looks it up among them."""
    org = table_of(Organisation)
    return [(r.code, r.id, r.path, r.name, r.name_kk, r.name_ru) for r in s.connection().execute(
        core_select(org.c.code, org.c.id, org.c.path, org.c.name, org.c.name_kk,
                    org.c.name_ru))]


def named_in_subtree(s: Session, org: Organisation, texts: Iterable[str]) -> list[Organisation]:
    """The organisations of `org`'s subtree (itself included) whose code or one of whose names
    is exactly one of `texts` (a plan's responsible subdivision, a risk's)."""
    wanted = sorted({t for t in texts if t})
    if not wanted:
        return []
    return list(s.exec(select(Organisation).where(
        in_subtree(Organisation.path, org),
        col(Organisation.code).in_(wanted) | col(Organisation.name).in_(wanted)
        | col(Organisation.name_kk).in_(wanted) | col(Organisation.name_ru).in_(wanted))
        .order_by(col(Organisation.path))))


def remember(s: Session, org: Organisation | None) -> None:
    """`org_by_code` remembers `org`, read by another query of the session (a page's reader's
    organisation comes with her session: the list's subtree then needs no SELECT of its own)."""
    if org is not None:
        s.info.setdefault(_BY_CODE, {})[org.code] = org


def orgs_in_path_order(s: Session, within: Organisation | None = None) -> list[Organisation]:
    """Every organisation (or those of the subtree of `within`), by path."""
    query = select(Organisation)
    if within is not None:
        query = query.where(in_subtree(Organisation.path, within))
    return list(s.exec(query.order_by(Organisation.path)))


def children_of(s: Session, org: Organisation) -> list[Organisation]:
    """The organisations directly under `org`, by code."""
    return list(s.exec(select(Organisation).where(Organisation.parent_id == org.id)
                       .order_by(col(Organisation.code))))


def top_level(s: Session) -> list[Organisation]:
    """The organisations at the top of the tree (no parent: the roots), by code."""
    return list(s.exec(select(Organisation).where(col(Organisation.parent_id).is_(None))
                       .order_by(col(Organisation.code))))


def subtree_rows(s: Session, org: Organisation) -> list[Any]:
    """Rows (code, name, name_kk, name_ru, path) of the organisation's subtree, by path."""
    return list(s.exec(select_columns(Organisation.code, Organisation.name, Organisation.name_kk,
                                      Organisation.name_ru, Organisation.path)
                       .where(in_subtree(Organisation.path, org)).order_by(Organisation.path)))


def subtree_kinds(s: Session, org: Organisation) -> list[str]:
    """The distinct kinds of the organisation's subtree."""
    return list(s.exec(select(Organisation.kind).where(in_subtree(Organisation.path, org))
                       .distinct()))


def kind_rows(s: Session) -> list[Any]:
    """Rows (id, code, path, kind) of every organisation, by path."""
    return list(s.exec(select(Organisation.id, Organisation.code, Organisation.path,
                              Organisation.kind).order_by(Organisation.path)))


def all_orgs(s: Session) -> list[Organisation]:
    """Every organisation, in the database's order."""
    return list(s.exec(select(Organisation)))


def codes_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """The codes of the organisations `ids`, by id (one query of the Core table)."""
    org = table_of(Organisation)
    return dict(conn.execute(core_select(org.c.id, org.c.code).where(
        org.c.id.in_(ids))).all())


def paths_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """The paths of the organisations `ids`, by id (one query of the Core table)."""
    org = table_of(Organisation)
    return dict(conn.execute(core_select(org.c.id, org.c.path).where(
        org.c.id.in_(ids))).all())

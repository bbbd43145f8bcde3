"""Finding what a use case acts on by its code, login or number (NotFound otherwise)."""

from __future__ import annotations

import threading
import weakref
from typing import Any, TypeVar

from sqlmodel import Session

from workflow.core.errors import NotFound
from workflow.storage import audit
from workflow.storage.models import Case, Organisation, Programme, User
from workflow.storage.queries.organisations import org_by_code

T = TypeVar("T")


def get_org(s: Session, code: str) -> Organisation:
    org = org_by_code(s, code)
    if org is None:
        raise NotFound(f"no organisation {code!r}", key="notfound.org", code=code)
    return org


# the path of each organisation by code, per database (engine), once read: an organisation's
# code and path never change after it is added (`organisations.add_org`), and none is removed
_PATHS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_PATHS_LOCK = threading.Lock()


def org_path(s: Session, code: str) -> str:
    """The path of the organisation of this code (NotFound otherwise), read once per database
    and kept (not in a transaction that has written: what it added may be rolled back)."""
    bind = s.get_bind()
    with _PATHS_LOCK:
        found = _PATHS.get(bind, {}).get(code)
    if found is not None:
        return found
    path = get_org(s, code).path
    if not audit.wrote(s):
        with _PATHS_LOCK:
            known = _PATHS.setdefault(bind, {})
            if len(known) > 100_000:
                known.clear()
            known[code] = path
    return path


def get_user(s: Session, login: str) -> User:
    # imported here: the accounts' queries name the web sessions, API tokens and calendar
    # feeds, whose table models a case's timeline (`merzim status`) need not build
    from workflow.storage.queries.accounts import user_by_login

    user = user_by_login(s, login)
    if user is None:
        raise NotFound(f"no user {login!r}", key="notfound.user", login=login)
    return user


def _standing(s: Session, case_id: int) -> Case | None:
    """The case of this number, unless an unfinished import wrote it: found by no one until
    the import ends (`queries.cases.standing_case`)."""
    from workflow.storage.queries.cases import standing_case

    return standing_case(s, case_id)


def get_case(s: Session, case_id: int | str) -> Case:
    try:
        ident = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id) from None
    case = _standing(s, ident) if 0 < ident < 2**63 else None
    if case is None:
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id)
    return case


get_analysis = get_case  # the internal analysis's commands say "analysis"


def held_case(s: Session, case_id: int | str) -> tuple[Case, Organisation | None, User | None]:
    """The case with its subject and responsible officer, in one query, for a command that
    works on the case and shows it: the caller holds the three, so every later `get` of them
    in the session is answered from the session (its identity map keeps only what is held)."""
    from workflow.storage.queries.cases import with_parties

    found = with_parties(s, get_case_id(case_id))
    if found is None:
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id)
    return found


def get_case_id(case_id: int | str) -> int:
    """A case number as given (NotFound when it cannot be one)."""
    try:
        ident = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id) from None
    if not 0 < ident < 2**63:
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id)
    return ident


def _number(ident: int | str | None) -> int | None:
    if ident is None:
        return None
    try:
        n = int(ident)
    except (TypeError, ValueError):
        return None
    return n if 0 < n < 2**63 else None


def org_by_id(s: Session, ident: int | None) -> Organisation | None:
    return s.get(Organisation, ident) if ident is not None else None


def org_of(s: Session, ident: int | None) -> Organisation:
    """The organisation a row names by its number (a user's, a programme's subject):
    NotFound when it names none or it is gone."""
    org = org_by_id(s, ident)
    if org is None:
        raise NotFound(f"no organisation {ident!r}", key="notfound.org", code=str(ident))
    return org


def find_org(s: Session, code: str | None) -> Organisation | None:
    """The organisation of a code, or None (the web answers "hidden" for both)."""
    return org_by_code(s, code) if code else None


def by_number(s: Session, model: type[T], ident: int | str | None) -> T | None:
    """The row of `model` with this number, or None (none, or not a number a row can have)."""
    n = _number(ident)
    return s.get(model, n) if n is not None else None


def find_case(s: Session, ident: int | str | None) -> Case | None:
    """The case of this number, unless an unfinished import wrote it (`_standing`)."""
    n = _number(ident)
    return _standing(s, n) if n is not None else None


def find_programme(s: Session, ident: int | str | None) -> Programme | None:
    return by_number(s, Programme, ident)


def user_by_id(s: Session, ident: int | None) -> User | None:
    return s.get(User, ident) if ident is not None else None

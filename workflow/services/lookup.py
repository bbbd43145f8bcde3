"""Finding what a use case acts on by its code, login or number (NotFound otherwise)."""

from __future__ import annotations

from sqlmodel import Session, select

from workflow.core.errors import NotFound
from workflow.storage.models import Case, Organisation, User


def get_org(s: Session, code: str) -> Organisation:
    org = s.exec(select(Organisation).where(Organisation.code == code)).first()
    if org is None:
        raise NotFound(f"no organisation {code!r}", key="notfound.org", code=code)
    return org


def get_user(s: Session, login: str) -> User:
    user = s.exec(select(User).where(User.login == login)).first()
    if user is None:
        raise NotFound(f"no user {login!r}", key="notfound.user", login=login)
    return user


def get_case(s: Session, case_id: int | str) -> Case:
    try:
        ident = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id) from None
    case = s.get(Case, ident) if 0 < ident < 2**63 else None
    if case is None:
        raise NotFound(f"no case {case_id!r}", key="notfound.analysis", id=case_id)
    return case


get_analysis = get_case  # the internal analysis's commands say "analysis"

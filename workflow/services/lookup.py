"""Finding what a use case acts on by its code, login or number (NotFound otherwise)."""

from __future__ import annotations

from sqlmodel import Session, select

from workflow.core.errors import NotFound
from workflow.storage.models import Analysis, Organisation, User


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


def get_analysis(s: Session, analysis_id: int | str) -> Analysis:
    try:
        ident = int(analysis_id)
    except (TypeError, ValueError):
        raise NotFound(f"no analysis {analysis_id!r}", key="notfound.analysis",
                       id=analysis_id) from None
    analysis = s.get(Analysis, ident)
    if analysis is None:
        raise NotFound(f"no analysis {analysis_id!r}", key="notfound.analysis", id=analysis_id)
    return analysis


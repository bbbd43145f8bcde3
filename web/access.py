"""Who may see and do what: roles and the organisation subtree, checked on every request.

Anything outside the viewer's subtree is answered as if it did not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from workflow.core.errors import NotFound, RuleViolation
from workflow.storage.models import Analysis, Organisation, Programme, User


@dataclass(frozen=True)
class Viewer:
    user: User
    org: Organisation

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def login(self) -> str:
        return self.user.login

    def sees_path(self, path: str) -> bool:
        """Officers see their own organisation; managers and admins its whole subtree."""
        if self.role == "officer":
            return path == self.org.path
        return path.startswith(self.org.path)

    def sees_org(self, org: Organisation | None) -> bool:
        return org is not None and self.sees_path(org.path)


def viewer_for(s: Session, user: User) -> Viewer:
    return Viewer(user, s.get(Organisation, user.organisation_id))


def hidden(what: str, ident: object) -> NotFound:
    key = {"analysis": "notfound.analysis", "organisation": "notfound.org",
           "programme": "notfound.programme"}.get(what, "notfound.generic")
    return NotFound(f"no {what} {ident}", key=key, id=ident, code=ident)


def visible_org(s: Session, viewer: Viewer, code: str) -> Organisation:
    from sqlmodel import select

    org = s.exec(select(Organisation).where(Organisation.code == code)).first()
    if not viewer.sees_org(org):
        raise hidden("organisation", code)
    return org


def visible_analysis(s: Session, viewer: Viewer, ident: int | str) -> Analysis:
    try:
        analysis = s.get(Analysis, int(ident))
    except (TypeError, ValueError):
        analysis = None
    if analysis is None or not viewer.sees_org(s.get(Organisation, analysis.subject_id)):
        raise hidden("analysis", ident)
    return analysis


def visible_programme(s: Session, viewer: Viewer, ident: int | str) -> Programme:
    try:
        prog = s.get(Programme, int(ident))
    except (TypeError, ValueError):
        prog = None
    if prog is None or not viewer.sees_org(s.get(Organisation, prog.subject_id)):
        raise hidden("programme", ident)
    return prog


def require_recorder(viewer: Viewer, analysis: Analysis) -> None:
    """Officers record events for analyses of their own organisation (admins may too)."""
    if viewer.role == "officer" and analysis.subject_id == viewer.org.id:
        return
    if viewer.role == "admin":
        return
    raise RuleViolation("not allowed to record", key="rule.cannot_record", role=viewer.role)


def require_admin(viewer: Viewer) -> None:
    if viewer.role != "admin":
        raise hidden("page", "admin")

"""Who may see and do what: roles and the organisation subtree, checked on every request.

Anything outside the viewer's subtree is answered as if it did not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session

from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation

if TYPE_CHECKING:  # the tables, for annotations only: the adapter reads through services
    from workflow.storage.models import Case, Organisation, Programme, User


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


class Parties(Protocol):
    """What the person's visibility reads of a case (a Case, or a case found by a search)."""

    @property
    def subject_id(self) -> int: ...
    @property
    def responsible_id(self) -> int | None: ...


def viewer_for(s: Session, user: User) -> Viewer:
    return Viewer(user, svc.org_of(s, user.organisation_id))


def hidden(what: str, ident: object) -> NotFound:
    key = {"analysis": "notfound.analysis", "organisation": "notfound.org",
           "programme": "notfound.programme"}.get(what, "notfound.generic")
    return NotFound(f"no {what} {ident}", key=key, id=ident, code=ident)


def visible_org(s: Session, viewer: Viewer, code: str) -> Organisation:
    org = svc.find_org(s, code)
    if org is None or not viewer.sees_org(org):
        raise hidden("organisation", code)
    return org


def visible_case(s: Session, viewer: Viewer, ident: int | str) -> Case:
    case = svc.find_case(s, ident)
    if case is None or not viewer.sees_org(svc.org_by_id(s, case.subject_id)):
        raise hidden("analysis", ident)
    return case




def sees_person(viewer: Viewer, case: Parties, visibility: str) -> bool:
    """Who sees the person a case is about (procedures.md): the officers of the case's
    organisation and admins; for a whistleblower ("responsible") only its responsible officer.
    Managers above see the stages, dates and statuses with the person hidden. The responsible
    officer is one while she is an officer of the case's organisation (promoted or moved, the
    same account is a manager or an admin like any other)."""
    officer_here = viewer.role == "officer" and case.subject_id == viewer.org.id
    if visibility == "responsible":
        return officer_here and case.responsible_id == viewer.user.id
    return viewer.role == "admin" or officer_here


def visible_programme(s: Session, viewer: Viewer, ident: int | str) -> Programme:
    prog = svc.find_programme(s, ident)
    if prog is None or not viewer.sees_org(svc.org_by_id(s, prog.subject_id)):
        raise hidden("programme", ident)
    return prog


def records_programme(viewer: Viewer, prog: Programme) -> bool:
    """Who records a programme's upload dates: as for its cases, the officers of its subject
    organisation, and admins."""
    return (viewer.role == "officer" and prog.subject_id == viewer.org.id) \
        or viewer.role == "admin"


def require_programme_recorder(viewer: Viewer, prog: Programme) -> None:
    """`records_programme`, or the refusal the programme page's form and the API answer."""
    if not records_programme(viewer, prog):
        raise RuleViolation("not allowed to record", key="rule.cannot_record", role=viewer.role)


def require_recorder(viewer: Viewer, analysis: Case) -> None:
    """Officers record events for analyses of their own organisation (admins may too)."""
    if viewer.role == "officer" and analysis.subject_id == viewer.org.id:
        return
    if viewer.role == "admin":
        return
    raise RuleViolation("not allowed to record", key="rule.cannot_record", role=viewer.role)


def require_admin(viewer: Viewer) -> None:
    if viewer.role != "admin":
        raise hidden("page", "admin")


def sees_files(viewer: Viewer, case: Case, defn) -> bool:
    """Who sees a case's files (a case the viewer may see): everyone who sees the case, but a
    case about a person keeps its files as private as its person (`sees_person`), since a
    signed order or a declaration names the person."""
    return defn.parties.person == "none" or sees_person(viewer, case,
                                                         defn.parties.person_visibility)

"""Who may see and do what: roles and the organisation subtree, checked on every request.

Anything outside the viewer's subtree is answered as if it did not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from sqlmodel import Session

from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation
from workflow.services import visibility

if TYPE_CHECKING:  # the tables, for annotations only: the adapter reads through services
    from workflow.storage.models import Case, Organisation, Programme, User


class _Rule:
    """A yes or no of the viewer's that a rule of services/visibility.py answers for her account
    (read like a property)."""

    def __init__(self, rule: Callable[[User], bool], doc: str) -> None:
        self.rule = rule
        self.__doc__ = doc

    @overload
    def __get__(self, viewer: None, owner: type) -> _Rule: ...
    @overload
    def __get__(self, viewer: Viewer, owner: type) -> bool: ...
    def __get__(self, viewer: Viewer | None, owner: type) -> _Rule | bool:
        return self if viewer is None else self.rule(viewer.user)


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

    # what the pages and their templates show or offer her, as services/visibility.py says
    own_only = _Rule(visibility.own_only,
                     "Her lists are her organisation's alone (an officer's): `visibility.own_only`.")
    sees_below = _Rule(visibility.sees_below,
                       "Her lists reach the subtree of her organisation: `visibility.sees_below`.")
    records = _Rule(visibility.records,
                    "She records (opens cases, records events, imports, searches by person).")
    administers = _Rule(visibility.administers,
                        "She administers her subtree (its accounts, settings, others' imports).")
    shares_views = _Rule(visibility.shares_views, "She shares a saved view with her subtree.")
    hands_over = _Rule(visibility.hands_over,
                       "She is offered the bulk hand-over (each case then asks `handover_refusal`).")

    def sees_path(self, path: str) -> bool:
        """Whether what lies at `path` is in the viewer's reach (services/visibility.py)."""
        return visibility.reaches(self.user, self.org.path, path)

    def sees_org(self, org: Organisation | None) -> bool:
        return org is not None and self.sees_path(org.path)


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
    """The case, when the viewer sees it (services/visibility.py `may_see_case`); else the
    404 of an unknown case."""
    case = svc.find_case(s, ident)
    if case is None or not visibility.may_see_case(s, viewer.user, case, viewer.org):
        raise hidden("analysis", ident)
    return case


def person_rule(viewer: Viewer | None):
    """The viewer's `may_see_person` as the services and the lists take it ((case,
    visibility) -> bool; None: the command line's operator)."""
    return visibility.person_rule(viewer.user if viewer is not None else None)


def visible_programme(s: Session, viewer: Viewer, ident: int | str) -> Programme:
    prog = svc.find_programme(s, ident)
    if prog is None or not viewer.sees_org(svc.org_by_id(s, prog.subject_id)):
        raise hidden("programme", ident)
    return prog


def records_programme(viewer: Viewer, prog: Programme) -> bool:
    """Who records a programme's upload dates: as for its cases, the officers of its subject
    organisation, and admins (services/visibility.py `records_for`)."""
    return visibility.records_for(viewer.user, prog.subject_id)


def require_programme_recorder(viewer: Viewer, prog: Programme) -> None:
    """`records_programme`, or the refusal the programme page's form and the API answer."""
    if not records_programme(viewer, prog):
        raise RuleViolation("not allowed to record", key="rule.cannot_record", role=viewer.role)


def require_recorder(viewer: Viewer, analysis: Case) -> None:
    """Officers record events for analyses of their own organisation (admins may too:
    services/visibility.py `records_on`)."""
    if visibility.records_on(viewer.user, analysis):
        return
    raise RuleViolation("not allowed to record", key="rule.cannot_record", role=viewer.role)


def require_admin(viewer: Viewer) -> None:
    if not viewer.administers:
        raise hidden("page", "admin")

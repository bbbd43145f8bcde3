"""Who sees a case and its person, and who hands a case over: the one owner of the rule
(docs/architecture.md, "Who sees a case and its person"). Every surface asks it -- pages, the
API, lists, exports, feeds, search, comments and mentions, files, the hand-over, the bulk
actions, notices and the Telegram bot -- and none writes the rule again.

* A **case** is seen by an active account whose organisation is the case's (an officer) or
  above it (a manager, an administrator): officers see their own organisation, managers and
  administrators its whole subtree (`reaches`, `may_see_case`; for lists, `reach_condition`
  and `only_path`, the same rule in SQL).
* Its **person** (procedures.md, "Who may see a case about a person"), of a case the account
  sees: the officers of the case's organisation and administrators; for a definition whose
  `person_visibility` is "responsible" (a whistleblower's case), only its responsible officer
  (`may_see_person`). A case about no one has no person to hide. The files and the comments of
  a person's case are as private as its person.
* A **sheet of done work** (B-25, `records_done_work`): an officer records the work done
  before joining on the year so far of her organisation and of those under it (her back-fill
  opens theirs with hers); any other import, her organisation's cases only.
* A **hand-over** (P-26, `handover_refusal`): a manager or an administrator above the case,
  or an officer of its organisation, hands it to an officer of its organisation; a case whose
  person only its responsible officer sees is handed over by that officer alone or, when she
  has left (deactivated, or no longer an officer of the case's organisation), by an
  administrator above it: no one takes it over, and one who may not see the person does not
  choose who will.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlmodel import Session

from workflow.core.errors import RuleViolation
from workflow.storage.models import Organisation
from workflow.storage.queries import in_subtree

PROTECTED = "responsible"  # a definition's person_visibility: the responsible officer alone
# the audit log's action of a protected person shown to one more account (a hand-over, P-26)
DISCLOSED = "person.disclosed"  # (its history line: services/case_trail.py)


class Account(Protocol):
    """What the rule reads of an account (a User)."""

    @property
    def id(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def organisation_id(self) -> int: ...
    @property
    def active(self) -> bool: ...


class Parties(Protocol):
    """What the rule reads of a case (a Case, or a row of a list or a search)."""

    @property
    def subject_id(self) -> int: ...
    @property
    def responsible_id(self) -> int | None: ...


# -- the case -----------------------------------------------------------------------------------


def reaches(role: str, own_path: str, path: str) -> bool:
    """Whether an account of `role` at the organisation `own_path` sees what lies at `path`:
    officers their own organisation, managers and administrators its whole subtree."""
    return path == own_path if role == "officer" else path.startswith(own_path)


def only_path(role: str, own_path: str) -> str | None:
    """The one organisation path a list of this account is limited to (an officer's), None
    for a manager's or an administrator's (her subtree: `reach_condition`)."""
    return own_path if role == "officer" else None


def only_condition(path_column: Any, path: str) -> Any:
    """The SQL condition of an officer's lists (`only_path`): the rows of her organisation."""
    return path_column == path


def reach_condition(path_column: Any, role: str, own: Organisation) -> Any:
    """The SQL condition of `reaches` on an organisation path column (a stage's, a case's
    subject's): what a list shows of the rows of `own`'s tree."""
    path = only_path(role, own.path)
    return only_condition(path_column, path) if path is not None \
        else in_subtree(path_column, own)


def may_see_case(s: Session, user: Account, case: Parties,
                 own: Organisation | None = None) -> bool:
    """Whether `user` sees the case (its stages, dates and statuses): an active account that
    `reaches` the case's organisation. `own`: her organisation, when the caller holds it."""
    if not user.active:
        return False
    own = own if own is not None else s.get(Organisation, user.organisation_id)
    subject = s.get(Organisation, case.subject_id)
    return own is not None and subject is not None and reaches(user.role, own.path,
                                                               subject.path)


# -- the person ---------------------------------------------------------------------------------


def protected(definition: Any) -> bool:
    """Whether a definition's person is shown only to its case's responsible officer."""
    return definition.parties.person != "none" and \
        definition.parties.person_visibility == PROTECTED


def answers_for_protected(s: Session, user_id: int | None) -> bool:
    """Whether the account is the responsible officer of a case whose person only that officer
    sees (`protected`): of any state, by the definition version each case was opened with. Her
    account is then the one way to that person (services/channels.py `hers`)."""
    if user_id is None:
        return False
    from workflow.storage.queries.cases import responsible_versions

    return any(_protected_version(s, process, version)
               for process, version in responsible_versions(s, user_id))


# whether a definition version is protected, by (process, version, its stored text's SHA-256 or
# "shipped"): a stored text is parsed once per process. Bounded: the oldest answer goes.
_PROTECTED_VERSIONS: dict[tuple[str, int, str], bool] = {}


def _protected_version(s: Session, process: str, version: int) -> bool:
    """Whether the version a case was opened with is protected: its stored text (every case
    opened keeps it: services/processes.py `keep_version`), else the copy merzim ships; one
    merzim cannot read is taken as protected (the safe answer: her channels stay hers)."""
    from workflow.storage.models import ProcessDefinition

    row = s.get(ProcessDefinition, (process, version))
    key = (process, version, row.sha256 if row is not None else "shipped")
    known = _PROTECTED_VERSIONS.get(key)
    if known is None:
        known = _protected_text(process, version, row.text if row is not None else None)
        if len(_PROTECTED_VERSIONS) >= 256:
            del _PROTECTED_VERSIONS[next(iter(_PROTECTED_VERSIONS))]
        _PROTECTED_VERSIONS[key] = known
    return known


def _protected_text(process: str, version: int, text: str | None) -> bool:
    import tomllib

    from workflow.core.errors import MerzimError
    from workflow.definitions import parse_document

    try:
        if text is not None:
            return protected(parse_document(tomllib.loads(text), f"{process} v{version} "
                                                                  "(stored)"))
        return protected(_shipped().version(process, version))
    except (MerzimError, tomllib.TOMLDecodeError, ValueError):
        return True


_SHIPPED: list[Any] = []  # the definitions merzim ships, read when first needed


def _shipped() -> Any:
    if not _SHIPPED:
        from workflow.definitions import load_registry

        _SHIPPED.append(load_registry(lazy=True))
    return _SHIPPED[0]


def may_see_person(user: Account, case: Parties, parties: Any) -> bool:
    """Whether `user` sees the person of a case she sees (and its evidence, notes, files and
    comments). `parties`: the case's definition, or its `person_visibility` as a list row
    carries it. The responsible officer is one while she is an officer of the case's
    organisation (promoted or moved, the same account is a manager or an admin like any
    other)."""
    if not isinstance(parties, str):
        if parties.parties.person == "none":
            return True
        parties = parties.parties.person_visibility
    if not user.active:
        return False
    officer_here = user.role == "officer" and case.subject_id == user.organisation_id
    if parties == PROTECTED:
        return officer_here and case.responsible_id == user.id
    return user.role == "admin" or officer_here


def person_rule(user: Account | None):
    """`may_see_person` for one account as the services' callers take it ((case, visibility)
    -> bool); None for the command line's operator, who sees every person."""
    if user is None:
        return None
    return lambda case, visibility: may_see_person(user, case, visibility)


# -- recording and the hand-over ----------------------------------------------------------------


def imports_registers(role: str | None) -> bool:
    """Who imports a register's file (opens its cases, or records a sheet of done work):
    officers and administrators; None, the command line's operator."""
    return role is None or role in ("officer", "admin")


def records_done_work(role: str, own_path: str, path: str) -> bool:
    """Whether an account of `role` at `own_path` records the work done before joining (a
    sheet of done work, B-25) of the organisation at `path`: an officer for hers and the
    organisations under it, whose year so far her back-fill opens with hers (a district's
    отделы, its enterprises); an administrator for her subtree, as she sees it."""
    return imports_registers(role) and path.startswith(own_path)


def records_on(user: Account, case: Parties) -> bool:
    """Who records events on a case: the officers of its organisation, and administrators."""
    return user.role == "admin" or (user.role == "officer"
                                     and case.subject_id == user.organisation_id)


def _left(responsible: Account | None, case: Parties) -> bool:
    """Whether the case's responsible officer has left it: none, deactivated, or no longer an
    officer of its organisation."""
    return responsible is None or not responsible.active or responsible.role != "officer" \
        or responsible.organisation_id != case.subject_id


def handover_refusal(user: Account, case: Parties, definition: Any,
                     responsible: Account | None) -> RuleViolation | None:
    """Why `user` (who sees the case) may not hand it over, None when she may (P-26).
    `responsible`: the case's responsible officer's account (None: nobody)."""
    if protected(definition):
        if not _left(responsible, case):
            if responsible is not None and user.id == responsible.id \
                    and may_see_person(user, case, definition):
                return None
            return RuleViolation("only the responsible officer hands over a protected case",
                                 key="handover.protected_responsible")
        if user.role == "admin":
            return None
        return RuleViolation("only an administrator hands over a protected case whose "
                             "responsible officer left", key="handover.protected_left")
    if user.role in ("manager", "admin") or (user.role == "officer"
                                             and case.subject_id == user.organisation_id):
        return None
    return RuleViolation("not allowed to hand over", key="comments.error_assign",
                         role=user.role)

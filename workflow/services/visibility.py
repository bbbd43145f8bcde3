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
* A **reader's lists** (every list, count, feed, bot reply and choice of organisations) are
  scoped here, never by the caller: each function takes the reader's account (never her role,
  which this module alone reads) and says how far her lists reach -- an officer's to her own
  organisation (`own_only`, `only_org`, `only_path`), a manager's and an administrator's to
  the subtree of hers (`sees_below`, `reads_subtree`). What she answers for ("mine",
  `unassigned_of`, `mine_condition`): the cases she is responsible for, and an officer besides
  her organisation's cases nobody answers for.
* **Who records** (opens a case, records an event, imports, searches by person): officers and
  administrators (`records`); an officer for her own organisation, an administrator for any
  she sees (`records_for`, `records_on`; the form's organisation: `opened_for`); the officer
  who opens a case answers for it (`answers_for_opened`); administrators alone administer
  (`administers`: the accounts, the settings, the imports others began).
* A **sheet of done work** (B-25, `records_done_work`): an officer records the work done
  before joining on the year so far of her organisation and of those under it (her back-fill
  opens theirs with hers); any other import, her organisation's cases only.
* The **declarations list** (002:L174-181, workflow/declarations): an organisation's
  employees who declare, their notices and reminders are kept and read by its officers and
  the administrators above it (`keeps_declarations`); a manager reads the counts per
  organisation of his subtree (`reaches`), never the names.
* A **hand-over** (P-26, `handover_refusal`): a manager or an administrator above the case,
  or an officer of its organisation, hands it to an officer of its organisation; a case whose
  person only its responsible officer sees is handed over by that officer alone or, when she
  has left (deactivated, or no longer an officer of the case's organisation), by an
  administrator above it: no one takes it over, and one who may not see the person does not
  choose who will.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import and_, or_
from sqlmodel import Session

from workflow.core.errors import RuleViolation
from workflow.storage.models import ADMIN, MANAGER, OFFICER, Organisation
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


# -- the case and the reader's lists -------------------------------------------------------------


def own_only(user: Account | None) -> bool:
    """Whether `user` sees and acts on her own organisation alone (an officer), rather than
    the subtree of hers (a manager, an administrator; None: the command line's operator, who
    sees everything)."""
    return user is not None and user.role == OFFICER


def sees_below(user: Account | None) -> bool:
    """Whether the lists of `user` reach the organisations under hers (a subtree's
    scorecards, the organisations she may filter by): `own_only`'s opposite."""
    return not own_only(user)


def reads_subtree(user: Account | None, asked: bool = True) -> bool:
    """Whether a list of `user` that may cover an organisation's subtree (a scorecard's, the
    declarations' counts) covers it: when `asked`, for one whose lists reach below hers; an
    officer's covers her organisation alone."""
    return asked and sees_below(user)


def reaches(user: Account, own_path: str, path: str) -> bool:
    """Whether `user`, of the organisation at `own_path`, sees what lies at `path`: officers
    their own organisation, managers and administrators its whole subtree."""
    return path == own_path if own_only(user) else path.startswith(own_path)


def only_path(user: Account, own_path: str) -> str | None:
    """The one organisation path the lists of `user` (of the organisation at `own_path`) are
    limited to (an officer's), None for a manager's or an administrator's (her subtree:
    `reach_condition`)."""
    return own_path if own_only(user) else None


def only_org(user: Account) -> int | None:
    """The one organisation (its id) the lists of `user` are limited to (an officer's own),
    None for a manager's or an administrator's (her subtree)."""
    return user.organisation_id if own_only(user) else None


def unassigned_of(user: Account) -> int | None:
    """"Mine": the organisation whose cases nobody answers for `user` answers for too (an
    officer's own), None for a manager or an administrator (her own cases alone)."""
    return user.organisation_id if own_only(user) else None


def mine_condition(responsible_column: Any, subject_column: Any, user_id: Any,
                   unassigned: Any | None) -> Any:
    """The SQL condition of "mine" on a case's responsible and subject columns: the cases
    `user_id` is responsible for and, with `unassigned` (`unassigned_of`, or a bound
    parameter of it), that organisation's cases nobody is responsible for."""
    clause = responsible_column == user_id
    if unassigned is not None:
        clause = or_(clause, and_(responsible_column.is_(None), subject_column == unassigned))
    return clause


def only_condition(path_column: Any, path: str) -> Any:
    """The SQL condition of an officer's lists (`only_path`): the rows of her organisation."""
    return path_column == path


def reach_condition(path_column: Any, user: Account, own: Organisation) -> Any:
    """The SQL condition of `reaches` on an organisation path column (a stage's, a case's
    subject's): what a list of `user`, of the organisation `own`, shows of the rows of its
    tree."""
    path = only_path(user, own.path)
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
    return own is not None and subject is not None and reaches(user, own.path, subject.path)


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
    officer_here = answers_here(user, case.subject_id)
    if parties == PROTECTED:
        return officer_here and case.responsible_id == user.id
    return administers(user) or officer_here


def person_rule(user: Account | None):
    """`may_see_person` for one account as the services' callers take it ((case, visibility)
    -> bool); None for the command line's operator, who sees every person."""
    if user is None:
        return None
    return lambda case, visibility: may_see_person(user, case, visibility)


# -- recording and the hand-over ----------------------------------------------------------------


def administers(user: Account | None) -> bool:
    """Whether `user` administers her subtree: its accounts and settings, the imports others
    began, the hand-over of a protected case whose officer left, every person of the cases
    she sees (None: not an account)."""
    return user is not None and user.role == ADMIN


SHARERS = (MANAGER, ADMIN)  # the roles of those who share a view with the subtree of theirs


def shares_views(user: Account | None) -> bool:
    """Whether `user` shares a saved view with the subtree of her organisation (a manager, an
    administrator: `SHARERS`, whose shared views the readers below see); an officer keeps
    hers."""
    return user is not None and user.role in SHARERS


def hands_over(user: Account | None) -> bool:
    """Whether `user` is offered to hand cases over at all (every account is: the bulk bar's
    hand-over; each case then asks `handover_refusal`)."""
    return user is not None and user.role in (OFFICER, MANAGER, ADMIN)


def records(user: Account | None) -> bool:
    """Who records at all (opens a case, records an event, imports a file, searches the cases
    by their person): officers and administrators; a manager looks on. None: not an account."""
    return user is not None and user.role in (OFFICER, ADMIN)


def answers_here(user: Account, organisation_id: int | None) -> bool:
    """Whether `user` is an officer of the organisation `organisation_id`: one who may answer
    for (be responsible for) its cases and records on them."""
    return user.role == OFFICER and user.organisation_id == organisation_id


def answerer_condition(role_column: Any) -> Any:
    """The SQL condition of `answers_here` on the accounts' role column: those who may answer
    for an organisation's cases (its officers; the caller names the organisations and asks
    for active accounts)."""
    return role_column == OFFICER


def answers_for_opened(user: Account) -> bool:
    """Whether the account who opens a case answers for it unless another is named: an
    officer (her own organisation's case); an administrator names none."""
    return own_only(user)


def opened_for(user: Account, own_code: str, named: str) -> str:
    """The organisation (its code) a case `user` opens on the form is for: an officer's own
    (`own_code`: the form offers her no other), an administrator's the one she names."""
    return own_code if own_only(user) else named


def records_for(user: Account, organisation_id: int | None) -> bool:
    """Who opens a case or records for the organisation `organisation_id` (one she sees):
    its officers, and administrators."""
    return administers(user) or answers_here(user, organisation_id)


def imports_registers(user: Account | None) -> bool:
    """Who imports a register's file (opens its cases, or records a sheet of done work):
    officers and administrators; None, the command line's operator."""
    return user is None or records(user)


def records_done_work(user: Account | None, own_path: str, path: str) -> bool:
    """Whether `user`, of the organisation at `own_path`, records the work done before
    joining (a sheet of done work, B-25) of the organisation at `path`: an officer for hers
    and the organisations under it, whose year so far her back-fill opens with hers (a
    district's отделы, its enterprises); an administrator for her subtree, as she sees it."""
    return imports_registers(user) and path.startswith(own_path)


def keeps_declarations(user: Account, organisation_id: int | None) -> bool:
    """Who reads and keeps the declarations list of the organisation `organisation_id` (one
    she sees): the employees obliged to declare by name, their notices and reminders, the
    export -- its officers, and administrators; a manager reads its counts only."""
    return records_for(user, organisation_id)


def records_on(user: Account, case: Parties) -> bool:
    """Who records events on a case: the officers of its organisation, and administrators."""
    return records_for(user, case.subject_id)


def _left(responsible: Account | None, case: Parties) -> bool:
    """Whether the case's responsible officer has left it: none, deactivated, or no longer an
    officer of its organisation."""
    return responsible is None or not responsible.active \
        or not answers_here(responsible, case.subject_id)


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
        if administers(user):
            return None
        return RuleViolation("only an administrator hands over a protected case whose "
                             "responsible officer left", key="handover.protected_left")
    if sees_below(user) or answers_here(user, case.subject_id):
        return None
    return RuleViolation("not allowed to hand over", key="comments.error_assign",
                         role=user.role)

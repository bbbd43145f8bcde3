"""What a write touches: the one account of an audit record (action, entity, entity id,
payload) as the cases, organisations, people, programmes and saved views it is about, whether
it may change a case's stages, and whether it cannot be narrowed at all. Everything kept by the
writes is derived from it: the counts of open stages (kept/counts.py), the versions of the
scopes the kept figures read (kept/versions.py) and the commit's check that no stage or case
was written behind the audit's back (kept/guard.py).

What each record is about:
* a case (or a monitoring analysis, which is a case): the case; its stages change unless the
  action is one of `NO_STAGE` (a comment, a file, a view, a hand-over); a list shows it unless
  it is one of `NAMES_ONLY` (a comment: only the people it concerns see it change); an analysis
  is listed by no narrower scope than every list's;
* an organisation (by id or code): itself;
* a person's own doing (`OWN_ACTIONS`: signing in, her password, her sessions and tokens ended,
  her read marks, mutes, snoozes, tokens):
  her alone; anything else about an account (its role, organisation, activity) every list;
* a programme: its organisation's lists (its stages are of no case);
* a saved view: the menus' lists of views;
* an outbox message, a risk, a recommendation or an external analysis: no case's stage, and
  no narrower scope than every list's;
* a case or an organisation named by no id (a sync's '*'), or more than `MANY` of them in one
  write: everything.
The people a payload names (`PEOPLE`: a hand-over's previous and new officer, a comment's
mentions) are touched too."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.storage.models import COMMENTS, HANDOVER

# entities whose id is a case's
BY_CASE = frozenset(("case", "analysis"))
# the entities whose writes change no case's stage
QUIET = frozenset(("user", "programme", "view", "outbox", "risk", "recommendation",
                   "external_analysis"))
# the actions about a case that change neither its stages nor what is counted of the case
# (its state, dates, withdrawal): a comment, a file, a view of a person's case, a hand-over
# (who answers for a case is not counted: the people's scopes move by it)
NO_STAGE = COMMENTS | frozenset(("file.attach", "file.void", "file.public", "file.private",
                                 "file.download", "view.person_case", HANDOVER,
                                 "person.disclosed"))
# the writes about a case that no list shows (what they change is the case's own page and the
# centres of the people they name): a comment, written or changed
NAMES_ONLY = COMMENTS
# what a person does for herself: her bell and centre change, nobody else's lists
OWN_ACTIONS = frozenset((
    "login.ok", "login.failed", "login.locked", "logout", "token.create", "token.revoke",
    "feed.create", "feed.revoke", "notices.read", "reminder.preferences", "reminder.mute",
    "reminder.snooze", "reminder.release", "user.telegram_link", "user.telegram_bound",
    "user.telegram_unlinked", "user.password", "user.password_reset", "user.invite_accepted",
    "user.email_change", "user.email_changed", "user.revoke"))
# the payload's entries naming people (by login) a write about a case concerns besides the
# person responsible for it
PEOPLE = ("from", "to", "mentions")
# more cases, organisations or programmes than this in one write (an import, a sync): it is
# taken as touching everything -- every list reads afresh once, the counts are counted again
# in one statement -- rather than each of them named
MANY = 200


@dataclass
class CaseTouch:
    """What the records of one write say of one case."""

    staged: bool = False  # its stages (or what is counted of it) may change
    listed: bool = False  # a list shows the change
    handed: bool = False  # handed to another officer


@dataclass
class Touch:
    """What a write touches (module docstring). `everything`: no narrower account (every list
    reads afresh, every count is counted again); `stages_anywhere`: a record that may change
    stages names no case or organisation (the counts are counted again whole; the lists read
    afresh by `everything`, which it implies); `appended`: any record at all."""

    cases: dict[int, CaseTouch] = field(default_factory=dict)
    orgs: set[int] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    logins: set[str] = field(default_factory=set)
    programmes: set[int] = field(default_factory=set)
    views: bool = False
    everything: bool = False
    stages_anywhere: bool = False
    appended: bool = False

    @property
    def staged(self) -> set[int]:
        """The cases whose stages may change."""
        return {i for i, c in self.cases.items() if c.staged}

    @property
    def listed(self) -> set[int]:
        """The cases whose change a list shows."""
        return {i for i, c in self.cases.items() if c.listed}

    @property
    def handed(self) -> set[int]:
        return {i for i, c in self.cases.items() if c.handed}

    @property
    def stages_changed(self) -> bool:
        """Whether any stage may have changed (what the counts and the escalations read)."""
        return self.stages_anywhere or bool(self.orgs or self.codes or self.staged)


def changes_stages(action: str, entity: str) -> bool:
    """Whether a write logged as `action` about `entity` may change a case's stages or the
    case itself (what the counts kept, a manager's escalations and the stages' items of the
    notification centres read)."""
    return entity not in QUIET and not (entity in BY_CASE and action in NO_STAGE)


def touches(records: Iterable[tuple[str, str, Any, Any]]) -> Touch:
    """What the writes logged by `records` (action, entity, entity id, payload) touch."""
    out = Touch()
    for action, entity, entity_id, payload in records:
        out.appended = True
        _one(out, action, entity, str(entity_id), payload)
    if max(len(out.cases), len(out.orgs) + len(out.codes), len(out.programmes)) > MANY:
        out.everything = True
        out.stages_anywhere = out.stages_anywhere or out.stages_changed
    return out


def _one(out: Touch, action: str, entity: str, key: str, payload: Any) -> None:
    stages = changes_stages(action, entity)
    if entity in BY_CASE and key.isdigit():
        mark = out.cases.setdefault(int(key), CaseTouch())
        mark.staged |= stages
        mark.listed |= action not in NAMES_ONLY
        mark.handed |= action == HANDOVER
        out.logins.update(_logins(payload))
        if entity != "case":
            out.everything = True
    elif entity == "organisation":
        (out.orgs.add(int(key)) if key.isdigit() else out.codes.add(key))
    elif entity == "user" and key.isdigit() and action in OWN_ACTIONS:
        out.users.add(int(key))
    elif entity == "programme" and key.isdigit():
        out.programmes.add(int(key))
    elif entity == "view":
        out.views = True
    else:
        out.everything = True
        out.stages_anywhere = out.stages_anywhere or stages


def _logins(payload: Any) -> set[str]:
    """The logins a record's payload names (`PEOPLE`)."""
    if isinstance(payload, str) and any(f'"{k}"' in payload for k in PEOPLE):
        payload = json.loads(payload)  # (a bulk append's records come as JSON)
    if not isinstance(payload, dict):
        return set()
    found: set[str] = set()
    for key in PEOPLE:
        value = payload.get(key)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v:
                found.add(v)
    return found


def describe(records: Sequence[tuple[str, str, Any, Any]]) -> str:
    """A short account of what `records` touch (for messages and logs)."""
    t = touches(records)
    if t.everything:
        return "everything"
    return (f"{len(t.cases)} case(s), {len(t.orgs) + len(t.codes)} organisation(s), "
            f"{len(t.users) + len(t.logins)} person(s)")

"""What the lists kept across requests are keyed by (web/kit/views.py `kept`): a version per
scope, moved by every write in its own transaction, so that a write empties only the lists it
may change.

Scopes (`list_version`):
* an organisation's path: a write about a case, a programme or an organisation moves the
  version of the organisation's path and of each of its ancestors' paths, so the lists of a
  subtree read one row, that of the subtree's root;
* `own:PATH` (`own_scope`): the same writes move the version of the organisation itself, not
  its ancestors': what the organisation's own rows are kept by (a subtree's page composed of
  its own part and its children's subtrees: web/kit/views.py `overdue_list`);
* `user:ID`: a person's own choices (read marks, mutes, snoozes, preferences, sign-ins, tokens)
  and the cases she answers for or is named in (her bell and centre): a write about a case
  moves the version of the person responsible for it, of the one it was handed from and of
  those a comment names;
* `unassigned:ID`: the cases of the organisation ID nobody answers for (an officer's bell and
  "mine" count them too): a write about a case of it that nobody answers for, or about a
  hand-over of one of its cases (from nobody, maybe);
* `near:PATH`: the stages of the organisation at PATH and of those at most `NEAR` levels below
  it (what its manager's escalations are read from): a write that may change a case's stages
  (kept/touch.py `changes_stages`: not a comment, a file or a view) moves the scope of its
  organisation and of its `NEAR` nearest ancestors;
* `organisations`: who joined when (the stages "before joining", counted apart from overdue):
  a write about an organisation;
* `views`: the saved views (a view saved, renamed, shared or deleted: entity "view"), which
  the menu's list of views is kept by (`views_scopes`), not by the reader's subtree;
* `*`: a write narrowed to none of these (a sync, a re-planning, a bulk action, an account's
  role): every list.

What each kept figure reads is declared once in kept/figures.py, beside its recount. A write
elsewhere in a manager's subtree -- a record in a district under the country's root -- leaves
his bell, his "mine" and his views kept.

A comment (written or changed: `touch.NAMES_ONLY`) is in no list: it moves only the versions of
the people it concerns (the person responsible for the case and those it mentions: their centres),
not the case's organisations'.

The version written is the audit record's id of the write: appends to the chain are serialised
until commit (storage/audit.py), so a scope's versions become visible in the order they were
written, and a request that reads version N of a scope sees every write up to N in it. A record
of something read (an export, a view, a refusal) changes nothing and moves nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, String, any_, bindparam, cast, literal, text
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from workflow.kept import counts, guard
from workflow.kept.statements import Statement
from workflow.kept.touch import Touch, touches
from workflow.storage.models import (
    Case,
    ListVersion,
    Organisation,
    Programme,
    User,
    table_of,
)
from workflow.storage.queries import read as read_rows
from workflow.storage.queries import select_columns

EVERYTHING = "*"
ORGANISATIONS = "organisations"
VIEWS = "views"
# the levels below an organisation whose stages move its `near` scope: a manager's escalations
# reach `escalate_levels` below him (1 unless configured otherwise)
NEAR = 1
PENDING = "merzim.list_versions_pending"  # [transaction, scopes, version] moved at its commit


USER, UNASSIGNED, NEAR_OF, OWN = "user:", "unassigned:", "near:", "own:"  # scopes' prefixes


def user_scope(user_id: int) -> str:
    return f"{USER}{user_id}"


def unassigned_scope(org_id: int) -> str:
    return f"{UNASSIGNED}{org_id}"


def near_scope(path: str) -> str:
    return f"{NEAR_OF}{path}"


def own_scope(path: str) -> str:
    """The scope of the organisation at `path` alone (its own rows, not its subtree's)."""
    return f"{OWN}{path}"


# What a page of a person may read besides her subtree's parts, read with her session in one
# statement (storage/queries/accounts.py `session_with_user`; one place names them for both
# sides): (prefix, of what: "user" her id, "org" her organisation's id, "path" its path; None:
# the scope alone). Her subtree's lists (the path), her organisation's own rows (`own:`), her
# menu's "mine" and bell (`mine_scopes`, `bell_scopes`: `near:` of a manager's organisation),
# her saved views (`views_scopes`), who joined when (the organisations': who confirms her year,
# the organisation filter's list) and every list's.
READER_SCOPES: tuple[tuple[str, str | None], ...] = (
    (EVERYTHING, None), (ORGANISATIONS, None), (VIEWS, None), (USER, "user"),
    (UNASSIGNED, "org"), ("", "path"), (NEAR_OF, "path"), (OWN, "path"))


def reader_scopes(of: dict[str, Any]) -> list[str]:
    """`READER_SCOPES` of a person: `of` her id ("user"), her organisation's id ("org") and
    path ("path"), None when she has none (no scope of it)."""
    return [prefix if what is None else f"{prefix}{of[what]}"
            for prefix, what in READER_SCOPES if what is None or of[what] is not None]


def reader_scope_columns(of: dict[str, Any]) -> list[Any]:
    """`READER_SCOPES` as SQL expressions of the columns `of` ("user", "org", "path"): the
    same strings `reader_scopes` makes of their values (NULL for an organisation she has
    not)."""
    return [literal(prefix) if what is None
            else (of[what] if not prefix else literal(prefix) + cast(of[what], String))
            for prefix, what in READER_SCOPES]


def with_ancestors(path: str) -> list[str]:
    """An organisation's path and its ancestors' ('/1/5/9/' → '/1/', '/1/5/', '/1/5/9/')."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def _loaded(s: Session, model: Any, key: int, *attributes: str) -> tuple | None:
    """The values of `attributes` of the row `key` of `model` as the session holds it (the
    write loaded it), read without a statement; None when it does not hold them."""
    row = s.identity_map.get(identity_key(model, key))
    if row is None:
        return None
    state = instance_state(row).dict
    if any(a not in state for a in attributes):
        return None
    return tuple(state[a] for a in attributes)


# The statements a write's scopes are read and moved with, sent as the driver's SQL
# (kept/statements.py: an alias of a table built afresh cost a write about a millisecond of
# CPU, SQLAlchemy's handling of a compiled statement more than the database takes to run it)
# on the session's connection (the write's rows are flushed by its append): the cases'
# organisations' paths and the persons responsible, the people named by login, the
# organisations named by id or code, the programmes' organisations; the versions moved, one
# row a scope in one statement, in the scopes' order (two writers lock them in one order).
_OBJECT = aliased(Organisation)
_IDS = {"ids": Integer()}
_NAMES = {"logins": String(), "codes": String(), "scopes": String(), "version": Integer()}
_CASES = Statement(lambda ids: select_columns(Case.id, Case.subject_id, Organisation.path,
                                              Case.responsible_id, _OBJECT.path)
                   .join(Organisation, col(Organisation.id) == Case.subject_id)
                   .outerjoin(_OBJECT, col(_OBJECT.id) == Case.object_id)
                   .where(col(Case.id).in_(ids)), _IDS)
_USERS = Statement(lambda logins: select(User.id).where(col(User.login).in_(logins)), _NAMES)
_ORG_PATHS = Statement(lambda ids: select(Organisation.path).where(col(Organisation.id).in_(ids)),
                       _IDS)
_CODE_PATHS = Statement(lambda codes: select(Organisation.path)
                        .where(col(Organisation.code).in_(codes)), _NAMES)
_PROGRAMME_PATHS = Statement(lambda ids: select(Organisation.path)
                             .join(Programme, col(Programme.subject_id) == Organisation.id)
                             .where(col(Programme.id).in_(ids)), _IDS)
_UPSERT = Statement(lambda scopes, version: text(
    "INSERT INTO list_version (scope, version) VALUES "
    + ", ".join(f"(:{scope.key}, :{version[0].key})" for scope in scopes)
    + " ON CONFLICT (scope) DO UPDATE SET version = excluded.version"), _NAMES)


def _cases(s: Session, ids: set[int]
           ) -> dict[int, tuple[int, str, int | None, str | None]] | None:
    """(subject's id, subject's path, responsible person, object's path or None) of each case,
    by id: from the rows the write holds, the others in one statement; None if a case is not
    found. A case's object is written about too: an analysis of a subdivision is in the
    subdivision's figures (its score, scorecard/kept.py)."""
    found, missing = {}, []
    for i in ids:
        case = _loaded(s, Case, i, "subject_id", "responsible_id", "object_id")
        org = _loaded(s, Organisation, case[0], "path") if case is not None else None
        target = (None if case is None else (None,) if case[2] is None
                  else _loaded(s, Organisation, case[2], "path"))
        if case is None or org is None or target is None:
            missing.append(i)
        else:
            found[i] = (case[0], org[0], case[1], target[0])
    if missing:
        rows = _CASES(s.connection(), ids=sorted(missing)).all()
        if len(rows) != len(missing):
            return None
        found.update({i: (subject, p, r, o) for i, subject, p, r, o in rows})
    return found


def _near(path: str) -> list[str]:
    """The `near` scopes a change of the stages of the organisation at `path` moves: its own
    and its `NEAR` nearest ancestors'."""
    return [near_scope(p) for p in with_ancestors(path)[-(NEAR + 1):]]


def _case_scopes(s: Session, touch: Touch, scopes: set[str], paths: set[str]) -> bool:
    """Add to `scopes` and `paths` what a write's touch of cases may change (module
    docstring): the subject's and the object's paths of the cases a list shows the change of
    (not of a comment: `touch.NAMES_ONLY`), the person responsible for each case and the
    people the payloads name; False when a case is not found."""
    cases = _cases(s, set(touch.cases))
    if cases is None:
        return False
    for i, (subject_id, subject, responsible, target) in cases.items():
        mark = touch.cases[i]
        if mark.listed:
            paths.update(p for p in (subject, target) if p)
        if responsible is not None:
            scopes.add(user_scope(responsible))
        if responsible is None or mark.handed:
            scopes.add(unassigned_scope(subject_id))
        if mark.staged:
            scopes.update(sc for p in (subject, target) if p for sc in _near(p))
    if touch.logins:
        scopes.update(user_scope(u) for u in _USERS(
            s.connection(), logins=sorted(touch.logins)).scalars() if u is not None)
    return True


def _org_paths(s: Session, touch: Touch) -> list[str] | None:
    """The paths of the organisations `touch` names (by id or code); None if one is not
    found."""
    found: list[str] = []
    if touch.orgs:
        found += _ORG_PATHS(s.connection(), ids=sorted(touch.orgs)).scalars()
    if touch.codes:
        found += _CODE_PATHS(s.connection(), codes=sorted(touch.codes)).scalars()
    return found if len(found) == len(touch.orgs) + len(touch.codes) else None


def scopes_of(s: Session, records: Sequence[tuple[str, str, Any, Any]]) -> set[str]:
    """The scopes the writes logged by `records` (action, entity, entity id, payload) may
    change: `{'*'}` when what they touch cannot be narrowed (kept/touch.py)."""
    return scopes_of_touch(s, touches(records))


def scopes_of_touch(s: Session, touch: Touch) -> set[str]:
    """`scopes_of` a write's touch (kept/touch.py)."""
    if touch.everything:
        return {EVERYTHING}
    scopes: set[str] = {user_scope(u) for u in touch.users}
    paths: set[str] = set()
    if touch.cases and not _case_scopes(s, touch, scopes, paths):
        return {EVERYTHING}
    if touch.orgs or touch.codes:
        found = _org_paths(s, touch)
        if found is None:
            return {EVERYTHING}
        paths.update(found)
        scopes.add(ORGANISATIONS)
        scopes.update(sc for p in found for sc in _near(p))
    if touch.views:  # a saved view: in no list, in the menus' lists of views
        scopes.add(VIEWS)
    if touch.programmes:
        programmes = _PROGRAMME_PATHS(s.connection(), ids=sorted(touch.programmes)).scalars().all()
        if len(programmes) != len(touch.programmes):
            return {EVERYTHING}
        paths.update(programmes)
    for p in paths:
        scopes.update(with_ancestors(p))
        scopes.add(own_scope(p))
    return scopes


def move(s: Session, records: Sequence[tuple[str, str, Any, Any]], version: int) -> None:
    """Have the versions of the scopes `records` may change set to `version` (the last
    record's id) when the session's transaction commits: one statement for all its writes,
    in the transaction (after the appends' lock: versions become visible in commit order);
    nothing if it is rolled back. What the records touch is told once (kept/touch.py); the
    counts the write changes are noted from it too, counted again at the same commit
    (kept/counts.py), and the commit's check told what the appends cover (kept/guard.py)."""
    touch = touches(records)
    counts.note(s, touch)
    guard.cover(s, touch)
    scopes = scopes_of_touch(s, touch)
    if not scopes:
        return
    root = s.get_transaction()
    pending = s.info.get(PENDING)
    if pending is None or pending[0] is not root:
        pending = s.info[PENDING] = [root, set(), version]
    pending[1].update(scopes)
    pending[2] = max(pending[2], version)


def taken(s: Session) -> tuple[list[str], int] | None:
    """(the scopes the transaction's writes noted, in order, and the version they move to),
    forgotten here; None: none (kept/commit.py moves them when the transaction commits)."""
    pending = s.info.pop(PENDING, None)
    if pending is not None and pending[0] is s.get_transaction() and pending[1]:
        return sorted(pending[1]), pending[2]
    return None


def write(s: Session, scopes: list[str], version: int) -> None:
    """Set the versions of `scopes` to `version`, in one statement."""
    _UPSERT(s.connection(), scopes=scopes, version=[version])


def moved(scopes: Sequence[Any], version: Sequence[Any]) -> Any:
    """PostgreSQL: `_UPSERT` as a statement kept/commit.py sends in the counts' (a
    data-modifying WITH)."""
    from sqlalchemy.dialects import postgresql  # built on PostgreSQL alone

    table = table_of(ListVersion)
    upsert = postgresql.insert(table).values([{"scope": sc, "version": version[0]}
                                              for sc in scopes])
    return upsert.on_conflict_do_update(index_elements=[table.c.scope],
                                        set_={"version": upsert.excluded.version})


# `read`'s statement, built once (a kept list asks it at every request)
_READ = (select(ListVersion.scope, ListVersion.version)
         .where(col(ListVersion.scope).in_(bindparam("scopes", expanding=True))))


# PostgreSQL's: the scopes as one array (an IN list's thousands of values, a root's paths, are
# each handled by SQLAlchemy at every execution)
_READ_ANY = (select(ListVersion.scope, ListVersion.version)
             .where(col(ListVersion.scope) == any_(bindparam("scopes", type_=ARRAY(String)))))


def read(s: Session, scopes: Sequence[str]) -> dict[str, int]:
    """The versions of `scopes` (0: never written), in one statement on the primary key."""
    statement = _READ_ANY if s.get_bind().dialect.name == "postgresql" else _READ
    found = dict(read_rows(s, statement, {"scopes": list(scopes)}).all())
    return {sc: found.get(sc, 0) for sc in scopes}


def read_many(s: Session, scopes: Sequence[str], chunk: int = 1000) -> dict[str, int]:
    """`read` of any number of scopes (a root's thousands of paths), `chunk` a statement."""
    out: dict[str, int] = {}
    for i in range(0, len(scopes), chunk):
        out.update(read(s, list(scopes[i:i + chunk])))
    return out

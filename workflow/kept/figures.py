"""Each kept figure declared once: its name, what it is, the scopes of a reader it reads
(kept/versions.py: which writes move which) and its recount, the function that computes it
afresh. A figure's cache site asks its declaration for the versions it is kept by
(`versions_of`, `each`), never names a scope itself; the randomised test walks `FIGURES`
(tests/storage/test_kept_figures.py) and compares each with its recount after random writes,
and docs/architecture.md's table of them is generated from here (`table`).

Figures kept in the process (cachetools, per database) read versions; the counts of open stages
are kept in the database by the writes themselves (kept/counts.py): their scopes are none, and
`merzim audit recount` compares and mends them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlmodel import Session

from workflow.kept import reading
from workflow.kept.versions import (
    EVERYTHING,
    NEAR,
    ORGANISATIONS,
    VIEWS,
    near_scope,
    own_scope,
    read_many,
    unassigned_scope,
    user_scope,
)


@dataclass(frozen=True, eq=False)
class Figure:
    """A kept figure: `scopes(**reader)` the scopes it reads for a reader (or a subtree);
    `recount` the function computing it afresh ("module:function"), `where` where it is
    kept. A declaration is itself (compared and hashed by identity: `path_scopes` keys its
    memo by it at every part of a page; a declaration replaced is another)."""

    name: str
    what: str
    scopes: Callable[..., tuple[str, ...]]
    recount: str
    where: str = "memory"


def _subtree(path: str, user: int | None = None) -> tuple[str, ...]:
    return (EVERYTHING, path) if user is None else (EVERYTHING, path, user_scope(user))


def _subtree_alone(path: str) -> tuple[str, ...]:
    return (EVERYTHING, path)


def _own(path: str) -> tuple[str, ...]:
    return (EVERYTHING, own_scope(path))


def _mine(user: int, unassigned: int | None = None) -> tuple[str, ...]:
    own = (EVERYTHING, ORGANISATIONS, user_scope(user))
    return (*own, unassigned_scope(unassigned)) if unassigned is not None else own


def _bell(user: int, role: str, unassigned: int | None, path: str,
          levels: int = NEAR) -> tuple[str, ...]:
    own = _mine(user, unassigned)
    if role != "manager":
        return own
    return (*own, near_scope(path) if 0 <= levels <= NEAR else path)


def _views(user: int) -> tuple[str, ...]:
    return (EVERYTHING, ORGANISATIONS, VIEWS, user_scope(user))


def _organisations() -> tuple[str, ...]:
    return (EVERYTHING, ORGANISATIONS)


def _none() -> tuple[str, ...]:
    return ()


FIGURES: dict[str, Figure] = {f.name: f for f in (
    Figure("lists", "the lists of a subtree (overdue, due, before joining, cases) and their "
           "counts; with a person, her own too", _subtree,
           "workflow.services.lists:overdue"),
    Figure("own_rows", "an organisation's own rows, a part of its subtree's list", _own,
           "workflow.services.lists:overdue"),
    Figure("mine", "the menu's count of her own overdue stages (an officer's organisation's "
           "cases nobody answers for too)", _mine,
           "workflow.services.lists:count_my_overdue"),
    Figure("bell", "the bell's unread count and the notification centre (a manager's "
           "escalations of his organisation and those below it too)", _bell,
           "workflow.notices.service:centre"),
    Figure("views", "the menu's list of her saved views", _views,
           "workflow.services.saved_views:views_of"),
    Figure("organisation_choices", "the organisations a reader may filter by", _organisations,
           "workflow.services.organisations:org_rows"),
    Figure("confirming", "the organisations confirming their year so far (B-25)",
           _organisations, "workflow.storage.queries:confirming_orgs"),
    Figure("officers", "the organisations with an active officer (a list's unassigned row "
           "whose organisation has none says so instead of offering to assign)",
           _organisations, "workflow.storage.queries.accounts:all_codes_with_officers"),
    Figure("escalations", "the base of a manager's escalations: who joined when",
           _organisations, "workflow.notices.service:centre"),
    Figure("evaluation", "a subject's evaluation (scorecard) and its parts, by its subtree",
           _subtree_alone, "workflow.scorecard.service:scorecards",
           where="memory; its scorecards and points for the installation in table kept_figure"),
    Figure("form_counts", "an organisation's counts of the report forms' appendices",
           _subtree_alone, "workflow.forms.service:org_counts"),
    Figure("open_stage_counts", "the open stages per organisation, process and due day "
           "(table open_stage_count)", _none, "workflow.kept.counts:differences",
           where="database"),
)}


def scopes(name: str, **reader: object) -> tuple[str, ...]:
    """The scopes the figure `name` reads for `reader` (its declaration's)."""
    return FIGURES[name].scopes(**reader)


def path_scopes(name: str, path: str) -> tuple[str, ...]:
    """`scopes(name, path=path)`, worked out once per declaration and path (a region's page
    asks it for each of its hundred parts after every write): the declaration is part of the
    key, so a declaration replaced is asked afresh."""
    return _declared(FIGURES[name], path)


@lru_cache(maxsize=1 << 16)
def _declared(figure: Figure, path: str) -> tuple[str, ...]:
    return figure.scopes(path=path)


def versions_of(s: Session, name: str, **reader: object) -> tuple[int, ...] | None:
    """The versions the figure `name` of `reader` is kept by (kept/reading.py
    `scoped_versions`: None in a transaction that has written)."""
    return reading.scoped_versions(s, scopes(name, **reader))


def each(s: Session, name: str, paths: Sequence[str], chunk: int = 1000
         ) -> dict[str, tuple[int, ...]]:
    """The versions the figure `name` of each subtree at `paths` is kept by, the scopes of all
    read at once (`chunk` a statement): a root's thousands of subjects."""
    wanted = {p: scopes(name, path=p) for p in paths}
    found = read_many(s, list(dict.fromkeys(sc for sc_ in wanted.values() for sc in sc_)), chunk)
    return {p: tuple(found[sc] for sc in sc_) for p, sc_ in wanted.items()}


def table() -> str:
    """The kept figures as a Markdown table (docs/architecture.md holds it; a test keeps it
    equal): each figure's scopes as a manager's (PATH his organisation's path, USER his id,
    ORG an organisation's id)."""
    rows = ["| figure | what | kept in | reads | recount |", "| --- | --- | --- | --- | --- |"]
    for f in FIGURES.values():
        reads = ", ".join(f"`{sc}`" for sc in f.scopes(**_sample(f.scopes))) \
            or "none: kept by the writes"
        rows.append(f"| `{f.name}` | {f.what} | {f.where} | {reads} | `{f.recount}` |")
    return "\n".join(rows)


_SAMPLE = {"path": "PATH", "user": "USER", "unassigned": "ORG", "role": "manager"}


def _sample(fn: Callable[..., object]) -> dict[str, object]:
    import inspect

    return {name: _SAMPLE[name] for name, p in inspect.signature(fn).parameters.items()
            if p.default is inspect.Parameter.empty or name in _SAMPLE}

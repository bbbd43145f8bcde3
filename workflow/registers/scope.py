"""Which organisations a subject's evaluation of projects No. 2 and 4 and its report forms take
in (B-18, pure).

000:L92-98: the regional departments and district divisions carry out the projects and present
their final reporting form to the regional akimat; a central state body works jointly with its
committees and territorial departments (001:L176-185 names the subdivisions). So a central body,
a regional akimat and the akimat of a city of republican significance (`city_akimat`, which
counts as `akimat`: workflow/core/kinds.py) take in the
facts recorded by every organisation under it — its apparatus, departments, committees and their
territorial departments, district and city akimats and their divisions — but not the
quasi-state entities (project No. 3's denominator) nor anything under them. Any other
organisation's evaluation is its own facts alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from workflow.core.kinds import widened

CONSOLIDATING_KINDS = ("central_body", "akimat")
NOT_CONSOLIDATED = ("quasi_state",)
# parts of a body's apparatus: consolidated, but they present no reporting form of their own
APPARATUS_KINDS = ("apparatus_department", "independent_directorate", "akim_apparatus")


class Unit(Protocol):
    """An organisation of a tree: its code, kind and parent's code."""

    @property
    def code(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def parent(self) -> str | None: ...


def _children(tree: Iterable[Unit]) -> dict[str | None, list[Unit]]:
    kids: dict[str | None, list[Unit]] = {}
    for o in tree:
        kids.setdefault(o.parent, []).append(o)
    return kids


def consolidates(kind: str, kinds: Sequence[str] = CONSOLIDATING_KINDS) -> bool:
    """Whether a subject of `kind` takes in the organisations under it: a kind named, or one
    that counts as a kind named (a city of republican significance's akimat as `akimat`)."""
    return kind in widened(kinds)


def members(subject: str, kind: str, tree: Iterable[Unit],
            kinds: Sequence[str] = CONSOLIDATING_KINDS) -> tuple[str, ...]:
    """The subject, then (when its kind consolidates) every organisation under it but the
    quasi-state entities and what is under them, in tree order."""
    if not consolidates(kind, kinds):
        return (subject,)
    kids = _children(tree)
    found = [subject]
    stack = list(reversed(kids.get(subject, [])))
    while stack:
        o = stack.pop()
        if o.kind in NOT_CONSOLIDATED:
            continue
        found.append(o.code)
        stack.extend(reversed(kids.get(o.code, [])))
    return tuple(found)


def reporting_units(subject: str, kind: str, tree: Iterable[Unit],
                    kinds: Sequence[str] = CONSOLIDATING_KINDS) -> tuple[str, ...]:
    """The subdivisions that present their final reporting form to the subject: its
    consolidated members below it that are not parts of an apparatus."""
    units = {o.code: o for o in tree}
    return tuple(code for code in members(subject, kind, units.values(), kinds)[1:]
                 if units[code].kind not in APPARATUS_KINDS)

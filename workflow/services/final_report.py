"""Who reports when (B-21): a subdivision's final reporting form to its region or central body
is due a number of working days (config.toml `[deadlines] final_report_before`, 10 by default)
before that body's own report, so the body can consolidate in time; merzim's own deadline,
marked as such by the register's stage (`due_basis`).

The final reporting form is the register whose `[scorecard]` says `final_report` (a
recurring obligation): its period's due date is the rule's for a region or a central body
(a consolidating kind, wherever it sits), and moves back by `final_report_before` working days
for a subdivision whose report goes into one above it (a territorial department's to its
committee's ministry; a district akimat's and a district department's to the regional
akimat). Quasi-state entities report to their supervising body on the rule's own date
(000:L104-106): they are not its subdivisions (B-18), nor is anything under them; the parts of
an apparatus present no form of their own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workflow.core import deadlines
from workflow.registers.scope import APPARATUS_KINDS, NOT_CONSOLIDATED
from workflow.services.context import Context
from workflow.storage.models import Organisation


def is_final_report(definition: Any) -> bool:
    """(The one rule: `core.deadlines.is_final_report`; its due date's mark, B-21, is
    `core.deadlines.due_basis`'s.)"""
    return deadlines.is_final_report(definition)


def ids_of(path: str) -> list[int]:
    """The organisation ids of a path ('/1/5/9/': the root first, the organisation last)."""
    return [int(x) for x in path.strip("/").split("/") if x.isdigit()]


def levels(path: str, kind_of: Mapping[int, str], consolidating: Sequence[str]) -> int:
    """1 when the organisation of `path` is a subdivision whose final report goes into a body
    above it (a consolidating kind, with no quasi-state entity between), else 0: a region or a
    central body itself reports on the rule's date wherever it sits in the tree, as do a
    quasi-state entity, anything under one, and a part of an apparatus (pure)."""
    chain = [kind_of.get(i, "") for i in reversed(ids_of(path))]  # itself first, then up
    if (not chain or chain[0] in APPARATUS_KINDS or chain[0] in NOT_CONSOLIDATED
            or chain[0] in consolidating):
        return 0
    for kind in chain[1:]:
        if kind in NOT_CONSOLIDATED:  # under a quasi-state entity: not consolidated
            return 0
        if kind in consolidating:
            return 1
    return 0


def shifted(ctx: Context, due: date, n: int) -> date:
    """The rule's due date moved back `final_report_before` working days (a subdivision's)."""
    if n <= 0 or ctx.final_report_before <= 0:
        return due
    return ctx.calendar.sub_working_days(due, n * ctx.final_report_before)


def levels_of(s: Session, ctx: Context, definition: Any, subject: Organisation | None) -> int:
    """`levels` of a case's subject, for the final report's register only (one query of the
    kinds on its path); 0 for any other definition."""
    if subject is None or not is_final_report(definition) or ctx.final_report_before <= 0:
        return 0
    ids = ids_of(subject.path)
    kinds: dict[int, str] = {i: k for i, k in s.exec(
        select(Organisation.id, Organisation.kind).where(col(Organisation.id).in_(ids))).all()
        if i is not None}
    return levels(subject.path, kinds, ctx.consolidating_kinds)


"""`merzim case missing`: the open stages of a register of a person's documents, with each
case's person, due by the end of a year — the enterprise policy's yearly list of employees who
have not yet signed the consent (appendix 2) or the confirmation (appendix 3) form
(`workflow/services/missing.py`; docs/procedures.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, unit_of_work
from workflow.cli.options import Json, OrgRequired

gaps = lazy("workflow.services.missing")

ProcessKey = Annotated[str, typer.Argument(metavar="KEY",
                                           help="Process key (merzim process list).")]
DueYear = Annotated[int | None, typer.Option(
    "--year", metavar="YEAR", help="Stages due by 31 December of this year (default: this year).")]
OnlyStage = Annotated[str | None, typer.Option("--stage", metavar="STAGE", help="Only this stage.")]


def case_missing(process: ProcessKey, org: OrgRequired, year: DueYear = None,
                 stage: OnlyStage = None, as_json: Json = False) -> None:
    """What is still missing in a register about persons: the open stages of the process's
    cases in the organisation's subtree due by the end of the year, with each person (the
    enterprise policy: who has not signed the consent or the confirmation form)."""
    ctx = context()
    with unit_of_work() as s:
        rows = gaps.missing(s, ctx, process, org, year or ctx.today.year, stage)
    if as_json:
        emit_json([{"case": r.case, "subject": r.subject, "person": r.person,
                    "position": r.position, "stage": r.stage, "stage_name": r.stage_name,
                    "due": r.due.isoformat() if isinstance(r.due, date) else None,
                    "due_basis": r.due_basis} for r in rows])
        return
    if not rows:
        typer.echo(STATE.t("case.none"))
        return
    lines = []
    for r in rows:  # one a line: a table would wrap the names on a narrow terminal
        basis = (STATE.t("stage.own_deadline_merzim") if r.due_basis == "merzim"
                 else STATE.t("stage.own_deadline", basis=r.due_basis) if r.due_basis else "")
        due = r.due.isoformat() if r.due else "-"
        who = ", ".join(x for x in (r.person, r.position) if x)
        lines.append(f"#{r.case} {r.subject} {who}: {r.stage_name} — {due}"
                     + (f" ({basis})" if basis else ""))
    typer.echo("\n".join(lines))

def extend(groups: dict[str, typer.Typer]) -> None:
    """Add `missing` to `merzim case`."""
    if "case" in groups:  # built when the command line asks for it
        groups["case"].command("missing")(case_missing)

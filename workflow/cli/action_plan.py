"""`merzim case action-plan`: the Concept's action plan items (seed 004) opened as one-off
cases for the bodies an operator names, each due by the end of its quarter
(`workflow/services/action_plan.py`; docs/procedures.md)."""

from __future__ import annotations

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, unit_of_work
from workflow.cli.options import Json, Responsible, option

plan = lazy("workflow.services.action_plan")

ORGS = typer.Argument(..., metavar="CODE...", help="Codes of the bodies that own the items.")
ITEM = option("--item", "KEY", "Only this item (its key or number, e.g. i39 or 39); repeat for more. "
                               "Default: every item of the list.")


def action_plan(codes: list[str] = ORGS, items: list[str] = ITEM,
                responsible: Responsible = None, as_json: Json = False) -> None:
    """Open the action plan's items as one-off cases for the bodies named, each due by the end
    of its quarter; an item already open for a body is kept. Nothing is opened if a body or an
    item is unknown."""
    ctx = context()
    with unit_of_work() as s:
        done = plan.open_items(s, ctx, codes, items or None, responsible)
        out = [{"id": case.id, "subject": code, "item": item.number, "line": item.line,
                "deadline": item.deadline.isoformat(), "opened": opened}
               for code, case, item, opened in done]
    if as_json:
        emit_json({"cases": out})
        return
    lines = [STATE.t("action_plan.opened" if o["opened"] else "action_plan.kept", **o)
             for o in out]
    typer.echo("\n".join(lines))


def extend(groups: dict[str, typer.Typer]) -> None:
    """Add `action-plan` to `merzim case`."""
    if "case" in groups:  # built when the command line asks for it
        groups["case"].command("action-plan")(action_plan)

"""Work in bulk from the command line: `merzim bulk record|assign|export`,
the same use cases as the lists' selection bar and `POST /api/v1/bulk/…`
(workflow/services/bulk_actions.py).

The selection is given by items ("12" a case, "12:publication" or "12:report:2025Q4" one of
its stages, as `status` and `overdue --json` name them) and/or by a filter the lists support:
`--overdue` or `--due N` (their stages), else `--org`/`--process` alone (their cases), each
narrowed by `--org CODE` and `--process KEY`. All or nothing: when any item is refused, each
refused item is printed with its reason, the command exits with code 3 and nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from workflow.cli.common import (
    STATE,
    context,
    emit_json,
    lazy,
    pairs,
    parse_date,
    parse_int,
    print_table,
    say,
    svc,
    unit_of_work,
    write_file,
)
from workflow.cli.options import Evidence, Json, Number, Org, Process, SignedBy, Url, option, required
from workflow.core.errors import UsageError

bulk = lazy("workflow.services.bulk_actions")

bulk_app = typer.Typer(help="Work in bulk: record one event on several cases or stages, hand "
                            "them over, export them. All or nothing.", no_args_is_help=True)

ITEMS = typer.Argument(None, metavar="ITEM...",
                       help="A case (12) or one of its stages (12:publication, "
                            "12:report:2025Q4); as many as needed.")
OVERDUE = typer.Option(False, "--overdue", help="Select every overdue stage (with --org, "
                                                 "--process: of those only).")
DUE = option("--due", "N", "Select every open stage due within N working days.")
ORG = option("--org", "CODE", "Only the organisation's subtree; alone: every case of it.")
PROCESS = option("--process", "KEY", "Only cases of this process; alone: every case of it.")


def selection(s, ctx, values: list[str] | None, overdue: bool, due: str | None,
              org: str | None, process: str | None) -> list[Any]:
    """The items typed, then those of the filter, in order, each once (parse_items checks the
    whole selection: not empty, well-formed, at most MAX_ITEMS)."""
    if overdue and due is not None:
        raise UsageError("--overdue or --due, not both", key="bulk.cli_one_filter")
    chosen = [str(v) for v in values or []]
    if overdue:
        chosen += [f"{r.case}:{r.stage}" for r in svc.overdue(s, ctx, org, process=process)]
    elif due is not None:
        within = parse_int(due, "--due")
        if within < 0:
            raise UsageError("--due must be 0 or more", key="bulk.cli_bad_due")
        chosen += [f"{r.case}:{r.stage}"
                   for r in svc.due_within(s, ctx, org, within, process=process)]
    elif org or process:
        chosen += [str(r.id) for r in svc.list_cases(s, ctx, process, org)]
    if not chosen and (overdue or due is not None or org or process):
        raise UsageError("the filter selects nothing", key="bulk.cli_filter_empty")
    return bulk.parse_items(chosen)


def refusal_lines(s, ctx, exc) -> list[dict[str, Any]]:
    """Each refused item with its reason in the reader's language, its stage by name."""
    t = STATE.t
    lines = []
    for r in exc.refusals:
        name = None
        if r.item.stage:
            case = svc.find_case(s, r.item.case)
            if case is not None:
                name = svc.definition_of(s, ctx, case).stage_name(r.item.stage, t.language)
        lines.append({"item": r.item.value, "case": r.item.case, "stage": r.item.stage,
                      "stage_name": name, "error": r.error.key, "message": r.error.render(t)})
    return lines


def _refused(lines: list[dict[str, Any]], as_json: bool, exc) -> None:
    """Every refused item on stdout (as `audit verify` names its files), then the refusal's
    one line on stderr with its exit code (main)."""
    if as_json:
        emit_json({"error": exc.key, "message": exc.render(STATE.t), "refused": lines})
    else:
        say(STATE.t("bulk.nothing_stored"))
        for x in lines:
            what = f"#{x['case']}"
            if x["stage"]:
                what += (f" «{x['stage_name']}»" if x["stage_name"] else "") + f" ({x['stage']})"
            say(f"  {what}: {x['message']}")


def _event_name(s, ctx, record) -> str:
    from workflow.core.names import name_in

    defn = svc.definition_of(s, ctx, svc.get_case(s, record.case_id))
    spec = defn.events.get(record.event)
    return name_in(spec.names, STATE.t.language) if spec is not None else record.event


def _run(s, ctx, as_json: bool, act):
    try:
        return act()
    except Exception as exc:
        if isinstance(exc, bulk.BulkRefused):
            _refused(refusal_lines(s, ctx, exc), as_json, exc)
        raise


@bulk_app.command("record")
def bulk_record(command: typer.Context,
                items: list[str] = ITEMS,
                overdue: bool = OVERDUE, due: str = DUE, org: Org = None, process: Process = None,
                event: str = option("--event", "EVENT", "The event recorded on the selected cases (a stage "
                                                        "is recorded by the event that completes it)."),
                on: str = required("--date", "DATE", "When it happened (one date for all)."),
                number: Number = None, signed_by: SignedBy = None, url: Url = None,
                note: str = option("--note", "TEXT", "Free text recorded with every record."),
                evidence: Evidence = None,
                files: list[Path] = option("--file", "PATH", "A confirming document attached to every "
                                                             "record; repeat for more."),
                as_json: Json = False) -> None:
    """Record on every selected stage the event that completes it (on a case: --event), with
    one date, evidence and confirming document. All or nothing."""
    from workflow.cli.files import limits, opened_uploads, store
    from workflow.core.dates import not_in_future
    from workflow.core.machine import builtin_evidence

    day = parse_date(on, "--date")
    fields = {**builtin_evidence(command.params), **pairs(evidence, "--evidence")}
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    ctx = context()
    with opened_uploads(files) as uploads, unit_of_work() as s:
        chosen = selection(s, ctx, items, overdue, due, org, process)
        not_in_future(day, ctx.today)
        records = _run(s, ctx, as_json, lambda: bulk.record_all(
            s, ctx, chosen, day, fields or None, event, None,
            store() if uploads else None, limits() if uploads else None, uploads))
        out = [{"case": r.case_id, "record": r.id, "event": r.event,
                "event_name": _event_name(s, ctx, r)} for r in records]
    if as_json:
        emit_json({"date": day, "recorded": out})
        return
    say(STATE.t.n("bulk.recorded", len(out), date=day.isoformat()))
    for r in out:
        say("  " + STATE.t("bulk.cli_recorded_line", case=r["case"], record=r["record"],
                           event=f"«{r['event_name']}» ({r['event']})"))


@bulk_app.command("assign")
def bulk_assign(items: list[str] = ITEMS,
                overdue: bool = OVERDUE, due: str = DUE, org: Org = None, process: Process = None,
                to: str = required("--to", "LOGIN", "The officer the selected cases are handed to."),
                as_json: Json = False) -> None:
    """Hand the case of every selected item over to another officer. All or nothing."""
    ctx = context()
    login = to.strip()
    with unit_of_work() as s:
        chosen = selection(s, ctx, items, overdue, due, org, process)
        cases = _run(s, ctx, as_json, lambda: bulk.assign_all(s, ctx, chosen, login))
        ids = [c.id for c in cases]
    if as_json:
        emit_json({"assigned": ids, "to": login})
        return
    say(STATE.t.n("bulk.assigned", len(ids), login=login))
    say(", ".join(f"#{i}" for i in ids))


@bulk_app.command("export")
def bulk_export(items: list[str] = ITEMS,
                overdue: bool = OVERDUE, due: str = DUE, org: Org = None, process: Process = None,
                out: Path = option("--out", "FILE", "Write the selection to this .xlsx or .csv file "
                                                    "(without it: a table, or JSON)."),
                as_json: Json = False) -> None:
    """The selected cases and stages as a table (procedure, case, organisation, stage, due
    date, status, responsible officer), or in an .xlsx or .csv file."""
    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(key="error.export_suffix", path=str(out))
    ctx = context()
    with unit_of_work() as s:
        chosen = selection(s, ctx, items, overdue, due, org, process)
        rows = _run(s, ctx, as_json, lambda: bulk.selection_rows(s, ctx, chosen))
        if out is not None:
            from workflow.services.transactions import audited

            audited(s, ctx.actor, "export.selection", "case", "*",
                    {"format": out.suffix.lower()[1:], "items": [i.value for i in chosen]})
    t = STATE.t
    header, body = bulk.selection_table(rows, STATE.t)
    if out is not None:
        from workflow.tabular import table_csv, table_xlsx

        write_file(out, table_xlsx(t("bulk.title"), header, body)
                   if out.suffix.lower() == ".xlsx" else table_csv(header, body))
    if as_json:
        emit_json({"as_of": ctx.today, "rows": rows,
                   **({"written": str(out)} if out is not None else {})})
        return
    if out is not None:
        say(t.n("bulk.cli_exported", len(rows), path=str(out)))
        return
    print_table(header, (("" if v is None else str(v) for v in row) for row in body))


def register(app: typer.Typer) -> None:
    app.add_typer(bulk_app, name="bulk")

"""The planning's commands: `merzim analysis` (plan, assign, import), `merzim external` (add)
and `merzim programme` (schedule)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from workflow.cli.common import (
    STATE,
    context,
    emit_json,
    lazy,
    parse_date,
    parse_int,
    read_table,
    svc,
    unit_of_work,
)
from workflow.cli.options import (
    AnalysisId,
    Json,
    Number,
    Responsible,
    SignedBy,
    Subject,
    Url,
    option,
    required,
)
from workflow.cli.rendering import render_view, view_json, warning_text

service = lazy("workflow.planning.service")
bulk = lazy("workflow.planning.bulk")

analysis_app = typer.Typer(help="Plan and import analyses.", no_args_is_help=True)
external_app = typer.Typer(help="External analyses (the one-year rule).", no_args_is_help=True)
programme_app = typer.Typer(help="Programmes: a subject's schedule for a year.",
                            no_args_is_help=True)


def _print(message: str) -> None:
    STATE.console.print(message)


@analysis_app.command("plan")
def analysis_plan(subject: Subject,
                  object_: str = required("--object", "CODE", "Code of the object."),
                  start: str = required("--start", "DATE", "The analysis's first day."),
                  end: str = option("--end", "DATE",
                                    "Default: the 30th working day from the start."),
                  override_reason: str = option("--override-reason", "TEXT",
                                                "Plan despite the one-year rule."),
                  responsible: Responsible = None,
                  duplicate_reason: str = option(
                      "--duplicate-reason", "TEXT",
                      "Plan although an analysis of the same subject and object overlaps "
                      "the period (the reason)."),
                  as_json: Json = False) -> None:
    """Plan an analysis and print every stage's due date."""
    s_date = parse_date(start, "--start")
    e_date = parse_date(end, "--end") if end else None
    ctx = context()
    with unit_of_work() as s:
        planned = service.plan_analysis(s, ctx, subject, object_, s_date, e_date, override_reason,
                                    responsible, duplicate_reason)
        view = svc.analysis_view(s, ctx, planned.analysis)
    if as_json:
        emit_json(view_json(view, planned.warnings))
    else:
        render_view(view, planned.warnings)


@analysis_app.command("assign")
def analysis_assign(analysis: AnalysisId,
                    login: str = typer.Argument(..., help="Login of an active officer of the "
                                                "analysis's subject."),
                    as_json: Json = False) -> None:
    """Hand an analysis over to another officer of its subject (reminders follow her)."""
    ctx = context()
    with unit_of_work() as s:
        an = svc.assign_responsible(s, ctx, analysis, login)
        view = svc.analysis_view(s, ctx, an)
        user = svc.get_user(s, login)
    if as_json:
        emit_json(view)
    else:
        _print(STATE.t("analysis.assigned", id=an.id, name=user.full_name, login=user.login))


@analysis_app.command("import")
def analysis_import(file: Path = typer.Argument(..., help="CSV or XLSX: subject, object, "
                                                "start, end"),
                    as_json: Json = False) -> None:
    """Plan every analysis of a schedule file; nothing is stored if any row is refused."""
    from workflow.imports.headers import ignored_note

    rows = read_table(file, (), as_written=True)  # headers in any language: read_schedule
    ctx = context()
    with unit_of_work() as s:
        parsed, unreadable, header = bulk.read_schedule(ctx, rows, STATE.t.language)
        note = ignored_note(STATE.t, header.ignored)
        if note:
            sys.stderr.write(note + "\n")
        # every row is checked and planned before anything is written; a row refused before
        # the first unreadable one is named first, as the file reads
        checked = bulk.check_analyses(s, ctx, parsed)
        if unreadable is not None:
            raise unreadable
        planned = bulk.write_analyses(s, ctx, checked)
    out = [{"row": p.row, "id": p.analysis.id, "warnings": p.warnings} for p in planned]
    if as_json:
        emit_json({"planned": out})
    else:
        # one print for every warning: rich renders thousands of lines faster in one call
        _print("\n".join([STATE.t("analysis.imported", n=len(out)),
                          *(f"row {item['row']} (#{item['id']}): " + warning_text(w)
                            for item in out for w in item["warnings"])]))



@external_app.command("add")
def external_add(subject: str = required("--subject", "CODE", "Code of the subject analysed."),
                 completed: str = required("--completed", "DATE",
                                           "When the external analysis was completed."),
                 reference: str = option("--reference", "TEXT",
                                         "Its document: number, date, who made it."),
                 as_json: Json = False) -> None:
    """Record an external analysis of a subject."""
    day = parse_date(completed, "--completed")
    with unit_of_work() as s:
        ext = service.add_external(s, context(), subject, day, reference)
        out = {"id": ext.id, "subject": subject, "completed_on": day}
    emit_json(out) if as_json else _print(STATE.t("external.added", subject=subject,
                                                  date=day.isoformat()))


@programme_app.command("schedule")
def programme_schedule(command: typer.Context,
                       subject: Subject,
                       year: str = required("--year", "YEAR", "The year the schedule plans."),
                       on: str = required("--date", "DATE", "When the schedule was approved."),
                       number: Number = None,
                       signed_by: SignedBy = None,
                       url: Url = None,
                       approver_role: str = option(
                           "--approver-role", "ROLE",
                           "Who approved it: first_head, deputy_head, head_of_apparatus, "
                           "district_akim or other (the cross-platform package checks it)."),
                       as_json: Json = False) -> None:
    """Record the approval of a subject's schedule for a year."""
    from workflow.core.machine import builtin_evidence

    y, day = parse_int(year, "--year"), parse_date(on, "--date")
    with unit_of_work() as s:
        # its document: --number, --signed-by, --url, --approver-role (the built-in evidence)
        service.record_schedule(s, context(), subject, y, day, builtin_evidence(command.params))
    out = {"subject": subject, "year": y, "schedule": "done", "on": day}
    emit_json(out) if as_json else _print(STATE.t("programme.scheduled", subject=subject, year=y))


def register(app: typer.Typer) -> None:
    app.add_typer(analysis_app, name="analysis")
    app.add_typer(external_app, name="external")
    app.add_typer(programme_app, name="programme")

"""`merzim package` (the cross-platform package of a programme) and `merzim uploaded` (the day a
sub-task was uploaded to the platform)."""

from __future__ import annotations

from pathlib import Path

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, parse_date, parse_int, unit_of_work
from workflow.cli.options import JsonTable, option, required

svc = lazy("workflow.platform.service")
SUBJECT_YEAR = typer.Argument(..., metavar="SUBJECT:YEAR",
                              help="The subject's code and the programme's year, e.g. AK-ALM:2026.")


def _map(ctx):
    return svc.platform_map(STATE.settings, ctx.registry)


def package(subject_year: str = SUBJECT_YEAR,
            out: Path = option("--out", "DIR", "Write one ZIP per sub-task here (made if missing); without "
                                               "it, only the summary is shown."),
            case: str = option("--case", "ID", "Only this case of the programme."),
            as_json: JsonTable = False) -> None:
    """The cross-platform package of a programme: one ZIP per sub-task of the implementation
    map, with its files, its report forms (kk, ru) and a manifest (CSV, JSON), and the documents
    whose approver is missing or not allowed."""
    code, year = svc.parse_subject_year(subject_year)
    ctx = context()
    pmap = _map(ctx)
    case_id = parse_int(case, "--case") if case is not None else None
    written = []
    with unit_of_work() as s:
        prog, _ = svc.programme_of(s, code, year)
        pkg = svc.build(s, ctx, pmap, prog, case_id, forms=svc.form_writer())
        if out is not None:  # the export audited with what it holds, or nothing if not written
            written = svc.write_package(pkg, svc.store_for(pkg, STATE.settings), out)
            svc.record_export(s, ctx.actor, pkg)
    rows, warnings = svc.summary(pkg), list(svc.warnings_of(pkg))
    if as_json:
        emit_json({"subject": pkg.subject, "year": pkg.year, "subtasks": rows,
                   "warnings": warnings, "problems": pkg.problems,
                   "written": [str(p) for p in written]})
        return
    _print(pkg, rows, warnings, written, out)


def _print(pkg, rows, warnings, written, out) -> None:
    from rich.table import Table

    t, console = STATE.t, STATE.console
    console.print(t("package.heading", subject=f"{pkg.subject_name} ({pkg.subject})",
                    year=pkg.year))
    table = Table()
    for col in ("subtask", "name", "documents", "files", "warnings", "uploaded"):
        table.add_column(t(f"package.sum.{col}"))
    for r in rows:
        table.add_row(r["subtask"], r["name"], str(r["documents"]), str(r["files"]),
                      str(r["warnings"]),
                      r["uploaded_on"].isoformat() if r["uploaded_on"] else "—")
    console.print(table)
    if warnings:
        console.print(t.n("package.warnings", len(warnings)))
        for w in warnings:
            console.print("  " + t(f"package.warning.{w['check']}", subtask=w["subtask"],
                                   document=w["document"], object=w["object"],
                                   date=w["date"].isoformat(), number=w["number"] or "—",
                                   role=svc.role_text(w["approver_role"], t) or "—"))
    for p in pkg.problems:
        console.print("  " + t(f"package.problem.{p['problem']}", subtask=p["subtask"],
                               file=p["file"], sha256=p["sha256"]))
    if out is not None:
        console.print(t.n("package.written", len(written), folder=str(out)))


def uploaded(subject_year: str = SUBJECT_YEAR,
             subtask: str = typer.Argument(..., metavar="SUBTASK",
                                           help="The sub-task's key in the implementation "
                                                "map, e.g. 1.1.2 (see `merzim package`)."),
             on: str = required("--date", "DATE", "When its documents were uploaded."),
             url: str = option("--url", "URL", "Link to the sub-task on the cross-platform."),
             as_json: JsonTable = False) -> None:
    """Record the day a sub-task's documents were uploaded to the cross-platform."""
    code, year = svc.parse_subject_year(subject_year)
    day = parse_date(on, "--date")
    ctx = context()
    pmap = _map(ctx)
    with unit_of_work() as s:
        svc.record_upload(s, ctx, pmap, code, year, subtask, day, url)
    if as_json:
        emit_json({"subject": code, "year": year, "subtask": subtask, "uploaded_on": day,
                   "url": url})
        return
    STATE.console.print(STATE.t("package.uploaded", subtask=subtask, subject=code, year=year,
                                date=day.isoformat()))


def register(app: typer.Typer) -> None:
    app.command("package")(package)
    app.command("uploaded")(uploaded)

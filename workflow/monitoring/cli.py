"""Commands after the note: risks, recommendations, the action plan, monitoring, positions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from workflow.cli.common import (
    STATE,
    context,
    deprecated,
    emit_json,
    lazy,
    parse_date,
    parse_int,
    print_table,
    unit_of_work,
    write_file,
)
from workflow.cli.options import AnalysisId, Json, Number, option, required
from workflow.core.errors import UsageError

ms = lazy("workflow.monitoring.service")


risk_app = typer.Typer(help="Corruption risks identified by an analysis.", no_args_is_help=True)
rec_app = typer.Typer(help="Recommendations and their status.", no_args_is_help=True)
plan_app = typer.Typer(help="The action plan (Appendix 5 columns).", no_args_is_help=True)
monitoring_app = typer.Typer(help="Quarterly monitoring of the recommendations.",
                             no_args_is_help=True)
positions_app = typer.Typer(help="Positions exposed to corruption risk.", no_args_is_help=True)


def _owner(analysis: str | None, external: str | None) -> dict[str, int | None]:
    if (analysis is None) == (external is None):
        raise UsageError(key="error.owner")
    return {"analysis_id": parse_int(analysis, "ANALYSIS") if analysis else None,
            "external_id": parse_int(external, "--external") if external else None}


def _grade(scale: str, needed: bool = False) -> Any:
    """The option `--SCALE GRADE`: a risk's grade on one of the criteria's scales."""
    flag, text = f"--{scale}", f"Its {scale}, a grade of the criteria (1-3)."
    return required(flag, "GRADE", text) if needed else option(flag, "GRADE", text)


@risk_app.command("add")
def risk_add(analysis: str = typer.Argument(None, help="Analysis id."),
             external: str = option("--external", "ID", "External analysis id."),
             description: str = required("--description", "TEXT", "What the risk is."),
             process: str = option("--process", "TEXT", "Process or function."),
             subdivision: str = option("--subdivision", "NAME", "The subdivision where it lies."),
             causes: str = option("--causes", "TEXT",
                                  "The causes and conditions that favour the offence."),
             likelihood: str = _grade("likelihood"),
             consequence: str = _grade("consequence"),
             as_json: Json = False) -> None:
    """Record a corruption risk found by an analysis."""
    with unit_of_work() as s:
        risk = ms.add_risk(s, context(), description, process, subdivision,
                           causes=causes, likelihood=likelihood, consequence=consequence,
                           **_owner(analysis, external))
        out = {"id": risk.id, "description": risk.description, "causes": risk.causes,
               "likelihood": risk.likelihood, "consequence": risk.consequence}
    emit_json(out) if as_json else STATE.console.print(STATE.t("risk.added", id=out["id"]))


@risk_app.command("set")
def risk_set(risk: str = typer.Argument(..., help="Risk id."),
             likelihood: str = _grade("likelihood", needed=True),
             consequence: str = _grade("consequence", needed=True),
             as_json: Json = False) -> None:
    """Assess a recorded risk: its likelihood and consequence (its level follows)."""
    with unit_of_work() as s:
        r = ms.assess_risk(s, context(), parse_int(risk, "RISK"), likelihood, consequence)
        out = {"id": r.id, "likelihood": r.likelihood, "consequence": r.consequence}
    emit_json(out) if as_json else STATE.console.print(STATE.t("risk.assessed", **out))


@risk_app.command("list")
def risk_list(analysis: AnalysisId, as_json: Json = False) -> None:
    """An analysis's risks by their number, with their level and rank, and whether a measure
    of the action plan answers each."""
    with unit_of_work() as s:
        rows = ms.risk_rows(s, context(), parse_int(analysis, "ANALYSIS"))
    if as_json:
        emit_json({"analysis": int(analysis), "risks": rows})
        return
    table = Table()
    for c in ("no", "id", "description", "likelihood", "consequence", "level", "rank", "measured"):
        table.add_column(STATE.t(f"risk.col_{c}"))
    for r in rows:
        table.add_row(str(r["no"]), str(r["id"]), r["description"],
                      str(r["likelihood"] or "—"), str(r["consequence"] or "—"), r["level"],
                      str(r["rank"]), STATE.t("risk.measured_yes" if r["measured"]
                                              else "risk.measured_no"))
    STATE.console.print(table)


@rec_app.command("add")
def rec_add(risk: str = typer.Argument(..., help="Risk id."),
            text: str = required("--text", "TEXT", "The recommendation's text."),
            as_json: Json = False) -> None:
    """Add a recommendation against a risk."""
    with unit_of_work() as s:
        rec = ms.add_recommendation(s, context(), parse_int(risk, "RISK"), text)
        out = {"id": rec.id, "risk": rec.risk_id, "status": rec.status}
    emit_json(out) if as_json else STATE.console.print(STATE.t("recommendation.added", id=out["id"]))


@rec_app.command("status")
def rec_status(rec: str = typer.Argument(..., help="Recommendation id."),
               status: str = typer.Argument(..., help="not_started, in_progress, fulfilled, "
                                                       "not_fulfilled"),
               on: str = required("--date", "DATE", "The day of the review."),
               form: str = option("--form", "TEXT", "Completion form (needed for fulfilled)."),
               number: Number = None,
               url: str = option("--url", "URL", "Link to the document."),
               note: str = option("--note", "TEXT", "Free text."),
               as_json: Json = False) -> None:
    """Set a recommendation's status in a review, with the confirming document."""
    day = parse_date(on, "--date")
    with unit_of_work() as s:
        r = ms.set_status(s, context(), parse_int(rec, "ID"), status, day,
                          {"form": form, "number": number, "url": url, "note": note})
        out = {"id": r.id, "status": r.status, "on": r.status_on}
    emit_json(out) if as_json else STATE.console.print(STATE.t("recommendation.status_set", **out))


def _read(path: Path) -> list[dict[str, str]]:
    """The plan's file, its headers as written (read in any language by `ms.read_plan`);
    the columns it leaves out (a "№ п/п", a phone) said on stderr."""
    from workflow.cli.common import read_table
    from workflow.imports.headers import ignored_note

    rows = read_table(path, (), as_written=True)
    keyed, header = ms.read_plan(rows, STATE.t.language)
    note = ignored_note(STATE.t, header.ignored)
    if note:
        sys.stderr.write(note + "\n")
    return keyed


def _plan_shape(command: str, first: str, second: Path | None, analysis: str | None,
                external: str | None) -> tuple[dict[str, int | None], Path]:
    """`plan import|export ID FILE`, or `--external ID FILE`; the older `FILE --analysis ID`
    still works, with a note on stderr."""
    if second is None:  # one argument: the file, its owner named by an option
        if analysis is not None:
            deprecated(f"plan {command} FILE --analysis ID", f"plan {command} ID FILE")
        elif external is None:  # `plan export 12`: the id is there, the file is not
            raise UsageError(key="error.option_required", option="FILE") if first.isdigit() \
                else UsageError(key="error.owner")
        return _owner(analysis, external), Path(first)
    if analysis is not None:
        raise UsageError(key="error.owner")
    return _owner(first, external), second


PLAN_ID = typer.Argument(..., metavar="ID",
                         help="Analysis id (with --external: leave it out).")
PLAN_EXTERNAL = option("--external", "ID", "The plan of this external analysis instead.")
# the older shapes, kept working (hidden from the help; a note on stderr when used)
OLD_ANALYSIS = typer.Option(None, "--analysis", metavar="ID", hidden=True)


@plan_app.command("import")
def plan_import(analysis: str = PLAN_ID,
                file: Path = typer.Argument(None, metavar="FILE",
                                            help="XLSX or CSV: measure, completion_form, deadline, "
                                                 "responsible[, person, recommendation]"),
                external: str = PLAN_EXTERNAL, old_analysis: str = OLD_ANALYSIS,
                as_json: Json = False) -> None:
    """Import the action plan's measures; a file with any bad row is refused whole."""
    owner, file = _plan_shape("import", analysis, file, old_analysis, external)
    rows = _read(file)
    with unit_of_work() as s:
        items = ms.import_plan(s, context(), rows, **owner)
        missing = ms.unmeasured(s, owner["analysis_id"]) if owner["analysis_id"] else []
        out = {"imported": len(items), "ids": [i.id for i in items], "unmeasured": missing}
    if as_json:
        emit_json(out)
        return
    STATE.console.print(STATE.t("plan.imported", n=out["imported"]))
    if missing:  # D-6: which risks the plan does not answer yet
        STATE.console.print(STATE.t.n("plan.unmeasured", len(missing), risks=ms.numbered(missing)))


@plan_app.command("export")
def plan_export(analysis: str = PLAN_ID,
                file: Path = typer.Argument(None, metavar="FILE",
                                            help="Where to write (.xlsx or .csv)."),
                external: str = PLAN_EXTERNAL, old_analysis: str = OLD_ANALYSIS,
                as_json: Json = False) -> None:
    """Write the action plan in the columns of the plan form."""
    from workflow.tabular import table_csv, table_xlsx

    owner, file = _plan_shape("export", analysis, file, old_analysis, external)
    with unit_of_work() as s:
        rows = ms.plan_rows(s, **owner)
    header = ["measure", "completion_form", "deadline", "responsible", "person", "recommendation"]
    body = [[r[h] for h in header] for r in rows]
    data = table_xlsx("plan", header, body) if file.suffix.lower() == ".xlsx" else table_csv(header, body)
    write_file(file, data)
    emit_json({"file": str(file), "rows": len(rows)}) if as_json else STATE.console.print(
        STATE.t("plan.exported", n=len(rows), file=str(file)))


@monitoring_app.command("periods")
def monitoring_periods(analysis: AnalysisId,
                       as_json: Json = False) -> None:
    """Reporting periods of an analysis with their report and review deadlines."""
    with unit_of_work() as s:
        rows = ms.periods_of(s, context(), analysis)
    if as_json:
        emit_json({"analysis": int(analysis), "periods": rows})
        return
    cols = ("period", "report_due", "received_on", "review_due", "reviewed_on")
    print_table([STATE.t(f"monitoring.col_{c}") for c in cols],
                [[str(r[c]) if r[c] else "—" for c in cols] for r in rows])


@positions_app.command("add")
def positions_add(analysis: AnalysisId,
                  position: str = required("--position", "TITLE", "The position's title."),
                  subdivision: str = required("--subdivision", "NAME", "Its subdivision."),
                  risk: str = required("--risk", "N|TEXT",
                                        "The corruption risk it is exposed to: its number in "
                                        "the analytic note (or its words)."),
                  as_json: Json = False) -> None:
    """Add a position exposed to corruption risk to an analysis's list."""
    with unit_of_work() as s:
        p = ms.add_position(s, context(), parse_int(analysis, "ANALYSIS"), position, subdivision, risk)
        out = {"id": p.id, "position": p.title}
    emit_json(out) if as_json else STATE.console.print(STATE.t("positions.added", id=out["id"]))


@positions_app.command("export")
def positions_export(org: str = typer.Argument(..., help="Region or central body (its subtree)."),
                     file: Path = typer.Argument(None, metavar="FILE",
                                                 help="Also write it (.xlsx or .csv)."),
                     old_file: Path = typer.Option(None, "--file", metavar="FILE", hidden=True),
                     as_json: Json = False) -> None:
    """The consolidated list for the ethics commissioner."""
    if old_file is not None:
        deprecated("positions export ORG --file FILE", "positions export ORG FILE")
        file = file or old_file
    with unit_of_work() as s:
        rows = ms.positions_under(s, org, STATE.t.language)
    # the columns of the list (appendix 4 of order No. 488), headed in the reader's language;
    # the JSON keeps the keys
    header = ["organisation_name", "analysis", "position", "subdivision", "risk_no", "risk",
              "approved_on"]
    titles = [STATE.t(f"positions.column.{h}") for h in header]
    if file is not None:
        from workflow.tabular import table_csv, table_xlsx

        body = [[r[h] for h in header] for r in rows]
        write_file(file, table_xlsx("positions", titles, body) if file.suffix.lower() == ".xlsx"
                   else table_csv(titles, body))
    if as_json:
        emit_json({"org": org, "positions": rows})
        return
    print_table(titles, [[str(r[h] if r[h] is not None else "") for h in header] for r in rows])


def subdivision_add(org: str = typer.Argument(..., help="Code of the organisation."),
                    name: str = typer.Argument(..., help="The subdivision's name."),
                    as_json: Json = False) -> None:
    """Register a structural subdivision of an organisation (responsible for plan measures)."""
    with unit_of_work() as s:
        sd = ms.add_subdivision(s, context(), org, name)
        out = {"id": sd.id, "org": org, "name": sd.name}
    emit_json(out) if as_json else STATE.console.print(STATE.t("org.subdivision_added", **out))


def register(app: typer.Typer) -> None:
    """Add risks, recommendations, plans, monitoring and positions."""
    app.add_typer(risk_app, name="risk")
    app.add_typer(rec_app, name="recommendation")
    app.add_typer(plan_app, name="plan")
    app.add_typer(monitoring_app, name="monitoring")
    app.add_typer(positions_app, name="positions")


def extend(groups: dict[str, typer.Typer]) -> None:
    """`merzim org subdivision`: the subdivisions responsible for plan measures."""
    if "org" in groups:  # built when the command line asks for it
        groups["org"].command("subdivision")(subdivision_add)

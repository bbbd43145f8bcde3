"""`merzim coverage ORG --year Y`: the subject's subdivisions without an analysis whose note is
signed, with the points of 1.3.3 each would add, as a table or JSON. `merzim submissions ORG
--year Y` (B-18): each unit's final reporting form to the subject, submitted or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.table import Table

from workflow.cli.common import STATE, as_of_context, emit_json, lazy, unit_of_work, year_or_this
from workflow.cli.options import AsOf, Json, SubjectOrg, option

service = lazy("workflow.coverage.service")
rules = lazy("workflow.scorecard.rules")


def coverage(org: SubjectOrg,
             year: str = option("--year", "YEAR", "The programme year (default: this year)."),
             as_of: AsOf = None, as_json: Json = False) -> None:
    """The subdivisions without an analysis whose note is signed, and the points each would add."""
    ctx, result = _read(service.coverage, org, year, as_of)
    if as_json:
        emit_json(service.as_json(result))
        return
    t, console = STATE.t, STATE.console
    _heading(t("coverage.heading", org=f"{result['subject_name']} ({result['subject']})",
               year=result["year"]), ctx)
    console.print(result["summary"])
    console.print(result["points_text"])
    if not result["uncovered"]:
        console.print(t("coverage.all_covered"))
        return
    table = Table()
    for key in ("col_code", "col_name", "col_state", "col_points"):
        table.add_column(t(f"coverage.{key}"))
    for r in result["uncovered"]:
        table.add_row(r["code"], r["name"], r["state_text"], r["points_text"])
    console.print(table)


def submissions(org: SubjectOrg,
                year: str = option("--year", "YEAR", "The reporting year (default: this year)."),
                as_of: AsOf = None, as_json: Json = False) -> None:
    """Who has submitted the final report for the year to a central body or an akimat."""
    ctx, result = _read(service.submissions, org, year, as_of)
    if as_json:
        emit_json(result)
        return
    t, console = STATE.t, STATE.console
    _heading(t("coverage.sub_heading", org=f"{result.subject_name} ({result.subject})",
               year=result.year), ctx)
    for line in service.submission_lines(result, t):
        console.print(line)
    if not result.units:
        console.print(t("coverage.sub_none"))
    else:
        console.print(_table(result.units, t))
    if result.entities:  # its quasi-state entities report to it too (project No. 3)
        console.print(t.n("shares.sub_entities", len(result.entities)))
        console.print(_table(result.entities, t))


def _read(reading: Callable[..., Any], org: str, year: str | None, as_of: str | None
          ) -> tuple[Any, Any]:
    """The services' context on `--as-of`'s day and what `reading` finds of the subject in
    `--year` (this year without it)."""
    ctx = as_of_context(as_of)
    year_n = year_or_this(year, ctx)
    with unit_of_work() as s:
        return ctx, reading(s, ctx, org, year_n, STATE.settings.of(rules.ScoreSettings))


def _heading(line: str, ctx) -> None:
    STATE.console.print(line)
    STATE.console.print(STATE.t("score.as_of", date=ctx.today.isoformat()))


def _table(units, t) -> Table:
    table = Table()
    for key in ("col_code", "col_name", "col_state"):
        table.add_column(t(f"coverage.{key}"))
    for u in units:
        table.add_row(u.code, u.name, service.unit_text(u, t))
    return table


def register(app: typer.Typer) -> None:
    app.command("coverage")(coverage)
    app.command("submissions")(submissions)

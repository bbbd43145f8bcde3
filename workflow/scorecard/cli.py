"""`merzim score`: the evaluation of projects No. 1-4 for a subject or a subtree, in words,
as a table or JSON."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from workflow.cli.common import (
    AS_OF,
    JSON,
    STATE,
    context,
    emit_json,
    lazy,
    parse_date,
    parse_int,
    unit_of_work,
    write_file,
)

scoring = lazy("workflow.scorecard.service")


def score(org: str = typer.Argument(..., help="The subject's organisation code."),
          year: str = typer.Option(None, "--year", metavar="YEAR",
                                   help="The year evaluated (default: this year)."),
          subtree: bool = typer.Option(False, "--subtree",
                                       help="Every subject under ORG, one scorecard each."),
          file: Path = typer.Option(None, "--file", metavar="FILE",
                                    help="Also write the table (.xlsx or .csv)."),
          as_of: str = AS_OF,
          as_json: bool = JSON) -> None:
    """The evaluation of projects No. 1-4 for a subject, or for every subject under it."""
    from workflow.scorecard.words import in_words

    ctx = context(parse_date(as_of, "--as-of") if as_of else None)
    if year is None and ":" in org:  # SUBJECT:YEAR, as `merzim programme` shows them
        org, _, year = org.rpartition(":")
    year_n = parse_int(year, "--year") if year is not None else ctx.today.year
    with unit_of_work() as s:
        results = scoring.scorecards(s, ctx, org, year_n, STATE.settings.score, subtree)
    t = STATE.t
    cards = [in_words(r, t) for r in results]
    if file is not None:
        from workflow.scorecard.words import score_table
        from workflow.tabular import table_csv, table_xlsx

        header, body = score_table(cards, t)
        write_file(file, table_xlsx(t("nav.scores"), header, body)
                   if file.suffix.lower() == ".xlsx" else table_csv(header, body))
    if as_json:
        emit_json({"org": org, "year": year_n, "as_of": ctx.today, "subjects": cards}
                  if subtree else cards[0])
        return
    if subtree:
        _print_subtree(org, year_n, ctx.today, cards)
        return
    _print_card(cards[0], ctx.today)


def _print_card(card: dict, today) -> None:
    t, console = STATE.t, STATE.console
    console.print(card["heading"] + " — " + card["kind_name"])
    console.print(t("score.as_of", date=today.isoformat()))
    if card["external_case"]:
        console.print(t("score.external"))
    table = Table()
    for col in ("score.col_indicator", "score.col_rule", "score.col_inputs", "score.col_points",
                "score.col_max"):
        table.add_column(t(col))
    for ind in card["indicators"]:
        table.add_row(f"{ind['number']} {ind['title']} [{ind['footnote']}]", ind["rule"],
                      ind["text"], ind["points_text"], ind["maximum_text"])
    console.print(table)
    for project in card.get("projects", ()):  # the whole evaluation: each project's subtotal
        console.print(project["summary"])
    console.print(card["total_text"])
    if card["status_text"]:
        console.print(card["status_text"])
    console.print(t("score.sources") + ": " + "; ".join(
        f"[{n['n']}] {n['source']}" for n in card["footnotes"]))


def _print_subtree(org: str, year: int, today, cards: list[dict]) -> None:
    t, console = STATE.t, STATE.console
    name = next((f"{c['subject_name']} ({org})" for c in cards if c["subject"] == org), org)
    console.print(t("score.subtree_header", org=name, year=year))
    console.print(t("score.as_of", date=today.isoformat()))
    table = Table()
    for col in ("col_subject", "col_kind", "col_awards", "col_deductions", "col_total",
                "col_status"):
        table.add_column(t(f"score.{col}"))
    for c in cards:
        table.add_row(f"{c['subject_name']} ({c['subject']})", c["kind_name"],
                      c["awards_text"], c["deductions_text"], c["total_text_short"], c["status"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("score")(score)

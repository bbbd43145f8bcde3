"""`merzim score`: the evaluation of projects No. 1-4 for a subject or a subtree, in words,
as a table or JSON."""

from __future__ import annotations

import functools
import gc
import itertools
import re
from pathlib import Path

import typer
from rich.table import Table

from workflow.cli.common import (
    STATE,
    as_of_context,
    emit_json,
    emit_json_items,
    json_encoder,
    lazy,
    print_table,
    unit_of_work,
    write_file,
    year_or_this,
)
from workflow.cli.options import AsOf, Json, SubjectOrg, option

scoring = lazy("workflow.scorecard.service")


def score(org: SubjectOrg,
          year: str = option("--year", "YEAR", "The year evaluated (default: this year)."),
          subtree: bool = typer.Option(False, "--subtree",
                                       help="Every subject under ORG, one scorecard each."),
          file: Path = option("--file", "FILE", "Also write the table (.xlsx or .csv)."),
          as_of: AsOf = None, as_json: Json = False) -> None:
    """The evaluation of projects No. 1-4 for a subject, or for every subject under it."""
    from workflow.scorecard.rules import ScoreSettings
    from workflow.scorecard.words import CardWords

    ctx = as_of_context(as_of)
    if year is None and ":" in org:  # SUBJECT:YEAR, as `merzim programme` shows them
        org, _, year = org.rpartition(":")
    year_n = year_or_this(year, ctx)
    t = STATE.t
    # a national subtree allocates objects by the million and frees them in bulk, with no
    # cycle among them: the collector's passes over them cost a third of the command's CPU
    gc.disable()
    try:
        with unit_of_work() as s:
            # one subject's evaluation at a time (a subject not found refused before
            # anything is written)
            each = scoring.each_scorecard(s, ctx, org, year_n,
                                          STATE.settings.of(ScoreSettings), subtree,
                                          read_only=True)
            first = next(each, None)  # (a subtree may hold no subject)
            results = itertools.chain([first] if first is not None else [], each)
            if subtree and file is None and not as_json:  # the table alone: no indicator
                from workflow.scorecard.words import in_short  # in words

                _print_subtree(org, year_n, ctx.today, in_short(results, t))
                return
            encode = json_encoder()
            words = CardWords(t, encode)
            if subtree and as_json and file is None:  # written card by card as evaluated
                emit_json_items({"org": org, "year": year_n, "as_of": ctx.today},
                                "subjects", map(words.json, results))
                return
            cards = [words(r) for r in results]
    finally:
        gc.enable()
    if file is not None:
        from workflow.scorecard.words import numbers_only, score_table
        from workflow.tabular import table_csv, table_xlsx

        header, body = score_table(cards, t)
        write_file(file, table_xlsx(t("nav.scores"), header, numbers_only(body))
                   if file.suffix.lower() == ".xlsx" else table_csv(header, body))
    if as_json:
        if subtree:
            emit_json_items({"org": org, "year": year_n, "as_of": ctx.today}, "subjects",
                            map(encode, cards))
        else:
            emit_json(cards[0])
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
    if len(card.get("taken_in") or ()) > 1:  # B-18: the subdivisions its facts include
        names = card.get("organisations") or {}
        console.print(t("score.taken_in", list=", ".join(
            names.get(code, code) for code in card["taken_in"][1:])))
    if card["status_text"]:
        console.print(card["status_text"])
    console.print(t("score.sources") + ": " + "; ".join(
        f"[{n['n']}] {n['source']}" for n in card["footnotes"]))


def _print_subtree(org: str, year: int, today, cards: list[dict]) -> None:
    t, console = STATE.t, STATE.console
    name = next((f"{c['subject_name']} ({org})" for c in cards if c["subject"] == org), org)
    console.print(t("score.subtree_header", org=name, year=year))
    console.print(t("score.as_of", date=today.isoformat()))
    header = [t(f"score.{col}") for col in ("col_subject", "col_kind", "col_awards",
                                             "col_deductions", "col_total", "col_status")]
    rows = [[f"{c['subject_name']} ({c['subject']})", c["kind_name"], c["awards_text"],
             c["deductions_text"], c["total_text_short"], c["status"]] for c in cards]
    plain = plain_table(console, header, rows)
    if plain is not None:
        if console.record or console.quiet:
            console.out(plain, highlight=False, end="")
        else:  # plain text already: rich's pass over each line again is a third of the cost
            console.file.write(plain)
        return
    print_table(header, rows)


_PLAIN_SAFE = re.compile(r"[^\x00-\x1f\x7f:]*")  # nothing rich would replace (:emoji:) or strip


def plain_table(console, header: list[str], rows: list[list[str]]) -> str | None:
    """The table exactly as rich prints it (`Table()`: heavy head, left-justified cells one
    space from the borders) when that is plain text: no colour to write, a UTF-8 console,
    cells of plain characters. On a console too narrow for every cell on one line, the columns
    are narrowed and the cells wrapped at words as rich does it (rich's own width reduction and
    line division), so that the table costs the same at any width. A string (every line
    ending in a newline), or None where rich must render it (a thousand rows in rich take
    seconds; this takes milliseconds)."""
    from rich.cells import cell_len

    if console.color_system is not None or console.options.ascii_only or not header:
        return None
    longest = [cell_len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            n = cell_len(cell)
            if n > longest[i]:
                longest[i] = n
    if not all(longest):
        return None
    for text in (*header, *(cell for row in rows for cell in row)):
        if not _PLAIN_SAFE.fullmatch(text) or text != text.strip():
            return None
    inner = _column_widths(longest, console.width - len(longest) - 1)
    if inner is None:
        return None

    def line(cells: list[str], edge: str) -> str:
        if all(cell_len(c) <= w for c, w in zip(cells, inner, strict=True)):  # one line
            return edge + edge.join(f" {c}{' ' * (w - cell_len(c))} "
                                    for c, w in zip(cells, inner, strict=True)) + edge + "\n"
        parts = [_wrapped(c, w) for c, w in zip(cells, inner, strict=True)]
        height = max(len(p) for p in parts)
        if edge == "┃":  # the header's cells sit on its bottom line, the rows' on their top
            parts = [(" " * w,) * (height - len(p)) + p
                     for p, w in zip(parts, inner, strict=True)]
        return "".join(
            edge + edge.join(f" {p[k] if k < len(p) else ' ' * w} "
                             for p, w in zip(parts, inner, strict=True)) + edge + "\n"
            for k in range(height))

    def rule(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2) for w in inner) + right + "\n"

    out = [rule("┏", "┳", "┓", "━"), line(header, "┃"), rule("┡", "╇", "┩", "━")]
    out.extend(line(row, "│") for row in rows)
    out.append(rule("└", "┴", "┘", "─"))
    return "".join(out)


def _column_widths(longest: list[int], room: int) -> list[int] | None:
    """The columns' widths inside their padding, as rich's Table() gives them for cells at
    most `longest` wide in `room` columns (the console's width less the borders): each its
    longest cell when they fit, else rich's own reduction (widest first, then evenly); None
    when a column would be left no room for a character (rich's to draw)."""
    from rich._ratio import ratio_reduce

    def measured(longest_cell: int, room: int) -> int:  # rich's Padding(Text) measurement
        return room if room < 3 else min(min(longest_cell, room) + 2, room)

    widths = [measured(n, room) or 1 for n in longest]
    if sum(widths) > room:
        widths = Table._collapse_widths(widths, [True] * len(widths), room)
        if sum(widths) > room:
            widths = ratio_reduce(sum(widths) - room, [1] * len(widths), widths, widths)
        widths = [measured(n, w) for n, w in zip(longest, widths, strict=True)]
    if min(widths) < 3:
        return None
    return [w - 2 for w in widths]


@functools.lru_cache(maxsize=4096)
def _wrapped(text: str, width: int) -> tuple[str, ...]:
    """A cell's lines as rich wraps it in `width` columns (at words; a word longer than the
    line cut with an ellipsis), each padded to the width."""
    from rich._wrap import divide_line
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return (text + " " * (width - cell_len(text)),)
    bounds = [0, *divide_line(text, width, fold=False), len(text)]
    lines = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end]
        if len(piece) > width:  # whitespace beyond the width dropped at the end
            stripped = piece.rstrip()
            piece = piece[:len(piece) - min(len(piece) - len(stripped), len(piece) - width)]
        n = cell_len(piece)
        lines.append(set_cell_size(piece, width - 1) + "…" if n > width
                     else piece + " " * (width - n))
    return tuple(lines)


def register(app: typer.Typer) -> None:
    app.command("score")(score)

"""`merzim score ROOT --subtree` writes its table as plain text exactly as rich draws it
(5,000 rows in milliseconds, not seconds), and leaves it to rich whenever
rich would draw something else: colour, an ASCII console, a console too narrow, cells rich
would change (emoji codes, control characters, outer spaces)."""

from __future__ import annotations

import io
import random

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from workflow.scorecard.cli import plain_table

pytestmark = pytest.mark.unit  # pure: no database, no process

ALPHABET = list("abc xyzАлматыҚқӘәҰұІі()−,.0123456789-[]/") + ["ー", "漢", "é"]


def _console(width: int, **kw) -> Console:
    return Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=True,
                   markup=False, **kw)


def _rich(width: int, header: list[str], rows: list[list[str]]) -> str:
    console = _console(width)
    table = Table()
    for h in header:
        table.add_column(h)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return console.file.getvalue()


def _plain(width: int, header: list[str], rows: list[list[str]]) -> str | None:
    console = _console(width)
    text = plain_table(console, header, rows)
    if text is None:
        return None
    console.out(text, highlight=False, end="")
    return console.file.getvalue()


def test_the_plain_table_is_what_rich_prints():
    rng = random.Random(20261123)
    compared = 0
    for _ in range(400):
        ncol = rng.randint(1, 6)
        header = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))).strip() or "h"
                  for _ in range(ncol)]
        rows = [["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 15))).strip()
                 for _ in range(ncol)] for _ in range(rng.randint(0, 6))]
        width = rng.choice([40, 80, 200])
        plain = _plain(width, header, rows)
        if plain is None:  # too wide for the console: rich's to wrap
            assert sum(max([cell_len(h), *(cell_len(r[i]) for r in rows)])
                       for i, h in enumerate(header)) + 3 * ncol + 1 > width
            continue
        assert plain == _rich(width, header, rows), (header, rows, width)
        compared += 1
    assert compared > 150


@pytest.mark.parametrize("cell", ["Akimat :smile:", "tab\there", " outer", "outer ", "bell\x07"])
def test_cells_rich_would_change_are_left_to_rich(cell):
    assert _plain(200, ["Subject", "Total"], [[cell, "1"], ["b", "2"]]) is None
    assert _plain(200, ["Subject", "Total"], [["a", "1"], ["b", "2"]]) is not None


def test_colour_ascii_and_narrow_consoles_are_left_to_rich():
    header, rows = ["Subject", "Total"], [["Алматы (AK-ALM)", "12,5"]]
    assert plain_table(_console(200, color_system="truecolor", force_terminal=True), header,
                       rows) is None
    ascii_only = Console(file=io.TextIOWrapper(io.BytesIO(), encoding="ascii"), width=200)
    assert plain_table(ascii_only, header, rows) is None
    assert plain_table(_console(20), header, rows) is None
    assert plain_table(_console(40), header, rows) is not None

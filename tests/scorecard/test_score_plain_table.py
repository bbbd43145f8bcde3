"""`merzim score ROOT --subtree` writes its table as plain text exactly as rich draws it
(5,000 rows in milliseconds, not seconds), at any width (on a narrow console its cells wrapped
as rich wraps them), and leaves it to rich whenever rich would draw something else: colour,
an ASCII console, a console with no room for a character a column, cells rich would change
(emoji codes, control characters, outer spaces)."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console

from tests.support.rich_tables import console_of, rich_table_text
from workflow.scorecard.cli import plain_table

pytestmark = pytest.mark.unit  # pure: no database, no process

ALPHABET = list("abc xyzАлматыҚқӘәҰұІі()−,.0123456789-[]/") + ["ー", "漢", "é"]


def _plain(width: int, header: list[str], rows: list[list[str]]) -> str | None:
    console = console_of(width)
    text = plain_table(console, header, rows)
    if text is None:
        return None
    console.out(text, highlight=False, end="")
    return console.file.getvalue()


def _random_table(rng: random.Random, longest: int) -> tuple[list[str], list[list[str]]]:
    ncol = rng.randint(1, 6)
    header = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))).strip() or "h"
              for _ in range(ncol)]
    rows = [["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest))).strip()
             for _ in range(ncol)] for _ in range(rng.randint(0, 6))]
    return header, rows


def test_the_plain_table_is_what_rich_prints():
    rng = random.Random(20261123)
    compared = 0
    for _ in range(400):
        header, rows = _random_table(rng, 15)
        width = rng.choice([40, 80, 200])
        plain = _plain(width, header, rows)
        assert plain == rich_table_text(width, header, rows), (header, rows, width)
        compared += 1
    assert compared == 400


@pytest.mark.slow
def test_on_a_narrow_console_the_plain_table_wraps_its_cells_as_rich_does():
    rng = random.Random(20261125)
    wrapped = 0
    for _ in range(1500):
        header, rows = _random_table(rng, 60)
        width = rng.choice([20, 30, 40, 50, 60, 80, 100])
        plain = _plain(width, header, rows)
        if plain is None:  # a column left no room for a character: rich's to draw
            assert len(header) * 4 + 1 > width
            continue
        assert plain == rich_table_text(width, header, rows), (header, rows, width)
        wrapped += plain.count("\n") > len(rows) + 4
    assert wrapped > 500


def test_a_score_table_at_80_columns_is_rich_s():
    header = ["Subject", "Kind", "Awards", "Deductions", "Total", "Status"]
    rows = [["Алматы облысының әкімдігі (AK-ALM-01)", "district akimat",
             "1.1.1 +2; 1.2.3 +1,5; 2.1.1 +3", "−0,5 (3.1.2)", "6,0 of 20", "incomplete"],
            ["Department of Finance (MF-KGD)", "central body", "", "", "0 of 20", "final"]]
    at_80 = _plain(80, header, rows)
    assert at_80 == rich_table_text(80, header, rows)
    assert at_80.splitlines()[3:7] == [
        "│ Алматы     │ district    │ 1.1.1 +2;  │ −0,5        │ 6,0 of 20 │ incomplete │",
        "│ облысының  │ akimat      │ 1.2.3      │ (3.1.2)     │           │            │",
        "│ әкімдігі   │             │ +1,5;      │             │           │            │",
        "│ (AK-ALM-0… │             │ 2.1.1 +3   │             │           │            │"]
    assert _plain(200, header, rows) == rich_table_text(200, header, rows)


@pytest.mark.parametrize("cell", ["Akimat :smile:", "tab\there", " outer", "outer ", "bell\x07"])
def test_cells_rich_would_change_are_left_to_rich(cell):
    assert _plain(200, ["Subject", "Total"], [[cell, "1"], ["b", "2"]]) is None
    assert _plain(200, ["Subject", "Total"], [["a", "1"], ["b", "2"]]) is not None


def test_colour_ascii_and_narrow_consoles_are_left_to_rich():
    header, rows = ["Subject", "Total"], [["Алматы (AK-ALM)", "12,5"]]
    assert plain_table(console_of(200, color_system="truecolor", force_terminal=True), header,
                       rows) is None
    ascii_only = Console(file=io.TextIOWrapper(io.BytesIO(), encoding="ascii"), width=200)
    assert plain_table(ascii_only, header, rows) is None
    assert plain_table(console_of(8), header, rows) is None
    assert plain_table(console_of(40), header, rows) is not None

"""What the command line's plain-text tables are compared with: the table rich itself draws
for a header and rows on a console of a given width, colourless, as the commands' console
writes (tests/scorecard/test_score_plain_table.py, tests/scorecard/test_score_subtree_width.py)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table


def console_of(width: int, **kw) -> Console:
    """A console writing to a string `width` columns wide, with no highlighting or markup."""
    return Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=True,
                   markup=False, **kw)


def rich_table_text(width: int, header: list[str], rows: list[list[str]]) -> str:
    """The table of `header` and `rows` as rich's Table prints it at `width` columns."""
    console = console_of(width)
    table = Table()
    for h in header:
        table.add_column(h)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return console.file.getvalue()

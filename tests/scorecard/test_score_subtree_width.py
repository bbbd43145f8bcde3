"""`merzim score ROOT --subtree` at 80 columns: the table rich draws for its rows, cells
wrapped, through the command itself (its console, its words in Kazakh), drawn as plain text
as at 200 columns (rich's Table is not asked to draw: at 5,000 rows it costs seconds); at 200
columns every cell on one line; `--json` the same at either width."""

from __future__ import annotations

from rich.table import Table

from tests.support.cli_runner import ok, ok_json
from tests.support.rich_tables import rich_table_text
from workflow.i18n import Translator


def test_the_subtree_table_at_80_columns_is_rich_s_and_json_is_the_same_at_any_width(
        merzim_db, engine, make_ctx, monkeypatch):
    from tests.support.score_helpers import TODAY, record_ministry

    record_ministry(engine, make_ctx(TODAY))
    drawn_by_rich = []
    rich_draws = Table.__rich_console__

    def counted(self, console, options):
        drawn_by_rich.append(options.max_width)
        return rich_draws(self, console, options)

    monkeypatch.setattr(Table, "__rich_console__", counted)  # the library's, counted
    day = {"today": TODAY.isoformat(), "lang": "kk"}
    args = ("score", "MF", "--year", "2025", "--subtree")
    narrow, wide, json_80, json_200 = (
        merzim_db(*args, **day, env={"COLUMNS": "80"}),
        merzim_db(*args, **day, env={"COLUMNS": "200"}),
        merzim_db(*args, "--json", **day, env={"COLUMNS": "80"}),
        merzim_db(*args, "--json", **day, env={"COLUMNS": "200"}))
    assert drawn_by_rich == []  # the command drew its table as plain text at both widths
    cards = ok_json(json_80)["subjects"]
    assert ok_json(json_200)["subjects"] == cards
    t = Translator("kk")
    header = [t(f"score.{col}") for col in ("col_subject", "col_kind", "col_awards",
                                             "col_deductions", "col_total", "col_status")]
    rows = [[f"{c['subject_name']} ({c['subject']})", c["kind_name"], c["awards_text"],
             c["deductions_text"], c["total_text_short"], c["status"]] for c in cards]
    at_80 = ok(narrow).split("\n", 2)[2]  # after the heading and the day
    assert at_80 == rich_table_text(80, header, rows)
    assert max(len(line) for line in at_80.splitlines()) == 80
    assert len(at_80.splitlines()) > len(rows) + 4  # some cells wrapped
    at_200 = ok(wide).split("\n", 2)[2]
    assert at_200 == rich_table_text(200, header, rows)
    assert len(at_200.splitlines()) == len(rows) + 4  # every cell on one line

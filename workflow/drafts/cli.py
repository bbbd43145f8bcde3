"""`merzim draft CASE STAGE`: an announcement's draft printed, or written as a DOCX."""

from __future__ import annotations

from pathlib import Path

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, pairs, unit_of_work, write_file
from workflow.cli.options import Json, option

drafts = lazy("workflow.drafts.service")


def draft(case: str = typer.Argument(..., help="Case number."),
          stage: str = typer.Argument(..., help="The stage whose announcement to write (any "
                                      "other is refused with the stages that have one)."),
          lang: str = option("--lang", "LANG", "Language of the draft: kk, ru or en (default: the command "
                                               "line's)."),
          docx: Path = option("--docx", "FILE", "Write the draft to this Word file instead of printing it."),
          values: list[str] = option("--evidence", "KEY=VALUE", "What the draft asks for before its record "
                                                                "exists, e.g. discussion_place=..."),
          as_json: Json = False) -> None:
    """Write the announcement of a stage from the case: subject, object, period, dates, contact."""
    from workflow.drafts.texts import DraftsSettings

    ctx = context()
    settings = STATE.settings
    with unit_of_work() as s:
        written = drafts.write_draft(s, ctx, case, stage, lang, pairs(values, "--evidence"),
                                     settings.of(DraftsSettings).templates)
    if docx is not None:
        write_file(docx, drafts.draft_docx(written))
        if as_json:
            emit_json({**written.as_json(), "docx": str(docx)})
        else:
            STATE.console.print(STATE.t("draft.docx_written", path=str(docx)))
        return
    if as_json:
        emit_json(written.as_json())
        return
    typer.echo(written.text, nl=False)


def register(app: typer.Typer) -> None:
    app.command("draft")(draft)

"""`merzim form N ORG --year Y`: appendix N of the Instruction (seed 000, 1-6) for a subject and
a year, written as an XLSX in Kazakh or Russian; prints the file's path. `merzim form national
ORG --year Y`: the input to the National Report (workflow/forms/national.py), a file in each of
Kazakh and Russian (one with --lang)."""

from __future__ import annotations

from pathlib import Path

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, parse_int, unit_of_work, write_file
from workflow.cli.options import Json, option

forms = lazy("workflow.forms.service")
national = lazy("workflow.forms.national")


def form(n: str = typer.Argument(..., help="The appendix of the Instruction: 1-6; or "
                                 "national: the input to the National Report."),
         org: str = typer.Argument(..., help="The subject's organisation code."),
         year: str = option("--year", "YEAR", "The year of the form (default: this year)."),
         lang: str = option("--lang", "LANG", "Language of the form: kk or ru (default: the command line's "
                                              "when it is one of them, else kk; national: both, a file "
                                              "each)."),
         output: Path = option("--output", "FILE", "Write the form to this file (default: "
                                                   "appendix-N-ORG-YEAR-LANG.xlsx in this folder)."),
         as_json: Json = False) -> None:
    """Write a report form (appendix 1-6) of a subject and a year from its registers, as XLSX."""
    if national.is_national(n):
        _national(org, year, lang, output, as_json)
        return
    number = forms.appendix_number(n)
    t = STATE.t
    language = forms.form_language(lang, t.language)
    ctx = context()
    year_n = parse_int(year, "--year") if year is not None else ctx.today.year
    forms.check_year(ctx, year_n)
    with unit_of_work() as s:
        produced = forms.produce(s, ctx, number, org, year_n, language)
        forms.record_export(s, ctx.actor, org, produced)
    path = output if output is not None else Path(forms.file_name(t, number, org, year_n,
                                                                  language))
    write_file(path, produced.content)
    if as_json:
        emit_json({"appendix": number, "org": org, "year": year_n, "lang": language,
                   "file": str(path), "lines": len(produced.data.lines),
                   "taken_in": list(produced.data.taken_in)})
        return
    STATE.console.print(t("forms.written", path=str(path)))
    if produced.data.taken_in:  # B-18: the subdivisions whose facts it includes
        STATE.console.print(t("score.taken_in", list=", ".join(produced.data.taken_in)))


def _national(org: str, year: str | None, lang: str | None, output: Path | None,
              as_json: bool) -> None:
    """The National Report's input: a file per language (both unless --lang names one)."""
    t = STATE.t
    languages = national.languages(lang)
    national.check_output(output, languages)
    ctx = context()
    year_n = parse_int(year, "--year") if year is not None else ctx.today.year
    forms.check_year(ctx, year_n)
    from workflow.scorecard.rules import ScoreSettings

    kinds = STATE.settings.of(ScoreSettings).consolidating_kinds
    written = []
    with unit_of_work() as s:
        for language in languages:
            produced = national.produce(s, ctx, org, year_n, language, kinds)
            national.record_export(s, ctx.actor, org, produced)
            written.append(produced)
    files = []
    for produced in written:
        data = produced.data
        path = output if output is not None else Path(national.file_name(org, year_n,
                                                                         data.language))
        write_file(path, produced.content)
        files.append((data, path))
    if as_json:
        emit_json({"form": "national", "org": org, "year": year_n,
                   "files": [{"lang": d.language, "file": str(p),
                              "figures": {f.key: f.value for sec in d.sections
                                          for f in sec.figures}} for d, p in files],
                   "taken_in": list(written[0].data.taken_in)})
        return
    for _, path in files:
        STATE.console.print(t("forms.written", path=str(path)))
    # B-18: the subdivisions whose facts it includes, named in the reader's language if it
    # is one of the files'
    named = next((p.data for p in written if p.data.language == t.language), written[0].data)
    if named.taken_in:
        STATE.console.print(t("score.taken_in", list=", ".join(named.taken_in)))


def register(app: typer.Typer) -> None:
    app.command("form")(form)

"""The command line's shared options and arguments, each written once as an `Annotated` type:
a command names the type (`as_json: Json = False`, `org: Org = None`, `case: CaseId`) and gets
the same flag, placeholder and help text everywhere.

Their help texts are the keys of the kk/ru help catalogue (workflow/i18n/locales/*/cli.po,
tests/cli/test_cli_help.py): a command that words one differently declares its own
(`option`, `required` below).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

# -- what a command prints ------------------------------------------------------------------

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
JsonTable = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOf = Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                          help="See the picture on another day.")]

# -- whose cases ------------------------------------------------------------------------------

Org = Annotated[str | None, typer.Option("--org", metavar="CODE", help="Organisation subtree.")]
OrgRequired = Annotated[str, typer.Option("--org", metavar="CODE",
                                          help="Organisation subtree.")]
Process = Annotated[str | None, typer.Option("--process", metavar="KEY",
                                             help="Only cases of this process "
                                                  "(merzim process list).")]
Subject = Annotated[str, typer.Option("--subject", metavar="CODE", help="Code of the subject.")]
Responsible = Annotated[str | None, typer.Option("--responsible", metavar="LOGIN",
                                                 help="Officer login.")]

# -- a document confirming a record (the built-in evidence of the same names) -----------------

Number = Annotated[str | None, typer.Option("--number", metavar="NUMBER",
                                            help="Document number.")]
SignedBy = Annotated[str | None, typer.Option("--signed-by", metavar="NAME",
                                              help="Who signed the document.")]
Url = Annotated[str | None, typer.Option("--url", metavar="URL", help="Link to the publication.")]

# -- what a record or a case carries -----------------------------------------------------------

Evidence = Annotated[list[str] | None, typer.Option(
    "--evidence", metavar="KEY=VALUE", help="Another evidence field of the definition.")]
Position = Annotated[str | None, typer.Option("--position", metavar="TITLE",
                                              help="The person's position.")]

# -- what a command acts on -------------------------------------------------------------------

CaseId = Annotated[str, typer.Argument(help="Case (analysis) id.")]
AnalysisId = Annotated[str, typer.Argument(help="Analysis id.")]
Login = Annotated[str, typer.Argument(help="The user's login.")]
SubjectOrg = Annotated[str, typer.Argument(help="The subject's organisation code.")]


# -- an option of one command's own --------------------------------------------------------------


def option(flag: str, metavar: str, help: str, default: Any = None) -> Any:
    """An option that takes a value, `--flag METAVAR`; its own help text (a catalogue key)."""
    return typer.Option(default, flag, metavar=metavar, help=help)


def required(flag: str, metavar: str, help: str) -> Any:
    """An option that takes a value and must be given."""
    return typer.Option(..., flag, metavar=metavar, help=help)

"""The `merzim` command line: typer commands over the service layer, rich or JSON output.

Exit codes: 0 done, 2 usage error, 3 refused by the rules, 4 not found.
"""

from __future__ import annotations

import os
import sys

import typer

from calendars.errors import CalendarError
from workflow.cli import calendar as calendar_cmd
from workflow.cli import cases as cases_cmd
from workflow.cli import engine as engine_cmd
from workflow.cli import monitoring as monitoring_cmd
from workflow.cli import reminders as reminders_cmd
from workflow.cli import serve as serve_cmd
from workflow.cli.common import STATE
from workflow.cli.help_i18n import localize, localize_usage, usage_message
from workflow.cli.placeholders import name_placeholders
from workflow.core.errors import MerzimError
from workflow.i18n import Translator

app = typer.Typer(
    name="merzim",
    help="merzim: deadlines of anti-corruption procedures and obligations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(calendar_cmd.app, name="calendar")
engine_cmd.register(app)
cases_cmd.register(app)
reminders_cmd.register(app, engine_cmd.user_app)
monitoring_cmd.register(app, engine_cmd.org_app)
serve_cmd.register(app, engine_cmd.user_app)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"merzim {version('merzim')}")
        except PackageNotFoundError:  # run from a checkout without installing
            typer.echo("merzim (not installed)")
        raise typer.Exit()


@app.callback()
def root(lang: str = typer.Option(None, "--lang", metavar="LANG",
                                  help="Language of the output: kk, ru or en."),
         _version_flag: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                            help="Print the version and exit.")):
    """merzim: deadlines of the internal analysis of corruption risks."""
    if lang is not None:
        if lang not in ("kk", "ru", "en"):
            raise typer.BadParameter(f"--lang must be kk, ru or en, not {lang!r}")
        STATE.language = lang


def _fail(message: str, code: int) -> None:
    sys.stderr.write(message.strip().splitlines()[0] if message.strip() else "error")
    sys.stderr.write("\n")
    sys.exit(code)


def _help_language(argv: list[str]) -> str:
    """The language of the help texts: --lang, else MERZIM_LANG or config.toml, else English."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    try:
        return STATE.t.language
    except Exception:  # a broken config.toml: the command itself will say so
        return "en"


def _fallback_language() -> str:
    """The language of a message when the configuration itself could not be read: --lang, else
    MERZIM_LANG, else English."""
    from workflow.settings import LANGUAGES

    env = os.environ.get("MERZIM_LANG", "")
    return STATE.language or (env if env in LANGUAGES else "en")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the app and turns every error into one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        command = typer.main.get_command(app)
        localize(command, _help_language(args))
        localize_usage(_help_language(args), Translator(_help_language(args)))
        name_placeholders(command)
        rv = command.main(args=args, standalone_mode=False, prog_name="merzim")
    except MerzimError as exc:
        try:
            t = STATE.t
        except MerzimError:
            t = Translator(_fallback_language())
        _fail(exc.render(t), exc.exit_code)
    except CalendarError as exc:
        _fail(str(exc), 2)
    except typer.Abort:
        _fail("aborted", 1)
    except Exception as exc:  # click's usage errors (typer vendors click; no public base class)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            _fail(usage_message(exc, Translator(_help_language(args))), exc.exit_code)
        if os.environ.get("MERZIM_DEBUG"):
            raise
        from workflow.cli.common import unexpected_error

        err = unexpected_error(exc)
        try:
            t = STATE.t
        except Exception:  # noqa: BLE001 - the configuration itself may be what failed
            t = Translator(_fallback_language())
        _fail(err.render(t), err.exit_code)
    if isinstance(rv, int) and rv:
        sys.exit(rv)

"""The `merzim` command line: typer commands over the service layer, rich or JSON output.

Exit codes: 0 done, 2 usage error, 3 refused by the rules, 4 not found.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer

from workflow.cli.common import STATE, importing
from workflow.core.errors import MerzimError, UsageError

# The modules of the commands, in the order they join the app (the order of `merzim --help`),
# and the modules of each top-level name: a command imports its own modules and no other, and
# typer builds that command alone (`merzim calendar add` loads neither the database nor the
# web stack). The first module of a name defines it (`register(app)`); the others add their
# commands to its group (`extend(groups)`): a feature's commands live in its own package
# (docs/architecture.md). tests/cli/test_cli_lazy.py checks this table against the tree.
ENGINE, CASES, REMINDERS = "workflow.cli.engine", "workflow.cli.cases", "workflow.cli.reminders"
GENERIC = ("workflow.cli.calendar", ENGINE, CASES, REMINDERS, "workflow.cli.serve",
           "workflow.cli.files", "workflow.cli.bulk", "workflow.cli.action_plan",
           "workflow.cli.missing", "workflow.cli.views")
GENERIC_COMMANDS: dict[str, tuple[str, ...]] = {
    "calendar": ("workflow.cli.calendar",),
    **dict.fromkeys(("init", "record", "void", "status", "due", "overdue", "replan", "user",
                     "audit", "org"), (ENGINE,)),
    **dict.fromkeys(("process", "obligations"), (CASES,)),
    "case": (CASES, "workflow.cli.action_plan", "workflow.cli.missing"),
    **dict.fromkeys(("worker", "reminders", "outbox"), (REMINDERS,)),
    "serve": ("workflow.cli.serve",),
    "files": ("workflow.cli.files",),
    "bulk": ("workflow.cli.bulk",),
    "view": ("workflow.cli.views",),
}

# the features the engine may ask for (workflow/core/feature.py), installed when the command
# line is: the composition's own list, imported by name like the command modules (the
# features' commands import this package's common modules)
importlib.import_module("workflow.installed").install()


def _feature_commands() -> tuple[tuple[Any, ...], dict[str, tuple[Any, ...]]]:
    """The command modules in the order they join the app, and each top-level name's: the
    generic ones, then each installed feature's (its declaration's `cli`, `commands` and
    `extends`)."""
    from workflow.core.feature import installed

    features = tuple(f for f in installed() if f.cli is not None)
    commands: dict[str, tuple[Any, ...]] = dict(GENERIC_COMMANDS)
    for feature in features:
        for name in feature.commands:
            commands[name] = (feature,)
    for feature in features:
        for name in feature.extends:
            commands[name] = (*commands[name], feature)
    return (*GENERIC, *features), commands


MODULES, COMMANDS = _feature_commands()


def _load(entry: Any) -> Any:
    """A command module: one of this package's by name, or a feature's from its declaration."""
    return importlib.import_module(entry) if isinstance(entry, str) else entry.cli()


ROOT_OPTIONS = {"--lang": True, "--version": False, "--help": False}  # option: takes a value


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"merzim {version('merzim')}")
        except PackageNotFoundError:  # run from a checkout without installing
            typer.echo("merzim (not installed)")
        raise typer.Exit()


def root(lang: str = typer.Option(None, "--lang", metavar="LANG",
                                  help="Language of the output: kk, ru or en."),
         _version_flag: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                            help="Print the version and exit.")):
    """merzim: deadlines of the internal analysis of corruption risks."""
    if lang is not None:
        if lang not in ("kk", "ru", "en"):  # said in MERZIM_LANG's or config.toml's language
            raise UsageError(f"--lang must be kk, ru or en, not {lang!r}", key="cli.bad_lang",
                             value=lang[:20])
        STATE.language = lang


def build_app(commands: tuple[str, ...] | None = None) -> typer.Typer:
    """A fresh `merzim` app with the top-level `commands` (all of them by default): only their
    modules are imported, and only their typer commands are built."""
    wanted = tuple(COMMANDS) if commands is None else commands
    app = typer.Typer(
        name="merzim",
        help="merzim: deadlines of anti-corruption procedures and obligations.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(root)
    needed = {module for command in wanted for module in COMMANDS[command]}
    with importing():
        loaded = [_load(entry) for entry in MODULES if entry in needed]
    for module in loaded:
        if hasattr(module, "register"):
            module.register(app)
        elif hasattr(module, "app"):  # a module that is one group (`calendar`)
            app.add_typer(module.app, name=module.__name__.rpartition(".")[2])
    groups = {g.name: g.typer_instance for g in app.registered_groups}
    for module in loaded:
        if hasattr(module, "extend"):
            module.extend(groups)
    if commands is not None:  # the others of their modules are not built
        app.registered_commands = [c for c in app.registered_commands if c.name in wanted]
        app.registered_groups = [g for g in app.registered_groups if g.name in wanted]
    return app


def commands_for(argv: list[str]) -> tuple[str, ...] | None:
    """The top-level commands a command line needs: its command; none for `--version` alone;
    every one (None) for the top-level help, a bare `merzim` or a name no module has (click
    suggests another)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            return (arg,) if arg in COMMANDS else None
        name = arg.split("=", 1)[0]
        if name not in ROOT_OPTIONS or name == "--help":
            return None  # click says what is wrong with it, or lists every command
        i += 2 if ROOT_OPTIONS[name] and "=" not in arg else 1
    return () if "--version" in argv else None


def __getattr__(name: str):
    """`workflow.cli.app`: the whole app (the help tests walk it); main() builds its own."""
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# (top-level commands, language) -> the click tree built for them, its help in that language.
# Building it (typer reads every command's signature and type hints) took ~9 ms of a quick
# command's ~14 ms; a process that calls `main` again (the tests' in-process runs) reuses it.
# The tree keeps nothing of a call: click makes a new context for each.
_BUILT: dict[tuple[tuple[str, ...] | None, str], Any] = {}


def _command(commands: tuple[str, ...] | None, language: str) -> Any:
    """The click command for `commands` (commands_for), its help in `language`."""
    from workflow.cli.help_i18n import english_panels, localize
    from workflow.cli.placeholders import name_placeholders

    english_panels()
    key = (commands, language)
    command = _BUILT.get(key)
    if command is None:
        command = typer.main.get_command(build_app(commands))
        localize(command, language)
        name_placeholders(command)
        _BUILT[key] = command
    return command


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the app and turns every error into one line and an exit code.

    Callable many times in one process (`argv`, the environment and the working directory are
    read afresh at each call: nothing a call reads or changes is kept; only the command tree
    built for a command and language is, `_BUILT`)."""
    from workflow.cli.help_i18n import localize_usage, usage_message
    from workflow.i18n import Translator

    args = list(sys.argv[1:] if argv is None else argv)
    STATE.reset()
    try:
        language = _help_language(args)
        command = _command(commands_for(args), language)
        localize_usage(language, Translator(language))
        rv = command.main(args=args, standalone_mode=False, prog_name="merzim")
    except MerzimError as exc:
        try:
            t = STATE.t
        except MerzimError:
            t = Translator(_fallback_language())
        _fail(exc.render(t), exc.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    except Exception as exc:  # click's usage errors (typer vendors click; no public base class)
        calendar_errors = sys.modules.get("calendars.errors")  # imported if the calendar was
        if calendar_errors is not None and isinstance(exc, calendar_errors.CalendarError):
            _fail(str(exc), 2)
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

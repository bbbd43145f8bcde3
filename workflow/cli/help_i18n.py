"""Help texts of the command line in the reader's language.

The English help lives in the code (docstrings and `help=` of the options), where typer reads
it. Kazakh and Russian come from the gettext catalogues (domain `cli`)
`workflow/i18n/locales/{kk,ru}/LC_MESSAGES/cli.po`, whose msgids are:

    command:                               # the top level
    command:analysis plan                  # a command by its path
    option:--json                          # an option's help everywhere it has that name…
    option:analysis plan --start           # …unless a command names its own
    option:analysis import FILE            # an argument: the command path and its NAME
    option:--help                          # click's own help option
    panel:arguments / panel:options / panel:commands   # the titles of typer's help panels

Before the command line is parsed, `localize(command, language)` replaces the texts of the
click command tree; anything missing from a catalogue keeps its English text (the tests in
tests/cli/test_cli_help.py keep both catalogues complete and free of stale keys).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

from workflow.i18n import load

LANGUAGES = ("kk", "ru")
SECTIONS = {"command:": "commands", "option:": "options", "panel:": "panels"}


@cache
def catalogue(language: str) -> dict[str, dict[str, str]]:
    """{'commands': {path: text}, 'options': {key: text}, 'panels': {name: text}}."""
    tables: dict[str, dict[str, str]] = {"commands": {}, "options": {}, "panels": {}}
    if language not in LANGUAGES:
        return tables
    for msgid, text in load(language, "cli").texts.items():
        for prefix, section in SECTIONS.items():
            if msgid.startswith(prefix):
                tables[section][msgid[len(prefix):]] = text
    return tables


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(path, command) for the command and every sub-command, depth first."""
    yield " ".join(path), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


def param_name(param: Any) -> str:
    """'--start' for an option (its longest flag), 'FILE' for an argument."""
    if param.param_type_name == "argument":
        return (param.metavar or param.name).upper()
    return max(param.opts, key=len)


def texts(command: Any) -> Iterator[tuple[str, str, Any]]:
    """('command' | 'option', key, object) for every text with help in the tree."""
    for path, cmd in walk(command):
        yield "command", path, cmd
        for param in cmd.params:
            if getattr(param, "help", None):
                yield "option", f"{path} {param_name(param)}".strip(), param


def localize(command: Any, language: str) -> None:
    """Replace the help texts of the tree with those of `language` where the catalogue has them
    (once per tree: `workflow.cli._command` keeps it; each call resets the panels with
    `english_panels`)."""
    cat = catalogue(language)
    if not cat["commands"] and not cat["options"]:
        return
    help_text = cat["options"].get("--help")
    for kind, key, obj in texts(command):
        if kind == "command":
            text = cat["commands"].get(key)
            if text:
                obj.help = text
                obj.short_help = None
            if help_text:
                _localize_help_option(obj, help_text)
            _panels_when_shown(obj, cat["panels"])
        else:
            text = cat["options"].get(key) or cat["options"].get(param_name(obj))
            if text:
                obj.help = text


def english_panels() -> None:
    """typer's English panel titles again, until this call's help page is written (a help page
    of an earlier call in this process gave them its language's)."""
    if "typer.rich_utils" in sys.modules:
        _panels({})


def _localize_help_option(command: Any, text: str) -> None:
    """click builds the --help option on demand: give it the catalogue's text when it does."""
    build = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = build(ctx)
        if option is not None:
            option.help = text
        return option

    command.get_help_option = get_help_option


def _panels_when_shown(command: Any, titles: dict[str, str]) -> None:
    """Give typer's help panels their titles when a help page is written, not before: typer's
    rich help module is only imported for a help page."""
    write = command.format_help

    def format_help(ctx: Any, formatter: Any) -> Any:
        _panels(titles)
        return write(ctx, formatter)

    command.format_help = format_help


def _panels(titles: dict[str, str]) -> None:
    """The titles of typer's help panels and its "[required]", "[default: …]" marks (module
    constants read when help is printed)."""
    try:
        from typer import rich_utils
    except ImportError:  # typer without rich: plain help, no panels
        return
    for key, name in (("arguments", "ARGUMENTS_PANEL_TITLE"), ("options", "OPTIONS_PANEL_TITLE"),
                      ("commands", "COMMANDS_PANEL_TITLE"), ("required", "REQUIRED_LONG_STRING"),
                      ("default", "DEFAULT_STRING"), ("envvar", "ENVVAR_STRING")):
        if hasattr(rich_utils, name):
            english = _ENGLISH_PANELS.setdefault(name, getattr(rich_utils, name))
            setattr(rich_utils, name, titles.get(key) or english)


_ENGLISH_PANELS: dict[str, str] = {}  # typer's own titles, kept when first replaced


# -- click's own texts ---------------------------------------------------------------------------
# typer vendors click with its messages as English f-strings (no gettext), so a usage error is
# re-worded here from the exception's own attributes; anything not recognised stays English.

_CLICK_PATTERNS = (  # (regular expression of click's English message, catalogue key)
    (re.compile(r"^No such command '(?P<name>[^']+)'\.(?: Did you mean (?P<hint>.+)\?)?$"),
     "cli.no_such_command"),
    (re.compile(r"^No such option: (?P<name>\S+)(?: Did you mean (?P<hint>.+)\?)?$"),
     "cli.no_such_option"),
    (re.compile(r"^Got unexpected extra arguments? \((?P<name>.+)\)$"), "cli.extra_arguments"),
    (re.compile(r"^Option '(?P<name>.+)' requires an argument\.$"), "cli.option_needs_value"),
    (re.compile(r"^Option '(?P<name>.+)' requires (?P<n>\d+) arguments\.$"),
     "cli.option_needs_value"),
    (re.compile(r"^Missing command\.$"), "cli.missing_command"),
    (re.compile(r"^Option '(?P<name>.+)' does not take a value\.$"), "cli.option_takes_no_value"),
)
_VALUE_PATTERNS = (  # the reason of an "Invalid value for X: …"
    (re.compile(r"^'(?P<value>.*)' is not a valid integer( range)?\.$"), "cli.not_integer"),
    (re.compile(r"^'(?P<value>.*)' is not a valid float( range)?\.$"), "cli.not_number"),
    (re.compile(r"^'(?P<value>.*)' is not a valid boolean\.$"), "cli.not_boolean"),
    (re.compile(r"^'(?P<value>.*)' is not one of (?P<choices>.+)\.$"), "cli.not_a_choice"),
    (re.compile(r"^(?P<value>.+) is not in the range (?P<range>.+)\.$"), "cli.out_of_range"),
    (re.compile(r"^'(?P<value>.*)' does not match the format (?P<choices>.+)\.$"),
     "cli.bad_format"),
)


def usage_message(exc: Any, t: Any) -> str:
    """A click usage error in the reader's language, with where to find help."""
    cls = type(exc).__name__
    text = None
    param = getattr(exc, "param", None)
    if cls in ("MissingParameter", "BadParameter"):
        hint = getattr(exc, "param_hint", None)
        if hint is None and param is not None:
            try:
                hint = param.get_error_hint()
            except TypeError:  # click's own signature takes the context
                hint = param.get_error_hint(getattr(exc, "ctx", None))
        if isinstance(hint, list | tuple):
            hint = " / ".join(hint)
        name = str(hint or "")
        if cls == "MissingParameter":
            kind = exc.param_type or (param.param_type_name if param is not None else "parameter")
            text = t(f"cli.missing_{kind if kind in ('argument', 'option') else 'parameter'}",
                     name=name)
        else:
            reason = str(exc.message)
            for pattern, key in _VALUE_PATTERNS:
                match = pattern.match(reason)
                if match:
                    reason = t(key, **match.groupdict())
                    break
            text = t("cli.invalid_value", name=name, reason=reason)
    else:
        message = str(getattr(exc, "message", "") or exc.format_message())
        for pattern, key in _CLICK_PATTERNS:
            match = pattern.match(message)
            if match:
                text = t(key, **{k: v or "" for k, v in match.groupdict().items()})
                if match.groupdict().get("hint"):
                    text += " " + t("cli.did_you_mean", hint=match.group("hint"))
                break
    return f"{text or exc.format_message()} {t('cli.try_help')}"


def localize_usage(language: str, t: Any) -> None:
    """'Usage:' of the help pages in the reader's language."""
    from typer._click import formatting

    original = getattr(formatting.HelpFormatter.write_usage, "__wrapped__",
                       formatting.HelpFormatter.write_usage)
    if language not in LANGUAGES:  # English: click's own (undo an earlier call's wording)
        formatting.HelpFormatter.write_usage = original
        return

    @functools.wraps(original)
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, f"{t('cli.usage')} " if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage

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
tests/test_cli_help.py keep both catalogues complete and free of stale keys).
"""

from __future__ import annotations

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
    """Replace the help texts of the tree with those of `language` where the catalogue has them."""
    cat = catalogue(language)
    if not cat["commands"] and not cat["options"]:
        return
    _panels(cat["panels"])
    help_text = cat["options"].get("--help")
    for kind, key, obj in texts(command):
        if kind == "command":
            text = cat["commands"].get(key)
            if text:
                obj.help = text
                obj.short_help = None
            if help_text:
                _localize_help_option(obj, help_text)
        else:
            text = cat["options"].get(key) or cat["options"].get(param_name(obj))
            if text:
                obj.help = text


def _localize_help_option(command: Any, text: str) -> None:
    """click builds the --help option on demand: give it the catalogue's text when it does."""
    build = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = build(ctx)
        if option is not None:
            option.help = text
        return option

    command.get_help_option = get_help_option


def _panels(titles: dict[str, str]) -> None:
    """The titles of typer's help panels (module constants read when help is printed)."""
    try:
        from typer import rich_utils
    except ImportError:  # typer without rich: plain help, no panels
        return
    for key, name in (("arguments", "ARGUMENTS_PANEL_TITLE"), ("options", "OPTIONS_PANEL_TITLE"),
                      ("commands", "COMMANDS_PANEL_TITLE")):
        if titles.get(key) and hasattr(rich_utils, name):
            setattr(rich_utils, name, titles[key])

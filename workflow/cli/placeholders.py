"""Help pages that name what to type: FILE, DATE, LOGIN, never typer's `<str>` or `<bool>`.

typer prints a parameter's Python type (`<str>`, `<path>`, `<bool>`) unless it has a metavar.
Options name theirs in the code (`metavar="DATE"`); this pass gives every argument its upper-
case name, drops the type column of arguments and flags (`--json` takes no value), and covers
the `--help` option click builds on demand.
"""

from __future__ import annotations

from typing import Any

from workflow.cli.help_i18n import walk

FALLBACK = "TEXT"  # an option someone added without a metavar still reads as words


def _no_type(ctx: Any) -> None:
    return None


def _flag(option: Any) -> bool:
    return bool(getattr(option, "is_flag", False) or getattr(option, "count", False))


def _plain(param: Any) -> None:
    _typed_as_given(param)
    if param.param_type_name == "argument":
        if param.metavar is None:
            param.metavar = param.name.upper()
        param.display_type_rich = _no_type  # the name says it: DATE, FILE, LOGIN
    elif _flag(param):
        param.metavar = ""  # a flag takes no value: no "<bool>"
    elif param.metavar is None:
        param.metavar = FALLBACK


def _plain_help_option(command: Any) -> None:
    build = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = build(ctx)
        if option is not None:
            _plain(option)
        return option

    command.get_help_option = get_help_option


def name_placeholders(command: Any) -> None:
    """Give every parameter of the click tree a named placeholder (idempotent)."""
    for _path, cmd in walk(command):
        for param in cmd.params:
            _plain(param)
        if not getattr(cmd, "_merzim_plain_help", False):
            _plain_help_option(cmd)
            cmd._merzim_plain_help = True



def _typed_as_given(param: Any) -> None:
    """A text parameter or a flag taken as click gives it, without typer's pydantic coercion.

    typer (0.29) builds a pydantic TypeAdapter for each parameter it converts; for a `str` the
    adapter returns the text unchanged (argv holds text) and a flag's value is already a bool
    or none, but importing pydantic costs a quick command (`merzim calendar add`) a third of
    its time. Such a parameter gets typer's own pass-through converter instead, which accepts
    a value of its type and refuses anything else; a list, a path or a number keeps typer's.
    With a typer without this machinery, nothing changes."""
    descriptor = getattr(param, "type_descriptor", None)
    if (descriptor is None or getattr(param, "_runtime_param", False) is not None
            or descriptor.file_annotation is not None
            or getattr(descriptor.parameter_info, "parser", None) is not None
            or param.multiple or param.nargs != 1
            or not (descriptor.annotation is str
                    or (descriptor.annotation is bool and getattr(param, "is_flag", False)))):
        return
    try:
        from typer._coercion import PassThroughRuntimeParam
    except ImportError:  # another typer: its own conversion
        return
    param._runtime_param = PassThroughRuntimeParam(annotation=descriptor.annotation,
                                                   parameter_info=descriptor.parameter_info)

"""Domain errors: each carries a catalogue key and parameters so every surface can translate it.

Exit codes of the CLI follow the class: 2 usage, 3 refused by the rules, 4 not found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from workflow.core.names import name_in


class MerzimError(Exception):
    """Base of the errors an officer or operator sees."""

    exit_code = 1
    key = "error.generic"
    audited = False  # set by an adapter that has written the refusal to the audit log itself

    def __init__(self, message: str = "", *, key: str | None = None, **params: Any):
        self.key = key or self.key
        self.params = params
        self.message = message
        # How a parameter that holds a key (an event, a state, a stage, a field) reads in each
        # language: {param: {lang: text}} or {param: "catalogue.key"}; see MerzimError.named
        self.labels: dict[str, dict[str, str] | str | KeyList] = {}
        super().__init__(message or key or self.key)

    def render(self, translate) -> str:
        """The message in the user's language (falls back to the English text given), with the
        keys its parameters carry named in that language where a definition labelled them."""
        language = getattr(translate, "language", "en")
        params = dict(self.params)
        raw = getattr(translate, "gettext", None)  # the text before formatting, if available
        template = raw(self.key) if raw is not None and self.labels else ""
        for name, label in self.labels.items():
            if isinstance(label, KeyList):
                params[name] = label.render(language, translate)
                continue
            text = (translate(label, default=None) if isinstance(label, str)
                    else name_in(label, language))
            if text and name in QUOTED and not re.search(  # a name reads quoted, once
                    r"[«“\"']\{" + re.escape(name) + r"[}!:]", template):
                text = quoted(text, language)
            params[name] = text or params.get(name)
        text = translate(self.key, default=None, **params)
        return text if text is not None else (self.message or self.key)

    def named(self, key_names: Callable[[str], dict[str, str] | str | None]) -> Self:
        """Label the parameters that hold keys of a definition (an event, a stage, a state, a
        field, or a list of them), each named by `key_names` (Definition.key_names: its names
        by language, a catalogue key, or None for a key it does not know), and a stage's
        status, so that the refusal reads in the reader's language; returns the error."""
        status = self.params.get("status")
        if isinstance(status, str) and status in STAGE_STATUSES and "status" not in self.labels:
            self.labels["status"] = f"status.{status}"
        for param, value in self.params.items():
            if param not in KEY_PARAMS or not isinstance(value, str) or param in self.labels:
                continue
            keys = [k.strip() for k in value.replace("|", ",").replace("+", ",").split(",")]
            named = [key_names(k) for k in keys if k]
            if not named or any(n is None for n in named):
                continue
            if len(named) == 1:
                self.labels[param] = named[0]  # type: ignore[assignment]
            else:  # a list: each key named, the value's separators kept ("a + b | c")
                self.labels[param] = KeyList(value, dict(zip(keys, named, strict=True)))
        return self


# Refusal parameters that may hold keys of a definition (MerzimError.named).
KEY_PARAMS = frozenset({"event", "other", "target", "state", "stage", "field", "allowed",
                        "known", "groups"})
STAGE_STATUSES = ("open", "overdue", "done_on_time", "done_late", "not_applicable", "not_done")

# The parameters that name an event, a stage or a state: quoted inside a sentence.
QUOTED = frozenset({"event", "other", "target", "stage", "state"})


def quoted(text: str, language: str) -> str:
    """A name inside a sentence: «…» in Kazakh and Russian, “…” in English."""
    return f"“{text}”" if language == "en" else f"«{text}»"


@dataclass(frozen=True)
class KeyList:
    """A parameter that lists keys ("a, b" or "a + b | c"): each key is named «in the reader's
    language» by its names ({lang: text}) or a catalogue key, separators kept."""

    value: str
    names: dict[str, Any]

    def render(self, language: str, translate) -> str:
        def name(match: re.Match) -> str:
            names = self.names.get(match.group(0))
            if names is None:
                return match.group(0)
            text = (translate(names, default=None) if isinstance(names, str)
                    else name_in(names, language))
            return quoted(text or match.group(0), language)

        return re.sub(r"[\w:]+", name, self.value)


class ConfigError(MerzimError):
    """Configuration or data file that merzim cannot use."""

    exit_code = 2
    key = "error.config"

    def __init__(self, message: str, **params: Any):
        super().__init__(message, key="error.config", detail=message, **params)


class DefinitionError(ConfigError):
    """A definition file that does not fit the format: `error.definition` names the file, the
    table, the key and the reason; the reason is a catalogue entry (`definition.reason.*`)
    that the refusal's parameters fill (a count picks its plural form). `message` stays the
    English sentence the logs and tests read."""

    def __init__(self, message: str, *, file: str, table: str, entry: str, reason: str,
                 english: str = "", expected: str = "", **params: Any):
        super().__init__(message, file=file, table=table, entry=entry, expected=expected,
                         **params)
        self.key = "error.definition"
        self.params["reason"] = english
        if reason:
            self.labels["reason"] = reason

    def render(self, translate) -> str:
        params = dict(self.params)
        label = self.labels.get("reason")
        if isinstance(label, str):
            params["reason"] = translate(label, default=None, **params) or params["reason"]
        text = translate(self.key, default=None, **params)
        return text if text is not None else (self.message or self.key)


_NOTHING: Any = object()


def place(where: str) -> tuple[str, str, str]:
    """"FILE: TABLE… KEY" as a refusal names it, read into (file, table, key): "x.toml:
    [process] initial_state" is table `process`, key `initial_state`; "x.toml: [drafts.pub].asks"
    table `drafts`, key `pub.asks`; "x.toml: event[0] (sent) dest" table `event`, key as written."""
    source, _, entry = where.partition(": ")
    match = re.match(r"\[?([A-Za-z_]+)", entry)
    table = match.group(1) if match else ""
    if entry.startswith(f"[{table}]"):
        entry = entry[len(table) + 2:].lstrip(" .")
    elif entry.startswith(f"[{table}."):
        entry = entry[len(table) + 2:].replace("]", "", 1)
    return source, table, entry or table


def refused(where: str, english: str, reason: str, value: Any = _NOTHING, expected: str = "",
            **params: Any) -> DefinitionError:
    """A definition refused at `where` ("FILE: TABLE… KEY", `place`) for the catalogue's reason
    `definition.reason.REASON` (its {placeholders} filled by `params`; `english`: the reason in
    English, the message being "WHERE: ENGLISH"), `value` the value refused (or `expected`,
    what is allowed), shown after the reason."""
    source, table, entry = place(where)
    return DefinitionError(f"{where}: {english}", file=source, table=table, entry=entry,
                           reason=f"definition.reason.{reason}",
                           expected=expected if value is _NOTHING else f" {value!r}", **params)


def unknown(where: str, what: str, value: Any) -> DefinitionError:
    """A table naming a `what` (state, stage, date, event, evidence, interpretation, key) the
    definition does not have."""
    return refused(where, f"unknown {what} {value!r}", f"unknown_{what}", value)


class UsageError(MerzimError):
    """Malformed input: a bad date, a non-number, a wrong type."""

    exit_code = 2


class RuleViolation(MerzimError):
    """The rules of the process refuse the action; nothing was stored."""

    exit_code = 3


class NotFound(MerzimError):
    """An unknown analysis, organisation, programme or user."""

    exit_code = 4

"""Domain errors: each carries a catalogue key and parameters so every surface can translate it.

Exit codes of the CLI follow the class: 2 usage, 3 refused by the rules, 4 not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class MerzimError(Exception):
    """Base of the errors an officer or operator sees."""

    exit_code = 1
    key = "error.generic"

    def __init__(self, message: str = "", *, key: str | None = None, **params: Any):
        self.key = key or self.key
        self.params = params
        self.message = message
        # How a parameter that holds a key (an event, a state, a stage, a field) reads in each
        # language: {param: {lang: text}} or {param: "catalogue.key"}; see Definition.name_keys
        self.labels: dict[str, dict[str, str] | str] = {}
        super().__init__(message or key or self.key)

    def render(self, translate) -> str:
        """The message in the user's language (falls back to the English text given), with the
        keys its parameters carry named in that language where a definition labelled them."""
        language = getattr(translate, "language", "en")
        params = dict(self.params)
        for name, label in self.labels.items():
            if isinstance(label, KeyList):
                params[name] = label.render(language, translate)
            elif isinstance(label, str):
                params[name] = translate(label, default=None) or params.get(name)
            else:
                params[name] = label.get(language) or label.get("en") or params.get(name)
        text = translate(self.key, default=None, **params)
        return text if text is not None else (self.message or self.key)


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
                    else names.get(language) or names.get("en"))
            return f"«{text or match.group(0)}»"

        return re.sub(r"[\w:]+", name, self.value)


class ConfigError(MerzimError):
    """Configuration or data file that merzim cannot use."""

    exit_code = 2
    key = "error.config"

    def __init__(self, message: str, **params: Any):
        super().__init__(message, key="error.config", detail=message, **params)


class UsageError(MerzimError):
    """Malformed input: a bad date, a non-number, a wrong type."""

    exit_code = 2


class RuleViolation(MerzimError):
    """The rules of the process refuse the action; nothing was stored."""

    exit_code = 3


class NotFound(MerzimError):
    """An unknown analysis, organisation, programme or user."""

    exit_code = 4

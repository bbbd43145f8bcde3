"""Domain errors: each carries a catalogue key and parameters so every surface can translate it.

Exit codes of the CLI follow the class: 2 usage, 3 refused by the rules, 4 not found.
"""

from __future__ import annotations

from typing import Any


class MerzimError(Exception):
    """Base of the errors an officer or operator sees."""

    exit_code = 1
    key = "error.generic"

    def __init__(self, message: str = "", *, key: str | None = None, **params: Any):
        self.key = key or self.key
        self.params = params
        self.message = message
        super().__init__(message or key or self.key)

    def render(self, translate) -> str:
        """The message in the user's language (falls back to the English text given)."""
        text = translate(self.key, default=None, **self.params)
        return text if text is not None else (self.message or self.key)


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

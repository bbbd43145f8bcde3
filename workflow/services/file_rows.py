"""A file's rows checked cell by cell (the imports of people and of organisations): every
refused cell named, with its row, column, value and the rule it breaks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from workflow.i18n import LANGUAGES, Translator


@dataclass(frozen=True)
class Problem:
    """One refused cell: its row in the file, its column (a key of the file's columns), the
    value and the rule it breaks (a catalogue key and its parameters)."""

    row: int
    column: str
    value: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def labels(prefix: str, keys: Iterable[str], fold: Callable[[str], str]) -> dict[str, str]:
    """Every language's label of each key (catalogue key `prefix` + key) and the key itself,
    as `fold` gives them → the key: what a file's header or cell may say for it."""
    out: dict[str, str] = {}
    keys = tuple(keys)
    for lang in LANGUAGES:
        t = Translator(lang)
        for key in keys:
            out[fold(t(f"{prefix}{key}").strip())] = key
    out.update({fold(k): k for k in keys})
    return out


def cell_checker(n: int, row: dict[str, str], required: Iterable[str]
                 ) -> tuple[list[Problem], Callable[..., None]]:
    """The problems of row `n` (a required column left empty is one already) and the function
    that adds one: `bad(column, key, **params)`."""
    found: list[Problem] = []

    def bad(column: str, key: str, **params: Any) -> None:
        found.append(Problem(n, column, row.get(column, ""), key, params))

    for column in required:
        if not row.get(column):
            bad(column, "accounts.rule_required")
    return found, bad

"""A file's rows checked cell by cell (the imports of people and of organisations): every
refused cell named, with its row, column, value and the rule it breaks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One refused cell: its row in the file, its column (a key of the file's columns), the
    value and the rule it breaks (a catalogue key and its parameters)."""

    row: int
    column: str
    value: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


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

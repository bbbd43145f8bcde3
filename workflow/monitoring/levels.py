"""How a corruption risk is assessed and ranked (pure): its likelihood and consequence, graded
on the scales of `risk_levels.toml` (data, read each time a risk is shown), give its level by
the file's matrix; risks are ranked by level, then score (likelihood × consequence), then
their number. A risk recorded without both grades is "not assessed": no level, ranked last,
never guessed."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.core.errors import ConfigError, UsageError

SHIPPED = Path(__file__).with_name("risk_levels.toml")
NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class Grade:
    grade: int
    names: dict[str, str]


@dataclass(frozen=True)
class Level:
    key: str
    colour: str
    names: dict[str, str]


@dataclass(frozen=True)
class Criteria:
    """The scales and the matrix of one criteria file."""

    likelihood: tuple[Grade, ...]
    consequence: tuple[Grade, ...]
    levels: tuple[Level, ...]  # lowest first
    matrix: tuple[tuple[str, ...], ...]  # [likelihood - 1][consequence - 1] -> level key

    def level(self, likelihood: int | None, consequence: int | None) -> Level | None:
        """The level of these grades (None: not assessed)."""
        if likelihood is None or consequence is None:
            return None
        key = self.matrix[likelihood - 1][consequence - 1]
        return next(lv for lv in self.levels if lv.key == key)

    def order(self, level: Level | None) -> int:
        """How high a level stands (-1: not assessed)."""
        return -1 if level is None else [lv.key for lv in self.levels].index(level.key)

    def check(self, likelihood: Any, consequence: Any) -> tuple[int | None, int | None]:
        """The grades as given (text or numbers; blank: None), each refused in the reader's
        language when it is not a grade of its scale; both or neither."""
        out: list[int | None] = []
        for field, value, scale in (("likelihood", likelihood, self.likelihood),
                                    ("consequence", consequence, self.consequence)):
            text = "" if value is None else str(value).strip()
            if not text:
                out.append(None)
                continue
            known = [g.grade for g in scale]
            try:
                grade = int(text)
            except ValueError:
                grade = None
            if grade not in known:
                raise labelled(UsageError(f"{field} {text!r} is not a grade",
                                          key="risk.bad_grade", field=field, value=text,
                                          known=", ".join(str(g) for g in known)))
            out.append(grade)
        if (out[0] is None) != (out[1] is None):
            missing = "likelihood" if out[0] is None else "consequence"
            raise labelled(UsageError(f"{missing} missing", key="risk.grade_pair",
                                      field=missing))
        return out[0], out[1]


def labelled(exc: UsageError) -> UsageError:
    """A refusal naming its scale ("likelihood", "consequence") in the reader's words."""
    exc.labels["field"] = f"risk.scale_{exc.params['field']}"
    return exc


def _names(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(raw.get(lang) for lang in ("kk", "ru", "en")):
        raise ConfigError(f"risk levels: {where} needs names in kk, ru and en")
    return {str(k): str(v) for k, v in raw.items()}


def _scale(raw: Any, what: str) -> tuple[Grade, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"risk levels: no [[{what}]] grades")
    grades = tuple(Grade(int(g["grade"]), _names(g.get("names"), f"{what} {g.get('grade')}"))
                   for g in raw)
    if [g.grade for g in grades] != list(range(1, len(grades) + 1)):
        raise ConfigError(f"risk levels: the {what} grades must be 1, 2, … in order")
    return grades


def parse(doc: dict[str, Any]) -> Criteria:
    """A criteria file as read (TOML), checked: grades 1..n of each scale, levels with names
    in kk/ru/en, a matrix of a row per likelihood and a column per consequence naming levels."""
    likelihood = _scale(doc.get("likelihood"), "likelihood")
    consequence = _scale(doc.get("consequence"), "consequence")
    levels = tuple(Level(str(lv["key"]), str(lv.get("colour", "#ffffff")),
                         _names(lv.get("names"), f"level {lv.get('key')}"))
                   for lv in doc.get("level") or [])
    if not levels:
        raise ConfigError("risk levels: no [[level]]")
    keys = {lv.key for lv in levels}
    matrix = tuple(tuple(str(c) for c in row) for row in doc.get("matrix") or [])
    if len(matrix) != len(likelihood) or any(len(row) != len(consequence) for row in matrix):
        raise ConfigError(f"risk levels: the matrix needs {len(likelihood)} rows of "
                          f"{len(consequence)} levels")
    unknown = {c for row in matrix for c in row} - keys
    if unknown:
        raise ConfigError(f"risk levels: the matrix names unknown levels {sorted(unknown)}")
    return Criteria(likelihood, consequence, levels, matrix)


_CACHE: dict[tuple[Path, float], Criteria] = {}


def criteria(path: Path | None = None) -> Criteria:
    """The criteria of `path` (the shipped file by default), read again when it changes."""
    path = path or SHIPPED
    try:
        stamp = path.stat().st_mtime_ns
        found = _CACHE.get((path, stamp))
        if found is None:
            found = parse(tomllib.loads(path.read_text(encoding="utf-8")))
            _CACHE.clear()
            _CACHE[(path, stamp)] = found
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"risk levels: {path}: {exc}") from exc
    return found


@dataclass(frozen=True)
class Assessed:
    """A risk as ranked: its number in the note, grades, score, level and rank."""

    no: int
    likelihood: int | None
    consequence: int | None
    score: int | None
    level: Level | None
    rank: int


def rank(risks: Sequence[tuple[int, int | None, int | None]],
         found: Criteria | None = None) -> list[Assessed]:
    """`risks` (number, likelihood, consequence) in their order, each with its level and
    rank: 1 for the highest level, then the higher score, then the lower number; the risks
    not assessed after every assessed one."""
    found = found or criteria()
    rows = [(no, lk, cq, lk * cq if lk and cq else None, found.level(lk, cq))
            for no, lk, cq in risks]
    order = sorted(rows, key=lambda r: (-found.order(r[4]), -(r[3] or 0), r[0]))
    ranks = {r[0]: i for i, r in enumerate(order, start=1)}
    return [Assessed(no, lk, cq, score, level, ranks[no]) for no, lk, cq, score, level in rows]


def cells(risks: Iterable[Assessed]) -> dict[tuple[int, int], list[int]]:
    """The risk map's cells: (likelihood, consequence) → the numbers of its risks."""
    out: dict[tuple[int, int], list[int]] = {}
    for r in risks:
        if r.likelihood is not None and r.consequence is not None:
            out.setdefault((r.likelihood, r.consequence), []).append(r.no)
    return out

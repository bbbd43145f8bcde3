"""Plain data of the Kazakh calendar: holidays, Kurban Ait dates, transfers, overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

LANGUAGES = ("kk", "ru", "en")

# Kinds of non-working day, as shown by `merzim calendar show`.
HOLIDAY = "holiday"
RELIGIOUS = "religious"
WEEKEND_SHIFT = "weekend_shift"
TRANSFER = "transfer"
OVERRIDE = "override"


@dataclass(frozen=True)
class Holiday:
    """A public holiday on a fixed month and day, valid for a span of years."""

    key: str
    month: int
    day: int
    kind: str  # HOLIDAY or RELIGIOUS (religious holidays are not shifted)
    names: dict[str, str]
    reference: str
    first_year: int | None = None
    last_year: int | None = None

    def valid_in(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )

    @property
    def shifts(self) -> bool:
        return self.kind != RELIGIOUS


@dataclass(frozen=True)
class KurbanAit:
    """The first day of Kurban Ait in one year."""

    year: int
    date: date
    status: str  # "announced" or "expected"
    reference: str


@dataclass(frozen=True)
class Transfer:
    """A decree moving a day off: `worked` becomes a working day, `day_off` a day off."""

    day_off: date
    worked: date
    reference: str


@dataclass(frozen=True)
class Decree:
    """The transfers decreed for one calendar year (possibly none)."""

    year: int
    reference: str
    transfers: tuple[Transfer, ...]


@dataclass(frozen=True)
class OneOffDay:
    """An operator's one-off day off or one-off working day."""

    date: date
    names: dict[str, str]
    reference: str


@dataclass(frozen=True)
class CalendarData:
    """Everything the calendar is computed from: shipped data plus operator overrides."""

    holidays: tuple[Holiday, ...]
    kurban_ait: dict[int, KurbanAit]
    decrees: dict[int, Decree]
    extra_transfers: tuple[Transfer, ...] = ()
    days_off: tuple[OneOffDay, ...] = ()
    working_days: tuple[OneOffDay, ...] = ()
    override_years: frozenset[int] = field(default_factory=frozenset)

    @property
    def first_year(self) -> int:
        return min(self.decrees)

    @property
    def last_year(self) -> int:
        return max(self.kurban_ait)


@dataclass(frozen=True)
class NonWorkingDay:
    """A day that is off on account of a holiday, a shift, a transfer or an override."""

    date: date
    kind: str
    names: dict[str, str]
    reference: str

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


@dataclass(frozen=True)
class WorkedDay:
    """A Saturday, Sunday or shifted day off that is a working day by decree or override."""

    date: date
    reasons: dict[str, str]
    reference: str

    def reason(self, language: str) -> str:
        return self.reasons.get(language) or self.reasons["en"]

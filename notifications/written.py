"""How a date and a number are written for a reader of Kazakh, Russian or English: the one
writer every surface a person reads asks (pages, exports' reading columns, e-mail and Telegram
digests, the command line's output).

It sits here, below workflow, because the digests (which may not import workflow) write dates
too; `workflow.i18n` gives the same functions to the rest of merzim, with the period's name
(`period_name`), which needs the catalogues.

* a date: dd.mm.yyyy in Kazakh and Russian (26.11.2026), as officers write it on paper; in
  English the ISO form (2026-11-26), which no English reader misreads as month/day;
* a number: grouped by thousands, with a no-break space in Kazakh and Russian (4 500 000) and a
  comma in English (4,500,000); a fraction's mark is a comma in Kazakh and Russian (1,5), a
  point in English.

Addresses, the API's JSON and the machine columns of CSV/XLSX keep ISO dates and plain numbers.
"""

from __future__ import annotations

from datetime import date, datetime

NBSP = "\u00a0"  # the group separator of kk and ru: a no-break space (a number never wraps)


def date_text(day: date | datetime | str | None, language: str) -> str:
    """`day` as a reader of `language` writes it ("26.11.2026"; en "2026-11-26"); an ISO text
    ('2026-11-26', or a timestamp's first ten characters) is read first; None is ""; anything
    else is shown as it is."""
    if day is None:
        return ""
    if isinstance(day, str):
        try:
            on = date.fromisoformat(day[:10])
        except ValueError:
            return day
    else:
        on = day.date() if isinstance(day, datetime) else day
    if language == "en":
        return on.isoformat()
    return f"{on.day:02d}.{on.month:02d}.{on.year:04d}"


def number_text(value: int | float | str | None, language: str, places: int | None = None
                ) -> str:
    """`value` grouped by thousands in `language` ("4 500 000", en "4,500,000"); `places`: the
    digits after the fractional mark (None: as many as the value has, none for a whole
    number); a text that is no number is shown as it is."""
    if value is None:
        return ""
    number: int | float
    if isinstance(value, str):
        try:
            number = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    else:
        number = value
    if isinstance(number, float) and places is None and number.is_integer():
        number = int(number)
    text = (f"{number:,.{places}f}" if places is not None else f"{number:,}")
    if language == "en":
        return text
    return text.replace(",", NBSP).replace(".", ",")

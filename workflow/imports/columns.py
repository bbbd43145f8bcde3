"""How every import reads an office's own spreadsheet, decided once for organisations, people
and every register: a header or a listed choice compared as a person reads it (any case,
spacing and punctuation), the columns that are never fields (a "№ п/п", a phone), numbers
grouped with any kind of space, and dates as dd.mm.yyyy or yyyy-mm-dd.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from workflow.core.dates import FIRST_DAY, LAST_DAY

# Every kind of space a spreadsheet groups a number's thousands with: the plain one, the
# no-break space, the thin space, the narrow no-break space and the figure space.
SPACES = "\u0020\u00a0\u2009\u202f\u2007"
_GROUPED = re.compile(r"-?\d{1,3}(?:[" + SPACES + r"]\d{3})+")
_PLAIN = re.compile(r"-?\d+")
_DAY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def fold(text: object) -> str:
    """A header or a cell as it is compared: compatibility forms unified ("№" is "No"), case
    folded, punctuation dropped and spaces collapsed; "E-mail", "e-mail" and "Email" are one,
    and so are "Ф.И.О." and "ФИО"."""
    plain = unicodedata.normalize("NFKC", str(text)).casefold()
    kept = "".join(" " if unicodedata.category(c)[0] in "ZC" else c for c in plain
                   if unicodedata.category(c)[0] != "P")
    return " ".join(kept.split())


# Headers of columns an office's list carries that no import reads: the row's running number
# and a phone. Such a column is ignored (the preview notes it); any other unknown header is
# asked about. Compared folded, so "№ п/п", "№п/п" and "N п/п" are one.
NOT_FIELDS = frozenset(fold(h) for h in (
    "№", "№ п/п", "№п/п", "п/п", "N", "N п/п", "No", "#", "Nr", "р/с", "р/н", "Р/с №", "реттік нөмір",
    "порядковый номер", "номер п/п", "row", "phone", "telephone", "mobile", "телефон",
    "телефоны", "тел", "тел.", "мобильный телефон", "рабочий телефон", "контактный телефон",
    "ұялы телефон", "байланыс телефоны", "жұмыс телефоны"))


def not_a_field(header: object) -> bool:
    """Whether a header names a column no import reads (a running number, a phone)."""
    return fold(header) in NOT_FIELDS


def number(text: str) -> str | None:
    """A whole number as written: "4500000", "4 500 000", "1 150" with a no-break or thin
    space → its digits ("1150"); None when it is not one."""
    text = text.strip()
    if _GROUPED.fullmatch(text):
        text = text.translate({ord(c): None for c in SPACES})
    return text if _PLAIN.fullmatch(text) else None


def day(text: str) -> str | None:
    """A date as written, dd.mm.yyyy (or d.m.yyyy, dd/mm/yyyy) or yyyy-mm-dd → ISO; None when
    it is not a day within the calendar's bounds."""
    text = text.strip()
    found = _DAY.fullmatch(text)
    if found:
        d, m, y = (int(x) for x in found.groups())
    elif (found := _ISO.fullmatch(text)):
        y, m, d = (int(x) for x in found.groups())
    else:
        return None
    try:
        when = date(y, m, d)
    except ValueError:
        return None
    return when.isoformat() if FIRST_DAY <= when <= LAST_DAY else None

"""How much a typed value may hold: the one source of each limit.

A text stored in a column of bounded length has its limit here, and the column, the service's
check and the API's schema all read it, so a value longer than its column is refused with a
message about its length ("person is longer than 200 characters"), never by the database
("a number too large"). A whole number a definition's field or evidence holds lies between
its declared `min` and `max` (default `INTEGER_MIN` … `INTEGER_MAX`), written in ASCII digits;
a date lies between `workflow.core.dates.FIRST_DAY` and `LAST_DAY`. Pure: no database here.
"""

from __future__ import annotations

import re

# -- texts: the columns' lengths (workflow/storage/models_*.py reads them) ----------------------
PERSON_NAME = 200  # process_case.person_name; monitoring's position.person
PERSON_POSITION = 300  # process_case.person_position
ORG_CODE = 64  # organisation.code
ORG_NAME = 300  # organisation.name, name_kk, name_ru
LOGIN = 100  # app_user.login
FULL_NAME = 200  # app_user.full_name
EMAIL = 254  # app_user.email
TOKEN_NAME = 100  # api_token.name
TITLE = 300  # monitoring: subdivision, position title, a plan item's form and responsible

# -- whole numbers of a definition's integer fields and evidence -------------------------------
# Default bounds when a definition declares none: a count is never negative, and an amount in
# tenge (damage, a gift's value) stays below a trillion; a definition declares `min`/`max`.
INTEGER_MIN = 0
INTEGER_MAX = 10**12
# the widest bounds a definition may declare: what a 64-bit column or JSON reader holds safely
INTEGER_FLOOR = -(10**15)
INTEGER_CEILING = 10**15

_WHOLE = re.compile(r"-?[0-9]+")


def whole_number(text: str, low: int = INTEGER_MIN, high: int = INTEGER_MAX) -> int | None:
    """`text` (blanks around it ignored) as a whole number in ASCII digits, an optional minus
    sign first, between `low` and `high`; None when it is not one (no "١٢", "１２", "1_000",
    "+5" or "1e3"). At most 20 characters are read as a number: longer is out of any bound."""
    value = text.strip()
    if not _WHOLE.fullmatch(value) or len(value) > 20:
        return None
    number = int(value)
    return number if low <= number <= high else None


# digits grouped by thousands as people write them: "4 500 000" with a space, a no-break space,
# a thin space or a narrow no-break space between the groups
_GROUPED = re.compile(r"-?[0-9]{1,3}(?:[ \u00a0\u2009\u202f][0-9]{3})+")


def ungrouped(text: str) -> str:
    """A whole number written with its thousands apart ("4 500 000") as digits alone
    ("4500000"); any other text as it is."""
    value = text.strip()
    if _GROUPED.fullmatch(value):
        return re.sub(r"[ \u00a0\u2009\u202f]", "", value)
    return text


def is_whole(text: str) -> bool:
    """Whether `text` is written as a whole number (ASCII digits), whatever its size."""
    return bool(_WHOLE.fullmatch(text.strip()))

"""What an import proposes when an office's list leaves a key out: an organisation's code from
its name, a person's login from her e-mail. Each is Latin, short, unique among those taken
(stored or given by the file) and the same for the same name while those taken are the same,
so a preview and its confirm propose alike; the preview shows each."""

from __future__ import annotations

import re
from collections.abc import Callable

from workflow.core import limits

# Cyrillic (Russian and Kazakh letters) in Latin letters, as a code or a login is typed.
_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
CODE_LENGTH = 24  # a proposed code's length at most, before a number that makes it unique
_WORDS = re.compile(r"[a-z0-9]+")
_LOGIN = re.compile(r"[^a-z0-9._-]+")


def latin(text: str) -> str:
    """`text` in lower-case Latin letters (Cyrillic transliterated)."""
    return "".join(_LATIN.get(c, c) for c in text.casefold())


def _unique(base: str, taken: Callable[[str], bool], limit: int, joint: str) -> str:
    """`base`, or `base` with the smallest number from 2 that is not taken."""
    if not taken(base):
        return base
    n = 2
    while True:
        suffix = f"{joint}{n}"
        candidate = base[:limit - len(suffix)] + suffix
        if not taken(candidate):
            return candidate
        n += 1


def code_for(name: str, taken: Callable[[str], bool]) -> str:
    """An organisation's code from its name: its words in Latin capitals joined by "-", cut
    after the last whole word within CODE_LENGTH ("Отдел образования Алмалинского района" →
    "OTDEL-OBRAZOVANIYA"), with "-2", "-3"… when it is taken."""
    words = _WORDS.findall(latin(name)) or ["ORG"]
    base = words[0][:CODE_LENGTH]
    for word in words[1:]:
        if len(base) + 1 + len(word) > CODE_LENGTH:
            break
        base += "-" + word
    return _unique(base.upper(), taken, limits.ORG_CODE, "-")


def login_for(email: str, taken: Callable[[str], bool]) -> str:
    """A login from an e-mail address: its local part in lower-case Latin letters, digits, ".",
    "_" and "-" ("A.Seitkali@gov.kz" → "a.seitkali"), with a number (2, 3…) when taken."""
    local = email.split("@", 1)[0]
    base = _LOGIN.sub("", latin(local)).strip("._-")[:limits.LOGIN - 4] or "user"
    return _unique(base, taken, limits.LOGIN, "")

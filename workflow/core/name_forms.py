"""The grammatical forms of an organisation's name a document's sentence needs (D-4), proposed
from its name: the Russian genitive ("в деятельности Департамента государственных доходов")
and the Kazakh genitive ("Мемлекеттік кірістер департаментінің қызметінде").

A proposal only: the forms are kept on the organisation and an administrator corrects one the
rule gets wrong (`merzim org set`, the organisation's page, the organisations' import).

* **Russian** (`ru_genitive`): the head phrase -- the words from the start up to and including
  the first noun in the nominative, with the adjectives before it ("Самостоятельное
  управление", "Республиканское государственное учреждение") -- put into the genitive by the
  OpenCorpora dictionary (pymorphy3: "Департамент" → "Департамента", "Управление" →
  "Управления", "акимат" → "акимата", "Самостоятельное" → "Самостоятельного"); the rest is
  already in the form it keeps ("государственных доходов", "по области", "Алматинской
  области") and stays as written, so does anything in quotes. A name that opens with an
  abbreviation ("АО СПК «Жетісу»") or with no Cyrillic word the dictionary reads as a
  nominative noun or adjective has no proposal (None): it is printed as written.
* **Kazakh** (`kk_genitive`): the genitive ending of the last word, by its last sound and the
  last vowel (vowel harmony): -ның/-нің after a vowel or м, н, ң; -дың/-дің after л, р, у, й,
  и, ж, з; -тың/-тің after the other consonants ("департаменті" → "департаментінің",
  "әкімдігі" → "әкімдігінің", "комитет" → "комитеттің"); an abbreviation takes it after a
  hyphen ("АҚ" → "АҚ-тың"). A name that does not end in a Cyrillic letter has none.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_QUOTES = "«»\"“”„'("
_WORD = re.compile(r"^([^\w]*)([\w-]+)([^\w]*)$")


@cache
def _analyzer() -> Any:
    """The Russian dictionary, read once (about a tenth of a second)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def _cyrillic(word: str) -> bool:
    return any("а" <= c <= "я" or c in "ёәғқңөұүһі" for c in word.casefold())


def _abbreviation(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _cased(like: str, word: str) -> str:
    """`word` written with the capitals of `like` (first letter, or every letter)."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


def ru_genitive(name: str | None) -> str | None:
    """The Russian genitive proposed for an organisation's Russian name (None: no proposal)."""
    words = (name or "").split()
    if not words:
        return None
    morph = _analyzer()
    out = list(words)
    for i, token in enumerate(words):
        match = _WORD.match(token)
        if match is None or match.group(1) or not _cyrillic(match.group(2)) \
                or _abbreviation(match.group(2)):
            return None  # a quote, a number, Latin or an abbreviation before the head noun
        lead, word, tail = match.groups()
        parses = [p for p in morph.parse(word) if "nomn" in p.tag]
        noun = next((p for p in parses if p.tag.POS == "NOUN"), None)
        adjective = next((p for p in parses if p.tag.POS in ("ADJF", "PRTF")), None)
        chosen = noun if noun is not None and (adjective is None or noun.score >= adjective.score) \
            else adjective
        if chosen is None:
            return None
        wanted = {"gent"} | ({"plur"} if "plur" in chosen.tag else set())
        inflected = chosen.inflect(wanted)
        form = inflected.word if inflected is not None else None
        if chosen.tag.POS != "NOUN" and (form is None or form[:len(word) - 2] != word[:-2].casefold()):
            form = _adjective_genitive(word.casefold())  # "Высшая": "Высшей", not another lemma
        if form is None:
            return None
        out[i] = lead + _cased(word, form) + tail
        if chosen.tag.POS == "NOUN":
            return " ".join(out)
    return None  # adjectives only: no head noun


_HUSHING = set("жшщч")
_VELAR = set("гкх")


def _adjective_genitive(word: str) -> str | None:
    """An adjective's genitive by its ending, keeping its stem: -ая → -ой (-ей after ж, ш, щ,
    ч, ц), -яя → -ей, -ый/-ой → -ого, -ий → -ого after г, к, х, else -его, -ое → -ого,
    -ее → -его, -ые → -ых, -ие → -их."""
    stem, end = word[:-2], word[-2:]
    before = stem[-1:] if stem else ""
    if end == "ая":
        return stem + ("ей" if before in _HUSHING or before == "ц" else "ой")
    if end == "ий":
        return stem + ("ого" if before in _VELAR else "его")
    found = {"яя": "ей", "ый": "ого", "ой": "ого", "ое": "ого", "ее": "его", "ые": "ых",
             "ие": "их"}.get(end)
    return stem + found if found else None


_BACK, _FRONT = set("аоұыя"), set("әеөүіэ")
_AFTER_VOWEL = set("аәеёиоөуұүыіэюя")
_SONORANT_N = set("мнң")
_VOICED_D = set("лрйжз")


def kk_genitive(name: str | None) -> str | None:
    """The Kazakh genitive proposed for an organisation's Kazakh name (None: no proposal)."""
    text = (name or "").rstrip()
    match = re.search(r"([\w-]+)([^\w]*)$", text)
    if match is None or match.group(2) or not _cyrillic(match.group(1)):
        return None  # a name ending in a quote or a bracket: printed as written
    word = match.group(1)
    sound = word.casefold()
    if _abbreviation(word):
        sound = {"АҚ": "ақ"}.get(word, sound)  # read as a word
    vowels = [c for c in sound if c in _BACK or c in _FRONT]
    front = bool(vowels) and vowels[-1] in _FRONT
    last = sound[-1]
    if last in ("у", "и"):
        head = "д"  # тау → таудың, ми → мидың
    elif last in _AFTER_VOWEL or last in _SONORANT_N:
        head = "н"
    elif last in _VOICED_D:
        head = "д"
    else:
        head = "т"
    ending = head + ("ің" if front else "ың")
    return text + ("-" if _abbreviation(word) else "") + ending


_KAZAKH_ONLY = set("әғқңөұүһі")


def kazakh(name: str | None) -> bool:
    """Whether a name is written in Kazakh (it has a letter only Kazakh's alphabet has)."""
    return bool(name) and any(c in _KAZAKH_ONLY for c in (name or "").casefold())


def russian(name: str | None) -> bool:
    """Whether a name is written in Russian: Cyrillic, with no letter only Kazakh has."""
    return bool(name) and _cyrillic(name or "") and not kazakh(name)

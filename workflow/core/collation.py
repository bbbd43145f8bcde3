"""Names sorted in the reader's language (pure: no locale of the operating system, which a
server may not have): Kazakh in the Kazakh alphabet (а ә б … і ь э ю я), Russian in the Russian
one (the Kazakh letters beside the Russian letter they are built on), English by the Latin
alphabet; the other script after the reader's own. Case, quotes and punctuation do not count at
the first level (a name in «guillemets» sorts by its first letter); the text itself breaks a
tie."""

from __future__ import annotations

KAZAKH = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
# Russian order, each Kazakh letter right after the Russian one it is built on
RUSSIAN = "аәбвгғдеёжзиійкқлмнңоөпрстуұүфхһцчшщъыьэюя"
_CYRILLIC = {"kk": KAZAKH, "ru": RUSSIAN}


def _rank(char: str, alphabet: str, cyrillic_first: bool) -> tuple[int, int] | None:
    """A letter's or digit's place (None: punctuation and spaces, ignored at the first level)."""
    if char.isdigit():
        return (0, ord(char))
    if char in alphabet:
        return (1 if cyrillic_first else 2, alphabet.index(char))
    if "a" <= char <= "z":
        return (2 if cyrillic_first else 1, ord(char))
    if char.isalpha():  # another script's letter: after both alphabets
        return (3, ord(char))
    return None


def sort_key(text: str, language: str) -> tuple[tuple[tuple[int, int], ...], str]:
    """The key that sorts `text` in `language`'s alphabetical order (kk, ru, en)."""
    alphabet = _CYRILLIC.get(language, RUSSIAN)
    cyrillic_first = language in _CYRILLIC
    folded = text.casefold()
    ranks = tuple(r for r in (_rank(c, alphabet, cyrillic_first) for c in folded)
                  if r is not None)
    return ranks, folded

"""Message catalogues in Kazakh, Russian and English (workflow/locales/*.toml)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
PLURAL_SEPARATOR = "|"
LANGUAGES = ("kk", "ru", "en")


@cache
def catalogue(language: str) -> dict[str, str]:
    """The flat key -> text table of one language."""
    with (LOCALES / f"{language}.toml").open("rb") as fh:
        tree = tomllib.load(fh)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = str(value)

    walk("", tree)
    return flat


class Translator:
    """Looks keys up in one language, falling back to English, formatting {params}."""

    def __init__(self, language: str = "en"):
        self.language = language if language in LANGUAGES else "en"

    def __call__(self, key: str, default: str | None = "", **params: Any) -> str | None:
        text = catalogue(self.language).get(key) or catalogue("en").get(key)
        if text is None:
            return key if default == "" else default
        try:
            return text.format(**params)
        except (KeyError, IndexError):
            return text

    def plural(self, key: str, n: int | float, **params: Any) -> str:
        """The form of a word for the number `n`: catalogue entries hold the forms separated by
        '|' (en: one|other; ru: one|few|many; kk: a single form, numerals take the singular).
        A fraction takes ru's "few" form (1,5 балла) and en's plural (1.5 points)."""
        text = self(key, n=n, **params) or key
        forms = text.split(PLURAL_SEPARATOR)
        return forms[min(plural_index(self.language, n), len(forms) - 1)]


def plural_index(language: str, n: int | float) -> int:
    """CLDR cardinal plural categories: ru one/few/many, en one/other, kk one form."""
    n = abs(n)
    if n != int(n):
        return 0 if language == "kk" else 1
    n = int(n)
    if language == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return 0
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return 1
        return 2
    if language == "kk":
        return 0
    return 0 if n == 1 else 1

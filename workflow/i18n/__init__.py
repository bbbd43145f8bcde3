"""Message catalogues in Kazakh, Russian and English (workflow/locales/*.toml)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
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

"""A name in the reader's language: the one rule every surface follows (kk, ru, en).

A definition names its process, states, events, stages, dates and fields in the three
languages (`{"kk": …, "ru": …, "en": …}`, all three required by the parser); an organisation
has its name and, optionally, a Kazakh and a Russian one. Whoever shows one of them asks
`name_in`: the name in the reader's language, else the English one, else what the caller
falls back to (the key, the code, the organisation's only name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# How a per-period stage's period is named in a language ('2026Q4' -> "4-й квартал 2026 г."):
# the catalogue's words, set by workflow.i18n when it is loaded (the core reads no catalogue).
PERIOD_NAMES: list[Callable[[str, str], str]] = []

# The names of a thing by language ({"kk": …, "ru": …, "en": …}); a language may be missing.
Names = Mapping[str, str | None]


def name_in(names: Names | None, language: str, fallback: str = "") -> str:
    """The name in `language` when there is one, else the English name, else `fallback`
    (no names at all, or only empty ones: the fallback too)."""
    if not names:
        return fallback
    return names.get(language) or names.get("en") or fallback

"""What a Kazakh or Russian reader should never see in a page's or a message's words: an event,
stage, state, date or field key of a shipped definition, a message key of the catalogue, or a
period's code where its name is due (2026Q4, 2026H2, 2026M10)."""

from __future__ import annotations

import re

from workflow.core.definition import BUILTIN_EVIDENCE
from workflow.definitions import load_registry
from workflow.i18n import load


def _definition_keys() -> set[str]:
    """Every event, stage, state, date and field key of every shipped definition."""
    keys: set[str] = set(BUILTIN_EVIDENCE)
    for defn in load_registry().all():
        keys |= set(defn.events) | set(defn.stages) | set(defn.states) | set(defn.evidence)
        keys |= set(defn.fields) | set(defn.dates) | set(defn.programme_stages)
        keys |= set(defn.dynamic_stages)
    return keys


KEYS = _definition_keys()
# Latin words that are keys but also read as themselves in a kk/ru page: "unit", an English
# word of what the demo typed ("Head of unit", a person's position in a register)
ALLOWED_LATIN: set[str] = {"unit"}


def raw_keys(text: str) -> list[str]:
    """The definition keys that appear as words in `text` (a kk or ru reader's text)."""
    words = set(re.findall(r"(?<![\w/.@-])[a-z][a-z0-9_]*(?![\w/@-])", text))
    return sorted(w for w in words & KEYS if w not in ALLOWED_LATIN)


_english = load("en")
MESSAGE_KEYS = set(_english.texts) | set(_english.plurals)
# a period's code (2026Q4, 2026-H2, 2026M10) where its name is due; a year alone reads as
# itself
PERIOD_CODE = re.compile(r"(?<![\w/.-])20\d\d-?(?:Q[1-4]|H[12]|M\d\d?)(?![\w/-])")


def codes_and_keys(text: str) -> list[str]:
    """What a reader should never see: a definition key, a catalogue's message key
    ("score.risk.all") or a period's code, as words of `text`."""
    messages = set(re.findall(r"(?<![\w/.@-])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![\w/@-])",
                              text)) & MESSAGE_KEYS
    return sorted(set(raw_keys(text)) | messages | set(PERIOD_CODE.findall(text)))

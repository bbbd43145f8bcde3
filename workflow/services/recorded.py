"""Every recorded value in words: a case's opening fields and each record's
evidence, labelled in the reader's language and typed, for the case page, its history and a
register's exports.

A definition's own field or evidence is labelled by its names (`name_in`), a built-in piece of
evidence (number, signer, URL, …) by the catalogue's `evidence.KEY`; a choice shows its
choice's name, a whole number its thousands grouped, a date is a date (the page writes it as
it writes every date). What is hidden with the person is left out by the caller
(`case_view`'s `show_person`): these functions label what they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from workflow.core.definition import Definition
from workflow.core.names import name_in
from workflow.services.views import Labelled

GROUP = "\u00a0"  # the thousands separator a page shows (a no-break space: never wrapped)
SHOWN_APART = ("draft",)  # types a page shows in their own way (an announcement's text)


def grouped(number: int) -> str:
    """A whole number with its thousands grouped: 250 000."""
    return f"{number:,}".replace(",", GROUP)


def typed(kind: str, raw: Any) -> Any:
    """A stored value as its type: a date, a whole number; anything unreadable as it is."""
    if kind == "date" and isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return raw
    if kind == "integer" and not isinstance(raw, bool):
        try:
            return int(str(raw).strip())
        except ValueError:
            return raw
    return raw


def _text(kind: str, value: Any, choice_names: Mapping[str, Mapping[str, str | None]],
          language: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return grouped(value)
    text = str(value)
    if kind == "choice" or text in choice_names:
        return name_in(choice_names.get(text), language, text)
    if kind == "links":
        return "; ".join(line.strip() for line in text.splitlines() if line.strip())
    return text


def field_values(defn: Definition, fields: Mapping[str, Any] | None,
                 language: str) -> tuple[Labelled, ...]:
    """A case's fields in the definition's order (then any it no longer declares), labelled."""
    given = {k: v for k, v in (fields or {}).items() if v not in (None, "")}
    out = []
    for key, spec in defn.fields.items():
        if key in given:
            value = typed(spec.type, given.pop(key))
            out.append(Labelled(key, name_in(spec.names, language, key), value,
                                _text(spec.type, value, spec.choice_names, language),
                                spec.type))
    out += [Labelled(k, k, v, str(v), "text") for k, v in given.items()]
    return tuple(out)


def evidence_value(defn: Definition, key: str, raw: Any, language: str, t: Any) -> Labelled:
    """One piece of evidence, labelled (`t`: the reader's catalogue, for the built-ins)."""
    spec = defn.evidence.get(key)
    # a done stage's evidence carries its record's date under "date" (core.decide.done_evidence)
    kind = spec.type if spec is not None else ("date" if key == "date" else "text")
    if spec is not None and spec.names:
        label = name_in(spec.names, language, key)
    else:
        label = t(f"evidence.{key}")
        label = key if label == f"evidence.{key}" else label
    value = typed(kind, raw)
    if (kind == "period" or key == "period") and isinstance(value, str):
        from workflow.i18n import period_name

        return Labelled(key, label, value, period_name(value, language), kind)
    if key == "approver_role" and isinstance(value, str):
        text = t(f"approver.{value}")
        return Labelled(key, label, value, value if text == f"approver.{value}" else text, kind)
    return Labelled(key, label, value,
                    _text(kind, value, spec.choice_names if spec is not None else {}, language),
                    kind)


def evidence_values(defn: Definition, evidence: Mapping[str, Any] | None,
                    language: str) -> tuple[Labelled, ...]:
    """A record's evidence, labelled, in the order it was recorded (an announcement's
    published text left out: the page shows it apart)."""
    if not evidence:
        return ()
    from workflow.i18n import Translator

    t = Translator(language)
    return tuple(evidence_value(defn, k, v, language, t) for k, v in evidence.items()
                 if v not in (None, "")
                 and (defn.evidence[k].type if k in defn.evidence else "") not in SHOWN_APART)


def key_evidence(defn: Definition) -> tuple[str, ...]:
    """A register's key evidence (its export's columns): what its counted stage asks and what
    the events completing it carry, in that order (an announcement's text left out)."""
    counted = defn.scorecard.counted if defn.scorecard is not None else None
    if counted is None or counted not in defn.stages:
        return ()
    keys = list(defn.stages[counted].requires)
    for event in defn.events.values():
        if event.completes == counted:
            keys += [*event.requires, *event.optional, *(k for g in event.evidence_any for k in g)]
    return tuple(k for k in dict.fromkeys(keys)
                 if (defn.evidence[k].type if k in defn.evidence else "") not in SHOWN_APART)


def evidence_label(defn: Definition, key: str, language: str, t: Any) -> str:
    """A piece of evidence's name: the definition's, else the catalogue's built-in one."""
    return evidence_value(defn, key, "", language, t).label


def cell(item: Labelled | None) -> Any:
    """A labelled value as an export's cell: a date, a whole number, else the text."""
    if item is None:
        return None
    if isinstance(item.value, date | int) and not isinstance(item.value, bool):
        return item.value
    return item.text

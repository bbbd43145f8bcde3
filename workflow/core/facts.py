"""The identity of the fact a register entry records (B-23, P-22): one rule, one normaliser.

A **repeat of a fact** is an entry of the same register, organisation, person (compared
without letter case, spacing or punctuation: `person_key`) and kind (the field the register's
`[scorecard.fields]` names `kind`) counting in the same year, whatever dates were typed: HR
types the day a gift was detected or a conflict notified, a procedure's outcome carries its
own day, and both count in one year.

The year is the registers' one year rule (B-17, core/register_spec.py; read by
workflow/registers/entries.py): the year of the named date `year_of`. A register has a fact
identity (`FactRule.of`) when its person is required, its entries have a kind, and that date
is given when an entry is opened (its year is known from the start): the register of
breaches of restrictions (2.5.1-2.5.5). Others keep the opening duplicate rule
(services/case_opening.py): a register without a kind counts several facts of one person in
a year (a manager liable for each conviction of a subordinate, a hire per court act), a
notice counts in the year its letter is sent, a standing document has no person.

The identity is stored on the entry (`process_case.fact_key`: `fact_key`) under a partial
unique index over the standing entries of a register (not withdrawn), so no path and no node
can stand a second entry of one fact (migration 0028). **A second with a reason** (B-23: two
gifts of one person in one year are two facts) carries a distinguishing part, a digest of its
reason (`#` and 12 hex digits): it stands beside the first, and anything that would stand it
twice (restored while the same reason's copy stands) is refused as the first would be. An
entry in a cancelling state (entered by mistake) holds no identity.

An entry opened from, or linked to, a procedure's case also carries that case
(`process_case.fact_source`, its own partial unique index): one standing entry of a register
per procedure's case, whatever its person or dates.

Pure: the services keep the columns (services/facts.py), the migration back-fills them with
`FactRule.of_table` from the stored definition texts.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.core.definition import Definition

KIND_ROLE = "kind"  # the [scorecard.fields] role naming the field that is the fact's kind
SECOND = "#"  # before a second's distinguishing part


def person_key(name: str | None) -> str:
    """A person's name as facts compare it: letter case, spacing and punctuation aside
    ("Ахметов  А.Б." and "ахметов а б" are one person)."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text
                   if not ch.isspace() and not unicodedata.category(ch).startswith(("P", "S"))
                   and ch != SECOND and ch != "|")


@dataclass(frozen=True, slots=True)
class FactRule:
    """What makes a register's entries one fact: the named date whose year they count in and
    the field that is their kind (None: the register is the kind)."""

    year_of: str
    kind: str | None = None

    @classmethod
    def of(cls, defn: Definition) -> FactRule | None:
        """The rule of a loaded definition (None: its entries have no fact identity)."""
        spec = defn.scorecard
        if spec is None or not spec.is_register or spec.year_of is None \
                or defn.parties.person != "required":
            return None
        named = defn.dates.get(spec.year_of)
        kind = spec.fields.get(KIND_ROLE)
        if named is None or named.given != "required" or kind is None:
            return None
        return cls(spec.year_of, kind)

    @classmethod
    def of_table(cls, table: Mapping[str, Any]) -> FactRule | None:
        """The same rule read from a definition's TOML as parsed (the migration's back-fill)."""
        card = table.get("scorecard") or {}
        year_of = card.get("year_of")
        if not card.get("indicator") or not year_of \
                or (table.get("parties") or {}).get("person") != "required":
            return None
        kind = (card.get("fields") or {}).get(KIND_ROLE)
        if ((table.get("dates") or {}).get(year_of) or {}).get("given") != "required" \
                or kind is None:
            return None
        return cls(str(year_of), str(kind))

    def year(self, dates: Mapping[str, Any]) -> int | None:
        """The counting year: the year of the named date (a date or its ISO text)."""
        value = dates.get(self.year_of)
        if value in (None, ""):
            return None
        return (value if isinstance(value, date) else date.fromisoformat(str(value)[:10])).year

    def fact(self, person: str | None, fields: Mapping[str, Any] | None,
             dates: Mapping[str, Any] | None) -> str | None:
        """The fact an entry records, its organisation aside: person, kind and year (None:
        no person or no year, no identity)."""
        who = person_key(person)
        year = self.year(dates or {})
        if not who or year is None:
            return None
        kind = str((fields or {}).get(self.kind) or "") if self.kind else ""
        return f"{who}|{kind}|{year}"


def second_part(reason: str | None) -> str:
    """The distinguishing part of a second entry of a fact: a digest of its reason (spacing
    and letter case aside); empty without one."""
    text = " ".join((reason or "").split()).casefold()
    if not text:
        return ""
    return SECOND + hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def fact_key(subject_id: int, fact: str | None, reason: str | None = None) -> str | None:
    """The stored identity: organisation, fact and, for a second, its reason's part."""
    if fact is None:
        return None
    return f"{subject_id}|{fact}{second_part(reason)}"


def fact_of_key(key: str | None) -> str | None:
    """The fact of a stored identity, its second's part aside (what a repeat compares)."""
    if not key:
        return None
    return key.split(SECOND, 1)[0]

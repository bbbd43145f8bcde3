"""The identity of the fact a register entry records (B-23, P-22): one rule, one normaliser.

A **repeat of a fact** is an entry of the same register, organisation, person (compared
after one normalisation, B-26: `person_text` -- NFKC, invisible characters removed, Latin
look-alikes in a Cyrillic name read as Cyrillic, ё as е, letter case aside -- then without
spacing or punctuation: `person_key`) and kind (the field the register's
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

A **probable repeat** (B-26, `probable_same`, `FactRule.probable`): the same kind and year, a
name that differs only by initials for given names, word order, a missing patronymic or
Kazakh letters against their Russian look-alikes. It is not the identity: every path shows it
beside the standing entry (the duplicate rule's refusal names it), to be linked or kept with a
reason, never merged silently.

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


# Latin letters that look Cyrillic, read as the Cyrillic ones in a name written in Cyrillic
# (after casefold: "A", "a" are both "a"): a, b (В), c, e, h (Н), i (і), k, m, o, p, t, x, y
_LOOKALIKES = str.maketrans("abcehikmoptxy", "авсенікмортху")
# Kazakh letters against their Russian look-alikes: a name differing only by them is a
# probable repeat (B-26), never the same identity
_KAZAKH = str.maketrans("ұүқғңіөәһ", "уукгниоах")


def person_text(name: str | None) -> str:
    """A person's name as one person is written (B-26): NFKC; soft hyphens, zero-width
    characters and other invisible format characters removed; letter case aside; ё as е;
    in a name written in Cyrillic, Latin letters that look Cyrillic read as Cyrillic;
    spaces collapsed. The one normaliser every path that compares people asks."""
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").casefold()
    text = text.replace("ё", "е")
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        text = text.translate(_LOOKALIKES)
    return " ".join(text.split())


def person_key(name: str | None) -> str:
    """A person's name as facts compare it, the identity (B-23, B-26): `person_text`, then
    spacing and punctuation aside ("Ахметов  А.Б." and "ахметов а б" are one person)."""
    return "".join(ch for ch in person_text(name)
                   if not ch.isspace() and not unicodedata.category(ch).startswith(("P", "S"))
                   and ch != SECOND and ch != "|")


def person_words(name: str | None) -> tuple[str, ...]:
    """A name's words as a probable repeat compares them: `person_text`, punctuation as a
    space (the initials "А.Б." are two words), Kazakh letters as their Russian look-alikes."""
    text = "".join(ch if not unicodedata.category(ch).startswith(("P", "S")) else " "
                   for ch in person_text(name))
    return tuple(text.translate(_KAZAKH).split())


def _fits(word: str, other: str) -> bool:
    return word == other or (len(word) == 1 and word.isalpha() and other.startswith(word)) \
        or (len(other) == 1 and other.isalpha() and word.startswith(other))


def _matched(short: list[str], long: list[str], full: bool) -> bool:
    """Every word of `short` fits a word of its own in `long` (equal, or an initial of it),
    at most one word of `long` left over (a missing patronymic: a word of letters), one full
    word equal."""
    if not short:
        return full and (not long or (len(long) == 1 and len(long[0]) > 1
                                      and long[0].isalpha()))
    head, rest = short[0], short[1:]
    for i, word in enumerate(long):
        if _fits(head, word) and _matched(
                rest, long[:i] + long[i + 1:],
            full or (head == word and len(head) > 1 and head.isalpha())):
            return True
    return False


def probable_keys(name: str | None) -> frozenset[tuple[str, ...]]:
    """Keys two names that are a probable repeat share at least one of (`probable_same`
    decides; these find the candidates among many at once, as an import must): the name's
    words in any order, with one word dropped (a name of three words or more), each with every
    word but one full word reduced to its initial."""
    words = person_words(name)
    groups = [words, *((words[:i] + words[i + 1:] for i in range(len(words)))
                       if len(words) >= 3 else ())]
    out: set[tuple[str, ...]] = set()
    for group in groups:
        out.add(tuple(sorted(group)))
        for i, kept in enumerate(group):
            if len(kept) > 1 and kept.isalpha():
                out.add(tuple(sorted([kept, *(w[0] if w.isalpha() else w
                                              for j, w in enumerate(group) if j != i)])))
    return frozenset(out)


def probable_same(one: str | None, other: str | None) -> bool:
    """Whether two names are a **probable repeat** of one person (B-26): the same identity
    (`person_key`), or names differing only by initials for given names, word order, a
    missing patronymic, or Kazakh letters against their Russian look-alikes. Never the
    identity: the caller shows it beside the standing entry, to be linked or kept with a
    reason."""
    if not person_key(one) or not person_key(other):
        return False
    if person_key(one) == person_key(other):
        return True
    a, b = person_words(one), person_words(other)
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if sorted(short) == sorted(long):
        return True
    if len(short) < 2 or len(long) - len(short) > 1:
        return False
    return _matched(list(short), list(long), False)


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

    def kind_year(self, fields: Mapping[str, Any] | None,
                  dates: Mapping[str, Any] | None) -> str | None:
        """What a fact is beside its person: its kind and counting year (None: no year)."""
        year = self.year(dates or {})
        if year is None:
            return None
        kind = str((fields or {}).get(self.kind) or "") if self.kind else ""
        return f"{kind}|{year}"

    def fact(self, person: str | None, fields: Mapping[str, Any] | None,
             dates: Mapping[str, Any] | None) -> str | None:
        """The fact an entry records, its organisation aside: person, kind and year (None:
        no person or no year, no identity)."""
        who = person_key(person)
        rest = self.kind_year(fields, dates)
        if not who or rest is None:
            return None
        return f"{who}|{rest}"

    def probable(self, person: str | None, fields: Mapping[str, Any] | None,
                 dates: Mapping[str, Any] | None, other_person: str | None,
                 other_fields: Mapping[str, Any] | None,
                 other_dates: Mapping[str, Any] | None) -> bool:
        """Whether two entries are a **probable repeat** (B-26): the same kind and counting
        year, their persons' names probably one person's but not the same identity."""
        mine = self.kind_year(fields, dates)
        return mine is not None and mine == self.kind_year(other_fields, other_dates) \
            and probable_person(person, other_person)


def probable_person(one: str | None, other: str | None) -> bool:
    """Whether two entries of one kind and year are a probable repeat by their persons' names:
    probably one person (`probable_same`) but not the same identity (that is a repeat)."""
    return person_key(one) != person_key(other) and probable_same(one, other)


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

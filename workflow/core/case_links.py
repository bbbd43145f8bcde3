"""A procedure's `[[link]]` tables as typed specs: which outcome of the procedure is a fact of a
register of projects No. 2-4, and what the register entry takes over from the case (P-22: a
procedure of 002 and a register entry of project 2 are one fact when linked; the score counts
the entry, the procedure is its history). Read once when the file loads (its model,
`LinkTable`, is the format's: workflow/definitions/schema.py); pure.

    [[link]]
    on = "not_handed_over"              # the outcome event: recorded, it offers the entry
    opens = "restriction_breach"        # the register's process key
    values = { kind = "reward_or_gift" }  # the entry's fields set to a fixed value
    carry = { detected = "on" }         # the entry's field or date <- this case's key
    ask = []                            # required fields the confirmation asks the officer
    record = { event = "gift_handed_over", evidence = { receipt_act = "receipt_act" } }
    source = "002:L164; 000:L1157-1199"

`carry` maps a field or given date of the register to a named date, a field or an evidence
key of this case (an evidence key is read from the outcome's record), or to `on`, the day the
outcome was recorded as; a list names several, the first one the case has is taken (a day of
the incident when it is known, else the day of the report). The person and position always
come with the case; its files come unless `files = false`. A required field of the register
that neither the link sets nor the case carries is named in `ask`: the confirmation asks it
(an offence's category, which only the officer knows). `record` records an event of the entry
as it opens, on the outcome's day, with evidence taken from the outcome's record (target key
<- this record's key): the hand-over act of a gift handed over, the letter that sent a
report's materials to the authorities. Whether the register takes these keys is checked when
every definition is loaded (`check_target`), since the register is another file.

The link tables are also what makes two cases one fact at all: a register entry is linked
only to a case whose process has a link opening its register and whose fixed `values` the
entry has (a gift's case to a 2.5.4 entry, never to a 2.5.5 one: services/links.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflow.core.errors import refused

if TYPE_CHECKING:
    from workflow.core.definition import Definition

OUTCOME_DAY = "on"  # in `carry`: the day the outcome event was recorded as


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """One `[[link]]` table: the outcome event, the register it opens, the entry's fixed
    values, what it carries over from the case (target key -> this case's keys, the first
    the case has), whether the case's files go with it, the source lines that make the
    outcome that fact, and the entry's event recorded as it opens (with its evidence: target
    key -> the outcome record's key)."""

    on: str
    opens: str
    values: Mapping[str, str] = field(default_factory=dict)
    carry: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    files: bool = True
    source: str = ""
    ask: tuple[str, ...] = ()
    record: str | None = None
    record_evidence: Mapping[str, str] = field(default_factory=dict)


def check_target(spec: LinkSpec, definition: Definition, target: Definition,
                 where: str) -> None:
    """The register a link opens takes what the link gives it: each key set or carried is a
    field or a given date of the register, a fixed choice one of its choices, a carried date a
    date, every required field and given date is given, and a person it requires comes with
    the case."""
    given = {k for k, d in target.dates.items() if d.given != "none"}
    for key in {**spec.values, **spec.carry}:
        if key not in target.fields and key not in given:
            raise refused(f"{where} {key}", f"{target.key} has no field or given date {key!r}",
                          "link_no_field", process=target.key)
    for key, value in spec.values.items():
        spec_field = target.fields.get(key)
        if spec_field is None:
            raise refused(f"{where} values.{key}", "a date is carried, not set", "link_date_set")
        if spec_field.choices and value not in spec_field.choices:
            choices = ", ".join(spec_field.choices)
            raise refused(f"{where} values.{key}", f"{value!r} is not one of {choices}",
                          "literal_error", expected=f" {choices} (≠ {value!r})")
    for key, names in spec.carry.items():
        for mine in names:
            if key in given and mine != OUTCOME_DAY and mine not in definition.dates \
                    and not (mine in definition.evidence
                             and definition.evidence[mine].type == "date"):
                raise refused(f"{where} carry.{key}", f"{mine!r} is not a date of "
                              f"{definition.key}", "unknown_date", value=mine)
    _check_record(spec, target, where)
    for key in spec.ask:
        if key not in target.fields or key in spec.values or key in spec.carry:
            raise refused(f"{where} ask", f"{key!r} is not a field of {target.key} the link "
                          f"leaves open", "link_ask", value=key,
                          process=target.key)
    missing = [k for k, f in target.fields.items() if f.required_for(spec.values)
               and k not in spec.values and k not in spec.carry and k not in spec.ask]
    missing += [k for k, d in target.dates.items() if d.given == "required"
                and k not in spec.carry]
    if missing:
        raise refused(f"{where} opens", f"{target.key} needs {', '.join(missing)}", "link_needs",
                      process=target.key, keys=", ".join(missing), n=len(missing))
    _check_fact_day(spec, definition, target, where)
    if target.parties.person == "required" and definition.parties.person == "none":
        raise refused(f"{where} opens", f"{target.key} needs a person, {definition.key} has "
                      f"none", "link_person", process=target.key)


def _check_fact_day(spec: LinkSpec, definition: Definition, target: Definition,
                    where: str) -> None:
    """B-27: an entry of a register with a fact identity (core/facts.py) counts in the year
    its procedure's fact occurred, not the day its outcome was recorded: the link carries the
    procedure's declared `[process] fact_day` into the register's counting date, and nothing
    else."""
    from workflow.core.facts import FactRule

    rule = FactRule.of(target)
    if rule is None:
        return
    if definition.fact_day is None or spec.carry.get(rule.year_of) != (definition.fact_day,):
        raise refused(f"{where} carry.{rule.year_of}",
                      f"{target.key} counts in the year of the fact: carry "
                      f"{rule.year_of} = [process] fact_day", "link_fact_day",
                      process=target.key, date=rule.year_of,
                      fact_day=definition.fact_day or "—")


def _check_record(spec: LinkSpec, target: Definition, where: str) -> None:
    """The event a link records on the entry is the register's, with evidence it knows."""
    if spec.record is None:
        return
    if spec.record not in target.events:
        raise refused(f"{where} record.event", f"{target.key} has no event {spec.record!r}",
                      "link_no_event", value=spec.record, process=target.key)
    for key in spec.record_evidence:
        if key not in target.evidence:  # (the built-in evidence is every definition's)
            raise refused(f"{where} record.evidence", f"{target.key} has no evidence {key!r}",
                          "link_no_evidence", value=key, process=target.key)

"""A procedure's `[[link]]` tables as typed specs: which outcome of the procedure is a fact of a
register of projects No. 2-4, and what the register entry takes over from the case (P-22: a
procedure of 002 and a register entry of project 2 are one fact when linked; the score counts
the entry, the procedure is its history). Parsed once when the file loads; pure.

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
from typing import TYPE_CHECKING, Any

from workflow.core.errors import ConfigError

if TYPE_CHECKING:
    from workflow.core.definition import Definition
    from workflow.core.register_spec import Keys

OUTCOME_DAY = "on"  # in `carry`: the day the outcome event was recorded as
LINK_KEYS = frozenset({"on", "opens", "values", "carry", "ask", "files", "source", "record"})
RECORD_KEYS = frozenset({"event", "evidence"})


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


def _mapping(raw: Any, where: str, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in raw.items()):
        raise ConfigError(f"{where}: {what} must be a table of keys to non-empty texts")
    return dict(raw)


def _carry(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: carry must be a table of keys to texts or lists of texts")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        names = [value] if isinstance(value, str) else value
        if not key or not isinstance(names, list) or not names or not all(
                isinstance(n, str) and n for n in names):
            raise ConfigError(f"{where}: carry.{key} must be a text or a list of texts")
        out[key] = tuple(names)
    return out


def _check_carried(carry: Mapping[str, tuple[str, ...]], keys: Keys, where: str) -> None:
    known = keys.dates | keys.values | {OUTCOME_DAY}
    for target, names in carry.items():
        for mine in names:
            if mine not in known:
                raise ConfigError(f"{where}: carry.{target} names {mine!r}, not a date, "
                                  f"field or evidence of this process (nor {OUTCOME_DAY!r})")


def _record(raw: Any, keys: Keys, where: str) -> tuple[str | None, dict[str, str]]:
    """A link's `record` table: the entry's event and its evidence from the outcome's."""
    if raw is None:
        return None, {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: record must be a table (event, evidence)")
    unknown = sorted(set(raw) - RECORD_KEYS)
    if unknown:
        raise ConfigError(f"{where}: record: unknown key {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(RECORD_KEYS))})")
    event = raw.get("event")
    if not isinstance(event, str) or not event:
        raise ConfigError(f"{where}: record.event must name an event of the register")
    evidence = _mapping(raw.get("evidence"), where, "record.evidence")
    for target, mine in evidence.items():
        if mine not in keys.values:
            raise ConfigError(f"{where}: record.evidence.{target} names {mine!r}, not an "
                              f"evidence key of this process")
    return event, evidence


def parse_case_links(raw: Any, keys: Keys, source: str) -> tuple[LinkSpec, ...]:
    """The `[[link]]` tables of a definition, checked against its own keys (the register's
    keys are checked by `check_target` once it is loaded)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: [[link]] must be an array of tables")
    out: list[LinkSpec] = []
    for i, item in enumerate(raw, 1):
        where = f"{source}: link {i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(item) - LINK_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(LINK_KEYS))})")
        on, opens = item.get("on"), item.get("opens")
        if not isinstance(on, str) or on not in keys.events:
            raise ConfigError(f"{where}: on must name an event of this process (not {on!r})")
        if not isinstance(opens, str) or not opens:
            raise ConfigError(f"{where}: opens must name a process")
        values = _mapping(item.get("values"), where, "values")
        carry = _carry(item.get("carry"), where)
        both = sorted(set(values) & set(carry))
        if both:
            raise ConfigError(f"{where}: {', '.join(both)} both set and carried")
        _check_carried(carry, keys, where)
        files = item.get("files", True)
        if not isinstance(files, bool):
            raise ConfigError(f"{where}: files must be true or false")
        text = item.get("source", "")
        if not isinstance(text, str):
            raise ConfigError(f"{where}: source must be a text")
        ask = item.get("ask", [])
        if not isinstance(ask, list) or not all(isinstance(k, str) and k for k in ask):
            raise ConfigError(f"{where}: ask must be a list of field keys")
        record, record_evidence = _record(item.get("record"), keys, where)
        spec = LinkSpec(on, opens, values, carry, files, text, tuple(ask), record,
                        record_evidence)
        if any(o.on == on and o.opens == opens for o in out):
            raise ConfigError(f"{where}: {on} already opens {opens}")
        out.append(spec)
    return tuple(out)


def check_target(spec: LinkSpec, definition: Definition, target: Definition,
                 where: str) -> None:
    """The register a link opens takes what the link gives it: each key set or carried is a
    field or a given date of the register, a fixed choice one of its choices, a carried date a
    date, every required field and given date is given, and a person it requires comes with
    the case."""
    given = {k for k, d in target.dates.items() if d.given != "none"}
    for key in {**spec.values, **spec.carry}:
        if key not in target.fields and key not in given:
            raise ConfigError(f"{where}: {target.key} has no field or given date {key!r}")
    for key, value in spec.values.items():
        spec_field = target.fields.get(key)
        if spec_field is None:
            raise ConfigError(f"{where}: values.{key}: a date is carried, not set")
        if spec_field.choices and value not in spec_field.choices:
            raise ConfigError(f"{where}: values.{key}: {value!r} is not one of "
                              f"{', '.join(spec_field.choices)}")
    for key, names in spec.carry.items():
        for mine in names:
            if key in given and mine != OUTCOME_DAY and mine not in definition.dates \
                    and not (mine in definition.evidence
                             and definition.evidence[mine].type == "date"):
                raise ConfigError(f"{where}: carry.{key}: {mine!r} is not a date of "
                                  f"{definition.key}")
    _check_record(spec, target, where)
    for key in spec.ask:
        if key not in target.fields or key in spec.values or key in spec.carry:
            raise ConfigError(f"{where}: ask: {key!r} is not a field of {target.key} the link "
                              f"leaves open")
    missing = [k for k, f in target.fields.items() if f.required_for(spec.values)
               and k not in spec.values and k not in spec.carry and k not in spec.ask]
    missing += [k for k, d in target.dates.items() if d.given == "required"
                and k not in spec.carry]
    if missing:
        raise ConfigError(f"{where}: {target.key} needs {', '.join(missing)}")
    if target.parties.person == "required" and definition.parties.person == "none":
        raise ConfigError(f"{where}: {target.key} needs a person, {definition.key} has none")


def _check_record(spec: LinkSpec, target: Definition, where: str) -> None:
    """The event a link records on the entry is the register's, with evidence it knows."""
    if spec.record is None:
        return
    if spec.record not in target.events:
        raise ConfigError(f"{where}: record.event: {target.key} has no event {spec.record!r}")
    for key in spec.record_evidence:
        if key not in target.evidence:  # (the built-in evidence is every definition's)
            raise ConfigError(f"{where}: record.evidence: {target.key} has no evidence "
                              f"{key!r}")

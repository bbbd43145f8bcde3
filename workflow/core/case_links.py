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
    source = "002:L164; 000:L1157-1199"

`carry` maps a field or given date of the register to a named date, a field or an evidence
key of this case (an evidence key is read from the outcome's record), or to `on`, the day the
outcome was recorded as. The person and position always come with the case; its files come
unless `files = false`. A required field of the register that neither the link sets nor the
case carries is named in `ask`: the confirmation asks it (an offence's category, which only the
officer knows). Whether the register takes these keys is checked when every definition is
loaded (`check_target`), since the register is another file.
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
LINK_KEYS = frozenset({"on", "opens", "values", "carry", "ask", "files", "source"})


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """One `[[link]]` table: the outcome event, the register it opens, the entry's fixed
    values, what it carries over from the case (target key -> this case's key), whether the
    case's files go with it, and the source lines that make the outcome that fact."""

    on: str
    opens: str
    values: Mapping[str, str] = field(default_factory=dict)
    carry: Mapping[str, str] = field(default_factory=dict)
    files: bool = True
    source: str = ""
    ask: tuple[str, ...] = ()


def _mapping(raw: Any, where: str, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in raw.items()):
        raise ConfigError(f"{where}: {what} must be a table of keys to non-empty texts")
    return dict(raw)


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
        carry = _mapping(item.get("carry"), where, "carry")
        both = sorted(set(values) & set(carry))
        if both:
            raise ConfigError(f"{where}: {', '.join(both)} both set and carried")
        known = keys.dates | keys.values | {OUTCOME_DAY}
        for target, mine in carry.items():
            if mine not in known:
                raise ConfigError(f"{where}: carry.{target} names {mine!r}, not a date, field "
                                  f"or evidence of this process (nor {OUTCOME_DAY!r})")
        files = item.get("files", True)
        if not isinstance(files, bool):
            raise ConfigError(f"{where}: files must be true or false")
        text = item.get("source", "")
        if not isinstance(text, str):
            raise ConfigError(f"{where}: source must be a text")
        ask = item.get("ask", [])
        if not isinstance(ask, list) or not all(isinstance(k, str) and k for k in ask):
            raise ConfigError(f"{where}: ask must be a list of field keys")
        spec = LinkSpec(on, opens, values, carry, files, text, tuple(ask))
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
    for key, mine in spec.carry.items():
        if key in given and mine != OUTCOME_DAY and mine not in definition.dates \
                and not (mine in definition.evidence and definition.evidence[mine].type == "date"):
            raise ConfigError(f"{where}: carry.{key}: {mine!r} is not a date of "
                              f"{definition.key}")
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

"""The `[public]` table of a definition, parsed and checked when the definition is
loaded: what an organisation's public page shows of the process's cases. Never a process about
a person, never evidence that may name one. Pure: no storage, no files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.core.definition import Definition, table_evidence_keys, table_keys
from workflow.core.errors import ConfigError

# Evidence never shown on a public page whatever a definition says: a free note, a signer (a
# person's name), an announcement's kept text (it may name the contact person).
PRIVATE_EVIDENCE = ("note", "signed_by")


@dataclass(frozen=True)
class Public:
    """What an organisation's public page shows of this process's cases: a case is
    listed while a record of `announced_by` stands; it shows the named dates of `period`, and
    for each standing record of `events` its date and the evidence `fields` marked public."""

    announced_by: str
    period: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


def parse_table(raw: Any, definition: Definition, source: str) -> Public:
    """`[public]`: announced_by (an event), period (named dates), events, fields (evidence
    shown); refused for a process about a person and for evidence that may name one."""
    where = f"{source}: [public]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = set(raw) - {"announced_by", "period", "events", "fields"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(sorted(unknown))}")
    if definition.parties.person != "none":
        raise ConfigError(f"{where}: a process about a person is never shown on a public page")
    events = definition.events
    announced = raw.get("announced_by")
    if announced not in events:
        raise ConfigError(f"{where}: announced_by must name an event, not {announced!r}")
    period = table_keys(raw.get("period"), where, "period")
    for name in period:
        if name not in definition.dates:
            raise ConfigError(f"{where}: period names unknown date {name!r}")
    shown = table_keys(raw.get("events"), where, "events")
    for key in shown:
        if key not in events:
            raise ConfigError(f"{where}: events names unknown event {key!r}")
    fields = table_evidence_keys(raw.get("fields"), f"{where}.fields", definition)
    for key in fields:
        if key in PRIVATE_EVIDENCE or definition.evidence[key].type == "draft":
            raise ConfigError(f"{where}: fields may not show {key!r} (it may name a person)")
    return Public(announced, period, shown, fields)


def public_of(definition: Definition) -> Public | None:
    """The [public] table of a loaded definition (None: its cases are never shown)."""
    return definition.features.get("public")

"""The `[drafts]` table of a definition, parsed and checked when the definition is
loaded: which stage has an announcement merzim writes, its template, the record confirming the
publication and the evidence field keeping the published text. Pure: no storage, no files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflow.core.definition import Definition, table_evidence_keys
from workflow.core.errors import ConfigError

TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,64}$")


@dataclass(frozen=True)
class Draft:
    """An announcement merzim writes for a stage: the template it is written from,
    the event whose record confirms the publication, the evidence field of that record that
    keeps the published text, and the evidence fields the officer gives the draft before that
    record exists (the discussion's date and place)."""

    stage: str
    template: str  # LANG/<template>.txt.j2 among the operator's or the shipped templates
    event: str
    stored_as: str
    asks: tuple[str, ...] = ()


def parse_table(raw: Any, definition: Definition, source: str) -> dict[str, Draft]:
    """`[drafts.STAGE]`: template, the event that records the publication (default: the one
    completing the stage), `stored_as` (an evidence field of type "draft") and `asks`."""
    out: dict[str, Draft] = {}
    stages, events, evidence = definition.stages, definition.events, definition.evidence
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [drafts] must be a table")
    for stage, spec in raw.items():
        where = f"{source}: [drafts.{stage}]"
        if stage not in stages:
            raise ConfigError(f"{where}: unknown stage {stage!r}")
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: must be a table")
        template = spec.get("template", stage)
        if not isinstance(template, str) or not TEMPLATE_NAME.match(template):
            raise ConfigError(f"{where}: template must be a name of lower-case letters, digits "
                              f"and _ (the file LANG/NAME.txt.j2)")
        event = spec.get("event") or next((e.key for e in events.values()
                                           if e.completes == stage), None)
        if event not in events:
            raise ConfigError(f"{where}: event {event!r} is not an event of this process")
        stored_as = spec.get("stored_as")
        if stored_as not in evidence or evidence[stored_as].type != "draft":
            raise ConfigError(f"{where}: stored_as must name an evidence field of type "
                              f"\"draft\" (not {stored_as!r})")
        asks = table_evidence_keys(spec.get("asks"), f"{where}.asks", definition)
        if any(evidence[k].type == "draft" for k in asks):
            raise ConfigError(f"{where}: asks names a draft field")
        out[stage] = Draft(stage, template, event, stored_as, asks)
    return out


def drafts_of(definition: Definition) -> dict[str, Draft]:
    """The drafts of a loaded definition, by stage key (none when it has no [drafts])."""
    return definition.features.get("drafts") or {}

"""The `[drafts]` table of a definition, read and checked when the definition is loaded:
which stage has an announcement merzim writes, its template, the record confirming the
publication and the evidence field keeping the published text. Pure: no storage, no files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import StringConstraints

from workflow.core.definition import Definition
from workflow.core.errors import refused
from workflow.core.tables import CheckedRoot, Key, Keys, Table


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


class DraftTable(Table):
    """`[drafts.STAGE]`: an announcement merzim writes from the case."""

    # the template LANG/NAME.txt.j2 (default: the stage's key)
    template: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")] | None = None
    event: Key | None = None  # the record confirming it (default: the one completing the stage)
    stored_as: Key  # its evidence field of type draft keeping the published text
    asks: Keys = ()  # evidence fields the officer gives the draft before the record exists


class Drafts(CheckedRoot[dict[Key, DraftTable]]):
    """`[drafts]`: the announcements, by the stage whose confirming record publishes them."""

    def spec(self, definition: Definition, source: str = "") -> dict[str, Draft]:
        """The drafts by stage, each checked against the definition's keys."""
        out: dict[str, Draft] = {}
        stages, events, evidence = definition.stages, definition.events, definition.evidence
        for stage, t in self.root.items():
            where = f"{source}: [drafts.{stage}]"
            if stage not in stages:
                raise refused(where, f"unknown stage {stage!r}",
                              "unknown_stage", value=stage)
            event = t.event or next((e.key for e in events.values() if e.completes == stage),
                                    None)
            if event not in events:
                raise refused(f"{where}.event", f"event {event!r} is not an event of "
                              f"this process", "unknown_event",
                              value=event)
            if t.stored_as not in evidence or evidence[t.stored_as].type != "draft":
                raise refused(f"{where}.stored_as", f"stored_as must name an evidence "
                              f"field of type \"draft\" (not {t.stored_as!r})",
                              "draft_stored_as", value=t.stored_as)
            for key in t.asks:
                if key not in evidence:
                    raise refused(f"{where}.asks", f"unknown evidence {key!r} "
                                  f"(known: {', '.join(evidence)})",
                                  "unknown_evidence", value=key)
            if any(evidence[k].type == "draft" for k in t.asks):
                raise refused(f"{where}.asks", "asks names a draft field",
                              "draft_asks")
            out[stage] = Draft(stage, t.template or stage, event, t.stored_as, t.asks)
        return out


def drafts_of(definition: Definition) -> dict[str, Draft]:
    """The drafts of a loaded definition, by stage key (none when it has no [drafts])."""
    return definition.features.get("drafts") or {}

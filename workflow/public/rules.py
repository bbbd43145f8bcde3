"""The `[public]` table of a definition, read and checked when the definition is loaded: what
an organisation's public page shows of the process's cases. Never a process about a person,
never evidence that may name one. Pure: no storage, no files."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationInfo, model_validator

from workflow.core.definition import Definition
from workflow.core.errors import refused
from workflow.core.tables import Key, Keys, Table

# Evidence never shown on a public page whatever a definition says: a free note, a signer (a
# person's name), an announcement's kept text (it may name the contact person).
PRIVATE_EVIDENCE = ("note", "signed_by")


class Public(Table):
    """`[public]`: a case is listed while a record of `announced_by` stands; it shows the named
    dates of `period`, and for each standing record of `events` its date and the evidence
    `fields` marked public."""

    # the rule across tables the published schema states (a process about a person: never)
    DOCUMENT_RULES: ClassVar[list[dict[str, Any]]] = [{
        "if": {"required": ["public"]},
        "then": {"properties": {"parties": {"properties": {"person": {"const": "none"}}}}}}]

    announced_by: Key
    period: Keys = ()
    events: Keys = ()
    fields: Annotated[Keys, Field(json_schema_extra={"not": {"anyOf": [  # (never these)
        {"enum": list(PRIVATE_EVIDENCE)},
        {"type": "array", "contains": {"enum": list(PRIVATE_EVIDENCE)}}]}})] = ()

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Public:
        definition: Definition = (info.context or {})["definition"]
        where = f"{info.context['source']}: [public]"  # type: ignore[index]
        if definition.parties.person != "none":
            raise refused(where, "a process about a person is never shown on a "
                          "public page", "public_person")
        if self.announced_by not in definition.events:
            raise refused(f"{where}.announced_by", f"announced_by must name an event, "
                          f"not {self.announced_by!r}", "unknown_event",
                          value=self.announced_by)
        for name in self.period:
            if name not in definition.dates:
                raise refused(f"{where}.period", f"period names unknown date {name!r}",
                              "unknown_date", value=name)
        for key in self.events:
            if key not in definition.events:
                raise refused(f"{where}.events", f"events names unknown event {key!r}",
                              "unknown_event", value=key)
        for key in self.fields:
            if key not in definition.evidence:
                raise refused(f"{where}.fields", f"unknown evidence {key!r} "
                              f"(known: {', '.join(definition.evidence)})",
                              "unknown_evidence", value=key)
            if key in PRIVATE_EVIDENCE or definition.evidence[key].type == "draft":
                raise refused(f"{where}.fields", f"fields may not show {key!r} (it may "
                              f"name a person)", "public_private",
                              value=key)
        return self


def public_of(definition: Definition) -> Public | None:
    """The [public] table of a loaded definition (None: its cases are never shown)."""
    return definition.features.get("public")

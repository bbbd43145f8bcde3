"""The `[public]` table of a definition, read and checked when the definition is loaded: what
an organisation's public page shows of the process's cases. Never a process about a person,
never evidence that may name one. Pure: no storage, no files."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationInfo, model_validator

from workflow.core.definition import Definition
from workflow.core.errors import ConfigError
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
            raise ConfigError(f"{where}: a process about a person is never shown on a public "
                              f"page")
        if self.announced_by not in definition.events:
            raise ConfigError(f"{where}: announced_by must name an event, not "
                              f"{self.announced_by!r}")
        for name in self.period:
            if name not in definition.dates:
                raise ConfigError(f"{where}: period names unknown date {name!r}")
        for key in self.events:
            if key not in definition.events:
                raise ConfigError(f"{where}: events names unknown event {key!r}")
        for key in self.fields:
            if key not in definition.evidence:
                raise ConfigError(f"{where}.fields: unknown evidence {key!r} (known: "
                                  f"{', '.join(definition.evidence)})")
            if key in PRIVATE_EVIDENCE or definition.evidence[key].type == "draft":
                raise ConfigError(f"{where}: fields may not show {key!r} (it may name a person)")
        return self


def public_of(definition: Definition) -> Public | None:
    """The [public] table of a loaded definition (None: its cases are never shown)."""
    return definition.features.get("public")

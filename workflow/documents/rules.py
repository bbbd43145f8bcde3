"""Which document confirms which stage: the feature's own data (documents.toml, read by
`texts.documents`) and the `[papers]` table a definition carries (an operator's procedure
declares its own papers, read when the definition loads): the document's key, its stage, the
event its signed scan is recorded by, what of the records it prints, and its names. Pure: no
file, no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.core.definition import BUILTIN_EVIDENCE, Definition
from workflow.core.errors import refused


@dataclass(frozen=True)
class Document:
    """A document of a process: it confirms `stage` (a stage made per period: its key before
    ":", the period named by the record's `per_period` evidence field), recorded by `event`."""

    process: str
    key: str
    stage: str
    event: str
    names: dict[str, str]
    template: str
    per_period: str | None = None
    related: tuple[tuple[str, str], ...] = ()  # other stages it reads, by role: (role, key)
    signer_from: tuple[str, ...] = ()  # the records whose signer signs it before its own
    records_risks: bool = False  # its place records the risks it carries (the analytic note)
    # what the records say that it prints, by fact (RECORDED): (fact, "EVENT.FIELD"), e.g. the
    # methods kept with the order's record (documents.md D-3); unrecorded: a visible blank
    recorded: tuple[tuple[str, str], ...] = ()
    programme: bool = False  # drafted from a programme (a subject's year), not from a case
    # the records' evidence it prints, "EVENT.FIELD" each (`records.EVENT.FIELD`; a record
    # not made or a field not given: a visible blank)
    prints: tuple[str, ...] = ()
    # whether its signed scan confirms its stage (False: a paper drafted beside the stage that
    # confirms none, e.g. the employee's own notice, which the case starts with; its page
    # offers the draft, not the recording, and it prints no date or number of its own)
    confirms: bool = True
    # whether it carries the person of a case whose person is protected (a whistleblower's,
    # D-9): only where her procedure requires her name; drafting it is audited as a disclosure
    person: bool = False

    def recorded_field(self, fact: str) -> tuple[str, str] | None:
        """The record (event) and its evidence field a fact is read from, if the data names
        one."""
        where = dict(self.recorded).get(fact)
        if not where:
            return None
        event, _, field = where.partition(".")
        return event, field

    def related_stage(self, role: str) -> str:
        return dict(self.related).get(role, "")

    def confirms_stage(self, stage: str) -> bool:
        """Whether this document confirms the stage of this key (a period's: "KEY:PERIOD")."""
        if self.per_period:
            return stage.split(":", 1)[0] == self.stage and ":" in stage
        return stage == self.stage

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.key


# The facts a document may read from a record's evidence (`recorded`): the analysis's methods,
# the working group's members ("name, position" separated by ";") and the unit conducting it;
# the public discussion's place, participants (as members), proposals and decisions (each
# separated by ";"); the reason the note and the plan are not published.
RECORDED = ("methods", "members", "unit", "place", "participants", "proposals", "decisions",
            "justification")


def parse(raw: dict[str, Any]) -> dict[str, dict[str, Document]]:
    """Every process's documents from the parsed documents.toml, by process key then document
    key, in the file's order."""
    return {process: {key: Document(process, key, spec["stage"], spec["event"],
                                    dict(spec["names"]), spec.get("template", key),
                                    spec.get("per_period"),
                                    tuple(dict(spec.get("related", {})).items()),
                                    tuple(spec.get("signer_from", ())),
                                    bool(spec.get("records_risks", False)),
                                    _recorded(process, key, spec.get("recorded", {})),
                                    programme=bool(spec.get("programme", False)),
                                    prints=tuple(spec.get("prints", ())),
                                    confirms=bool(spec.get("confirms", True)),
                                    person=bool(spec.get("person", False)))
                      for key, spec in table.items()}
            for process, table in raw.items()}


def _recorded(process: str, key: str, raw: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A document's `recorded` table: each fact of RECORDED read from "EVENT.FIELD"."""
    for fact, where in raw.items():
        if fact not in RECORDED or not isinstance(where, str) or "." not in where.strip("."):
            raise ValueError(f"documents.toml {process}.{key}.recorded: {fact} = {where!r} "
                             f"(a fact of {', '.join(RECORDED)} = \"EVENT.FIELD\")")
    return tuple((fact, str(where)) for fact, where in raw.items())


def for_stage(documents: dict[str, Document], stage: str,
              programme: bool = False) -> Document | None:
    """The document (of one process's) confirming a stage, if any: a case's stage, or with
    `programme` a programme's own stage (the schedule's approval); a stage only papers that
    confirm nothing are drafted beside: the first of them."""
    found = of_stage(documents, stage, programme)
    return next((d for d in found if d.confirms), found[0] if found else None)


def of_stage(documents: dict[str, Document], stage: str,
             programme: bool = False) -> list[Document]:
    """Every document drafted beside a stage, in the order they are declared."""
    return [d for d in documents.values()
            if d.programme == programme and d.confirms_stage(stage)]


def addressed(documents: dict[str, Document], name: str) -> tuple[Document, str] | None:
    """The document a case's page, the command line and the API address by `name`, with the
    stage it is drafted beside: the stage's own document by the stage's key, another paper
    drafted beside a stage by its own key."""
    doc = for_stage(documents, name)
    if doc is not None:
        return doc, name
    doc = documents.get(name)
    if doc is not None and not doc.per_period and not doc.programme:
        return doc, doc.stage
    return None


def address(documents: dict[str, Document], doc: Document, stage: str) -> str:
    """How a document is addressed (`addressed`): by its stage when it is the stage's own, by
    its key when another document is."""
    return stage if for_stage(documents, stage) is doc else doc.key


# -- a definition's own papers: its `[papers]` table (the model: table.py) -----------------

def check_paper(definition: Definition, doc: Document, where: str) -> None:
    """Refuse a paper naming a stage, an event or an evidence field its process has not."""
    if doc.stage not in definition.stages:
        raise refused(f"{where}.stage", f"unknown stage {doc.stage!r}", "unknown_stage",
                      value=doc.stage)
    if doc.event not in definition.events:
        raise refused(f"{where}.event", f"event {doc.event!r} is not an event of this process",
                      "unknown_event", value=doc.event)
    for printed in doc.prints:
        event, _, field = printed.partition(".")
        if event not in definition.events or not (
                field in definition.evidence or field in BUILTIN_EVIDENCE):
            raise refused(f"{where}.prints", f"{printed!r} is not an event's evidence "
                          f"(EVENT.FIELD)", "unknown_evidence", value=printed)


def papers_of(definition: Definition) -> dict[str, Document]:
    """The papers a definition declares itself (its `[papers]` table; none: empty)."""
    return definition.features.get("papers") or {}

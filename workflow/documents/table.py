"""The model of a definition's `[papers]` table (an operator's procedure declares its own
papers; read when the definition loads): apart from rules.py, so that what merely asks which
document confirms which stage (the settings, a quick command) never imports pydantic."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from workflow.core.definition import Definition
from workflow.core.tables import CheckedRoot, Key, Keys, Names, Table
from workflow.documents.rules import Document, check_paper

TemplateName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]


class PaperTable(Table):
    """`[papers.KEY]`: a paper merzim drafts from a case of this process, as DOCX from the
    template LANG/<template>.docx of the operator's templates folder (config.toml [documents]
    templates) or the shipped ones."""

    stage: Key  # the stage it confirms
    event: Key | None = None  # the record its signed scan is (default: the one completing it)
    template: TemplateName | None = None  # default: the paper's key
    prints: Keys = ()  # the records' evidence it prints, "EVENT.FIELD" each
    names: Names  # its name in kk, ru and en
    confirms: bool = True  # false: drafted beside the stage, its signed scan confirms nothing
    # true: it carries a protected person (her procedure requires her name, D-9); drafting it
    # is audited as a disclosure. False: a protected person is a blank in it
    person: bool = False


class Papers(CheckedRoot[dict[Key, PaperTable]]):
    """`[papers]`: the papers of a process, by key, each confirming one of its stages."""

    def spec(self, definition: Definition, source: str = "") -> dict[str, Document]:
        """The papers by key, each checked against the definition's stages, events and
        evidence."""
        out: dict[str, Document] = {}
        for key, t in self.root.items():
            where = f"{source}: [papers.{key}]"
            event = t.event or next((e.key for e in definition.events.values()
                                     if e.completes == t.stage), None)
            out[key] = Document(definition.key, key, t.stage, event or "", dict(t.names),
                                t.template or key, prints=tuple(t.prints),
                                confirms=t.confirms, person=t.person)
            check_paper(definition, out[key], where)
        return out

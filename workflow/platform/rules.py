"""The implementation map of the cross-platform (000:L43-79) as data: projects, tasks and
sub-tasks with their names and the stages or events whose records confirm each sub-task, who
may approve a confirming document by the kind of organisation (000:L45-47, L59-69), and the
rule that turns a name into a folder or file name safe in a ZIP and on Windows.

Nothing here reads a file: `workflow.platform.map` does, and hands the parsed document
to `parse_map` with the loaded definitions to check it against.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from workflow.core.definition import LANGUAGES, Definition
from workflow.core.errors import ConfigError
from workflow.core.kinds import APPROVER_ROLES, ORG_KINDS

# The approver check of one document, as the manifests name it; a report form merzim writes is
# one to sign (TO_SIGN: its approval block is blank until the approver signs the printout).
OK, MISSING, NOT_ALLOWED, NOT_NEEDED = "ok", "missing", "not_allowed", "not_needed"
TO_SIGN = "to_sign"
# The report forms of the Instruction (000:L1762-2143: appendices 1-6), as a sub-task names them.
# A document needs an approver when it is one (a number, a signer or a file), not a link only.
DOCUMENT_FIELDS = ("number", "signed_by")

# Characters Windows refuses in a file name, and what each becomes (docs/officer-guide.md).
REPLACE = {'"': "'", "/": "-", "\\": "-", "|": "-", ":": ".", "<": "«", ">": "»",
           "?": "", "*": ""}
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                   *(f"LPT{i}" for i in range(1, 10))}
# Longest folder or file name in UTF-8 bytes: Linux and macOS allow 255 bytes a name, and a
# Kazakh letter takes two, so a 220-character heading would not unpack there.
NAME_BYTES = 240


@dataclass(frozen=True)
class Document:
    """What confirms a sub-task: the records completing a stage of a process's cases (or a
    programme's own stage), or every record of an event."""

    process: str
    stage: str | None = None
    event: str | None = None


@dataclass(frozen=True)
class SubTask:
    key: str  # "1.2.3": project, task and sub-task codes
    code: int
    names: dict[str, str]
    source: str
    documents: tuple[Document, ...]
    forms: tuple[int, ...] = ()  # the report forms (appendix numbers) that confirm it


@dataclass(frozen=True)
class Heading:
    """A project or a task of the map: its number, its names and the source that sets it."""

    code: int
    names: dict[str, str]
    source: str


@dataclass(frozen=True)
class Task(Heading):
    subtasks: tuple[SubTask, ...]


@dataclass(frozen=True)
class Project(Heading):
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class PlatformMap:
    projects: tuple[Project, ...]
    approvers: dict[str, tuple[str, ...]]  # organisation kind -> roles that may approve

    def subtasks(self) -> list[tuple[Project, Task, SubTask]]:
        """Every sub-task with its project and task, in the map's order."""
        return [(p, t, st) for p in self.projects for t in p.tasks for st in t.subtasks]

    def find(self, key: str) -> tuple[Project, Task, SubTask] | None:
        return next((row for row in self.subtasks() if row[2].key == key), None)

    def processes(self) -> set[str]:
        return {d.process for _, _, st in self.subtasks() for d in st.documents}

    def forms(self) -> set[int]:
        """Every report form some sub-task carries."""
        return {n for _, _, st in self.subtasks() for n in st.forms}

    def approver_check(self, kind: str, evidence: dict[str, Any], files: int) -> str:
        """Whether a record's approver may approve it for an organisation of `kind`: a link
        alone needs no approver; a document (number, signer or file) needs one the map allows."""
        if not files and not any(evidence.get(k) for k in DOCUMENT_FIELDS):
            return NOT_NEEDED
        role = evidence.get("approver_role")
        if not role:
            return MISSING
        return OK if role in self.approvers.get(kind, ()) else NOT_ALLOWED


def parse_map(doc: dict[str, Any], source: str, definitions: dict[str, Definition]
              ) -> PlatformMap:
    """A parsed map document checked against the loaded definitions: every name in kk, ru and
    en, codes unique among siblings, documents naming a stage or event of a loaded process that
    is not about a person, approvers naming known kinds and roles."""
    approvers = _approvers(doc.get("approvers"), f"{source}: [approvers]")
    projects = []
    for i, raw in enumerate(_list(doc.get("project"), f"{source}: project")):
        where = f"{source}: project[{i}]"
        pcode = _code(raw, where)
        tasks = []
        for j, traw in enumerate(_list(raw.get("task"), f"{where}.task")):
            twhere = f"{where}.task[{j}]"
            tcode = _code(traw, twhere)
            subtasks = []
            for k, sraw in enumerate(_list(traw.get("subtask"), f"{twhere}.subtask")):
                swhere = f"{twhere}.subtask[{k}]"
                scode = _code(sraw, swhere)
                docs = tuple(_document(d, f"{swhere}.documents[{n}]", definitions)
                             for n, d in enumerate(_list(sraw.get("documents"),
                                                         f"{swhere}.documents")))
                subtasks.append(SubTask(f"{pcode}.{tcode}.{scode}", scode,
                                        _names(sraw, swhere), str(sraw.get("source", "")), docs,
                                        _forms(sraw.get("forms"), f"{swhere}.forms")))
            _unique([s.code for s in subtasks], f"{twhere}.subtask")
            tasks.append(Task(tcode, _names(traw, twhere), str(traw.get("source", "")),
                              tuple(subtasks)))
        _unique([t.code for t in tasks], f"{where}.task")
        projects.append(Project(pcode, _names(raw, where), str(raw.get("source", "")),
                                tuple(tasks)))
    _unique([p.code for p in projects], f"{source}: project")
    return PlatformMap(tuple(projects), approvers)


def _list(raw: Any, where: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise ConfigError(f"{where}: must be a list of tables")
    return raw


def _code(raw: dict[str, Any], where: str) -> int:
    code = raw.get("code")
    if isinstance(code, bool) or not isinstance(code, int) or code < 1:
        raise ConfigError(f"{where}: code must be a whole number of 1 or more")
    return code


def _unique(codes: list[int], where: str) -> None:
    seen = [c for i, c in enumerate(codes) if c in codes[:i]]
    if seen:
        raise ConfigError(f"{where}: code {seen[0]} is used twice")


def _names(raw: dict[str, Any], where: str) -> dict[str, str]:
    names = raw.get("names")
    if not isinstance(names, dict):
        raise ConfigError(f"{where}: names = {{ kk = ..., ru = ..., en = ... }} is missing")
    for lang in LANGUAGES:
        value = names.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: no name in {lang}")
    return {lang: names[lang] for lang in LANGUAGES}


def _document(raw: dict[str, Any], where: str, definitions: dict[str, Definition]) -> Document:
    process, stage, event = raw.get("process"), raw.get("stage"), raw.get("event")
    defn = definitions.get(process) if isinstance(process, str) else None
    if defn is None:
        raise ConfigError(f"{where}: no process {process!r}")
    if defn.parties.person != "none":
        raise ConfigError(f"{where}: {process} is about a person; its records never go into "
                          f"a package")
    if (stage is None) == (event is None):
        raise ConfigError(f"{where}: name either a stage or an event")
    if stage is not None and stage not in defn.stages and stage not in defn.programme_stages:
        raise ConfigError(f"{where}: {process} has no stage {stage!r}")
    if event is not None and event not in defn.events:
        raise ConfigError(f"{where}: {process} has no event {event!r}")
    return Document(defn.key, stage, event)


def _forms(raw: Any, where: str) -> tuple[int, ...]:
    """`forms = [2, 3]`: appendices of the Instruction, each once."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or any(isinstance(n, bool) or not isinstance(n, int) or n < 1
                                        for n in raw):
        raise ConfigError(f"{where}: must be a list of appendix numbers (1, 2, …)")
    twice = [n for i, n in enumerate(raw) if n in raw[:i]]
    if twice:
        raise ConfigError(f"{where}: appendix {twice[0]} is named twice")
    return tuple(raw)


def _approvers(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: missing (organisation kind = [roles])")
    out = {}
    for kind, roles in raw.items():
        if kind not in ORG_KINDS:
            raise ConfigError(f"{where}: unknown organisation kind {kind!r} "
                              f"(known: {', '.join(ORG_KINDS)})")
        if not isinstance(roles, list) or not all(r in APPROVER_ROLES for r in roles):
            raise ConfigError(f"{where}: {kind}: roles must be a list of some of "
                              f"{', '.join(APPROVER_ROLES)}")
        out[kind] = tuple(roles)
    return out


def safe_name(text: str, limit: int = NAME_BYTES) -> str:
    """A name as a folder or file name in a ZIP, on Windows, Linux and macOS: the characters
    Windows refuses replaced (`REPLACE`), control characters dropped, runs of spaces made one,
    no dot or space at the end, a device name (CON, NUL…) followed by "_", and at most `limit`
    bytes of UTF-8 -- a longer name cut at a word and ended with "…". Everything else, «» and
    № included, is kept as written."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))
    text = "".join(REPLACE.get(c, c) for c in text if unicodedata.category(c)[0] != "C")
    text = re.sub(r" +", " ", text).strip().rstrip(". ")
    if text.split(".")[0].upper() in WINDOWS_DEVICES:
        text += "_"
    if len(text.encode("utf-8")) > limit:
        cut = text.encode("utf-8")[:limit - len("…".encode())].decode("utf-8", "ignore")
        if " " in cut:
            cut = cut[:cut.rindex(" ")]
        text = cut.rstrip(" .,;") + "…"
    return text or "_"


def safe_file_name(name: str, limit: int = NAME_BYTES) -> str:
    """A file's name made safe as `safe_name` does, its extension kept whole."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        return safe_name(name, limit)
    ext = safe_name(ext, 20)
    return f"{safe_name(stem, limit - len(ext.encode()) - 1)}.{ext}"

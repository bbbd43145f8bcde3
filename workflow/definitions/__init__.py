"""The registry of process definitions: every `*.toml` shipped in this folder and in the
directories `config.toml` names (`[processes] dirs`), read and validated at start — or, for a
command that shows one case (`load_registry(lazy=True)`), indexed by key at start and each
parsed when first asked for (`Definitions`); `Registry.check()`, `all()` and the eager load run
every check.

A broken file is refused with the file, the entry and the reason. A case keeps the version
of the definition it was opened with: the storage layer keeps each version's text, and the
registry parses an older version from it when a case needs it (`Registry.version`).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workflow.core.definition import Definition, Recurrence
from workflow.core.errors import ConfigError, NotFound, refused
from workflow.definitions.features import by_table, tables_of

DEFINITIONS = Path(__file__).parent
# Earlier versions of shipped definitions (not loaded as current): cases migrated from before
# each version's text was stored in the database keep theirs from here.
VERSIONS = DEFINITIONS / "versions"
# The ministry standard's procedures and the recurring obligations (shared/domain/procedures.md).
PROCEDURES = DEFINITIONS / "procedures"
# The registers of projects No. 2-4 (shared/domain/projects-2-4.md): an entry is a case.
REGISTERS = DEFINITIONS / "registers"
DEFAULT_PROCESS = "internal_risk_analysis"


@dataclass(frozen=True)
class Loaded:
    """One definition with the text it was parsed from (kept so its version survives edits)."""

    definition: Definition
    text: str
    path: Path

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class Definitions(Mapping[str, Loaded]):
    """The definitions of a registry by key, each file parsed when first asked for: listing
    or testing the keys parses nothing (they come from `index`, read without parsing the
    TOML); `complete()` parses the rest and checks the links between them."""

    def __init__(self, index: dict[str, tuple[Path, str]],
                 parse: Callable[[str, Path, str], Loaded],
                 parsed: dict[str, Loaded] | None = None) -> None:
        self._index = index  # key -> (file, text), in the order the files are read
        self._parse = parse
        self._parsed: dict[str, Loaded] = dict(parsed or {})
        self.checked = False

    def __getitem__(self, key: str) -> Loaded:
        item = self._parsed.get(key)
        if item is None:
            path, text = self._index[key]  # KeyError: no such process
            item = self._parsed[key] = self._parse(key, path, text)
        return item

    def get(self, key: str, default: Any = None) -> Any:  # a parse error is not "missing"
        return self[key] if key in self._index else default

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def parsed(self) -> list[str]:
        """The keys parsed so far."""
        return sorted(self._parsed)

    def complete(self) -> None:
        """Parse every file not parsed yet, then check the links between definitions."""
        if not self.checked:
            for key in self._index:
                self[key]
            _check_links(self)
            self.checked = True


@dataclass
class Registry:
    """Definitions by key (the current file) and by (key, version) once parsed."""

    loaded: Mapping[str, Loaded]
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    _versions: dict[tuple[str, int], Definition] = field(default_factory=dict)
    _digest: str | None = field(default=None, init=False, compare=False, repr=False)

    @classmethod
    def of(cls, *definitions: Definition) -> Registry:
        """A registry of definitions built in memory (their text is not kept)."""
        return cls({d.key: Loaded(d, "", Path(f"{d.key}.toml")) for d in definitions})

    def digest(self) -> str:
        """The SHA-256 of the definitions by key with the texts they were parsed from (a
        registry built in memory has none: its definitions as written) and the settings'
        interpretations: what figures computed with these definitions are keyed by (the
        evaluation's memos, the subjects' stored figures), never the registry's identity.
        Worked out once (a lazy registry's files are read, not parsed)."""
        if self._digest is None:
            index = getattr(self.loaded, "_index", None)
            parts = []
            for key in sorted(self.loaded):
                text = index[key][1] if index is not None else self.loaded[key].text
                parts.append(f"{key}\0{text or repr(self.loaded[key].definition)}")
            parts.append(json.dumps(self.overrides, sort_keys=True, default=repr))
            self._digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
        return self._digest

    def get(self, key: str) -> Definition:
        if key not in self.loaded:
            raise NotFound(f"no process {key!r}", key="notfound.process", process=key,
                           known=", ".join(sorted(self.loaded)))
        return self.loaded[key].definition

    def keys(self) -> list[str]:
        return sorted(self.loaded)

    def all(self) -> list[Definition]:
        self.check()
        return [self.loaded[k].definition for k in self.keys()]

    def check(self) -> None:
        """Every definition parsed and checked, as the eager load does (a lazy registry's
        first call parses what is left: a broken file is refused here)."""
        if isinstance(self.loaded, Definitions):
            self.loaded.complete()

    def parsed(self) -> list[str]:
        """The keys whose definition has been parsed (all of them unless the registry is
        lazy): what a command needed."""
        return self.loaded.parsed() if isinstance(self.loaded, Definitions) else self.keys()

    def recurring(self) -> list[Definition]:
        return [d for d in self.all() if d.recurrence is not None and d.recurrence.enabled]

    def version(self, key: str, version: int, text: str | None = None) -> Definition:
        """The definition a case was opened with: the current file when its version matches,
        else parsed from the stored `text` of that version."""
        current = self.get(key)
        if current.version == version:
            return current
        cached = self._versions.get((key, version))
        if cached is not None:
            return cached
        if text is None:  # a case migrated from before versions were stored: the shipped copy
            shipped = VERSIONS / f"{key}.v{version}.toml"
            text = shipped.read_text(encoding="utf-8") if shipped.is_file() else None
        if text is None:
            raise NotFound(f"process {key} version {version} is not stored",
                           key="notfound.process_version", process=key, version=version)
        definition = _parse(text, f"{key} v{version} (stored)", self.overrides.get(key), {})
        self._versions[(key, version)] = definition
        return definition


# Definitions parsed in this process, by everything the parse reads: the text, its file's name
# and the settings that apply. A process that loads the registry many times (each `merzim`
# command run in a test process; the web's and the worker's contexts) parses a file once; a
# changed file or setting is another key. Definitions are frozen dataclasses, shared safely.
_PARSED: dict[tuple[str, str, str], Definition] = {}


def _settings_key(*settings: Any) -> str | None:
    try:
        return json.dumps(settings, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # not comparable as text: not cached
        return None


def _parse(text: str, source: str, interpretations: dict[str, Any] | None,
           obligation: dict[str, Any], doc: dict[str, Any] | None = None) -> Definition:
    """The definition of a file's `text` (`doc`: the text already read as TOML), parsed once
    per process for the same text, file name and settings."""
    settings = _settings_key(interpretations, obligation)
    key = (text, source, settings) if settings is not None else None
    if key is not None and (known := _PARSED.get(key)) is not None:
        return known
    definition = _parse_text(text, source, interpretations, obligation, doc)
    if key is not None:
        if len(_PARSED) >= 512:  # bounded: the oldest goes
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = definition
    return definition


def _parse_text(text: str, source: str, interpretations: dict[str, Any] | None,
                obligation: dict[str, Any], doc: dict[str, Any] | None = None) -> Definition:
    if doc is None:
        doc = _toml(text, source)
    definition = parse_document(doc, source, interpretations)
    if definition.recurrence is not None and obligation:
        definition = replace(definition, recurrence=_switch(
            definition.recurrence, obligation, f"config.toml: [obligations.{definition.key}]"))
    return definition


def parse_document(doc: dict[str, Any], source: str,
                   interpretations: dict[str, Any] | None = None) -> Definition:
    """A definition from its parsed TOML document: the engine's tables (the core's
    `parse_definition`), then each feature table it carries read by its feature's model (the
    installed declaration's `table_model`, with the definition as the context), kept in
    `Definition.features`. A broken table is refused like the rest of the file. (The models
    load with the first file read: a command that reads none never loads them.)"""
    from workflow.core.tables import read
    from workflow.definitions.schema import parse_definition

    definition = parse_definition(doc, source, interpretations)
    parsed: dict[str, Any] = {}
    readers = by_table()
    for table in tables_of(doc):
        load = readers[table].table_model
        if load is not None:
            value = read(load(), doc[table], source, table,
                          context={"definition": definition, "source": source})
            spec = getattr(value, "spec", None)
            parsed[table] = spec(definition, source) if callable(spec) else value
    return replace(definition, features=parsed) if parsed else definition


def _toml(text: str, source: str) -> dict[str, Any]:
    """A definition's text read as TOML, or refused naming the file and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, column = (int(at.group(1)), int(at.group(2))) if at else (
            text.count("\n") + 1, 1)
        error = ConfigError(f"{source}: not valid TOML: {exc}", file=source, line=line,
                            column=column)
        error.key = "error.definition_toml"
        raise error from exc


def _switch(rec: Recurrence, cfg: dict[str, Any], at: str) -> Recurrence:
    """Apply `[obligations.KEY] enabled / applies_to` from config.toml (`at`: "config.toml:
    [obligations.KEY]")."""
    from workflow.definitions.schema import check_kinds

    enabled = cfg.get("enabled", rec.enabled)
    if not isinstance(enabled, bool):
        raise _configured(refused(f"{at}.enabled", "must be true or false",
                                  "bool_type"))
    applies_to = cfg.get("applies_to", list(rec.applies_to))
    if not isinstance(applies_to, list) or not all(isinstance(x, str) for x in applies_to):
        raise _configured(refused(f"{at}.applies_to", "must be a list",
                                  "list_type"))
    try:
        kinds = check_kinds(tuple(applies_to), at)
    except ConfigError as exc:
        raise _configured(exc) from None
    return replace(rec, enabled=enabled, applies_to=kinds)


def _configured(error: ConfigError) -> ConfigError:
    """A refusal of a table of config.toml rather than of a definition file."""
    error.key = "error.config_table"
    return error


def read_file(path: Path, interpretations: dict[str, Any] | None = None,
              obligation: dict[str, Any] | None = None) -> Loaded:
    """Read and validate one definition file."""
    text = _read_text(path)
    return Loaded(_parse(text, path.name, interpretations, obligation or {}), text, path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        error = ConfigError(f"process definition {path.name} not found", file=path.name)
        error.key = "error.definition_not_found"
        raise error from exc
    except (OSError, UnicodeDecodeError) as exc:
        error = ConfigError(f"{path}: cannot read: {exc}", file=str(path))
        error.key = "error.definition_unreadable"
        raise error from exc


# The `[process]` table of a definition's text and its `key = "..."` line: the index of a lazy
# registry, read without parsing the TOML (a file where they are not found so is parsed).
_PROCESS_TABLE = re.compile(r"^\[process\][ \t]*(?:#[^\n]*)?\n(.*?)(?=^[ \t]*\[|\Z)", re.M | re.S)
_KEY_LINE = re.compile(r"^key[ \t]*=[ \t]*\"([A-Za-z0-9_]+)\"[ \t]*(?:#[^\n]*)?$", re.M)


def _indexed_key(text: str) -> str | None:
    """The process key a definition's text names in its one `[process]` table's one plain
    `key = "..."` line, or None (then the file is parsed to know it)."""
    tables = _PROCESS_TABLE.findall(text)
    if len(tables) != 1:
        return None
    keys = _KEY_LINE.findall(tables[0])
    return keys[0] if len(keys) == 1 else None


def load_registry(dirs: tuple[Path, ...] = (), interpretations: dict[str, Any] | None = None,
                  obligations: dict[str, Any] | None = None, lazy: bool = False) -> Registry:
    """Every definition shipped here (the internal analysis, the procedures and obligations in
    `procedures/`, the registers of projects No. 2-4 in `registers/`) and in `dirs`; a key
    defined twice is refused.

    `interpretations` are config.toml's: flat keys apply to the internal analysis, a table
    named after a process key to that process. `obligations` switch recurring ones.

    `lazy`: each file is read and indexed by its key, and parsed when first asked for (a
    broken one is refused then, or by `Registry.check()`/`all()`); else all are parsed and
    checked here."""
    interpretations = interpretations or {}
    per_process = {k: v for k, v in interpretations.items() if isinstance(v, dict)}
    per_process.setdefault(DEFAULT_PROCESS, {}).update(
        {k: v for k, v in interpretations.items() if not isinstance(v, dict)})
    switches: dict[str, Any] = obligations or {}

    def parse(key: str, path: Path, text: str) -> Loaded:
        item = Loaded(_parse(text, path.name, per_process.get(key), switches.get(key) or {}),
                      text, path)
        if item.definition.key != key:  # the index read another key than the TOML says
            raise refused(f"{path.name}: [process] key", f"{item.definition.key!r} is not the "
                          f"{key!r} it seems to name",
                          "key_unclear", value=item.definition.key,
                          seen=key)
        return item

    index: dict[str, tuple[Path, str]] = {}
    parsed: dict[str, Loaded] = {}
    for folder in (DEFINITIONS, PROCEDURES, REGISTERS, *dirs):
        if not folder.is_dir():
            error = ConfigError(f"[processes] dirs: {folder} is not a directory",
                                folder=str(folder))
            error.key = "error.process_dir"
            raise error
        for path in sorted(folder.glob("*.toml")):
            text = _read_text(path)
            key = _indexed_key(text)
            if key is not None and not lazy and key not in index:
                parsed[key] = parse(key, path, text)
            if key is None:  # read and parsed once: the key says which settings apply
                doc = _toml(text, path.name)
                named = (doc.get("process") or {}).get("key") or ""
                item = Loaded(_parse(text, path.name, per_process.get(named),
                                     switches.get(named) or {}, doc), text, path)
                key = item.definition.key
                if key not in index:
                    parsed[key] = item
            if key in index:
                error = ConfigError(f"{path}: process {key!r} is already defined in "
                                    f"{index[key][0]}", file=str(path), process=key,
                                    other=str(index[key][0]))
                error.key = "error.definition_twice"
                raise error
            index[key] = (path, text)
    loaded = Definitions(index, parse, parsed)
    for key in switches:
        if key not in loaded or loaded[key].definition.recurrence is None:
            raise _configured(refused(f"config.toml: [obligations.{key}]",
                                      f"no recurring process {key!r}",
                                      "no_recurring", value=key))
    registry = Registry(loaded, per_process)
    if not lazy:
        registry.check()
    return registry


def _check_links(loaded: Mapping[str, Loaded]) -> None:
    """An event that opens a case of another process names a loaded process and a date that
    process is opened with; a `[[link]]` names a loaded register that takes what it gives
    (core/case_links.check_target)."""
    from workflow.core.case_links import check_target

    for item in loaded.values():
        for i, link in enumerate(item.definition.links, 1):
            where = f"{item.path.name}: link {i}"
            if link.opens not in loaded:
                raise refused(f"{where} opens", f"no process {link.opens!r}",
                              "unknown_process", value=link.opens)
            check_target(link, item.definition, loaded[link.opens].definition, where)
        for event in item.definition.events.values():
            if event.opens_case is None:
                continue
            process, name = event.opens_case
            at = f"{item.path.name}: event ({event.key}) opens_case"
            if process not in loaded:
                raise refused(f"{at}.process", f"no process {process!r}",
                              "unknown_process", value=process)
            other = loaded[process].definition
            spec = other.dates.get(name)
            if spec is None or spec.given == "none":
                raise refused(f"{at}.date", f"{process} is not opened with a date {name!r}",
                              "not_opened_with",
                              value=name, process=process)
            missing = [d.key for d in other.dates.values()
                       if d.given == "required" and d.key != name]
            if (missing or other.parties.person == "required" or other.parties.object == "required"
                    or any(f.required for f in other.fields.values())):
                raise refused(f"{at}.process", f"{process} needs more than the date {name!r} "
                              f"to be opened",
                              "needs_more", value=name, process=process)


def load_definition(name: str = DEFAULT_PROCESS, overrides: dict[str, Any] | None = None,
                    path: Path | None = None) -> Definition:
    """One definition: workflow/definitions/NAME.toml (or PATH), with interpretations."""
    return read_file(path or DEFINITIONS / f"{name}.toml", overrides).definition

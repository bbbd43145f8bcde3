"""Process definitions as the service layer sees them: the version a case was opened with,
and the stored text of each version (so a case keeps its version when the file changes)."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from workflow.core.definition import Definition
from workflow.core.errors import ConfigError
from workflow.services.context import Context
from workflow.storage import audit
from workflow.storage.models import ProcessDefinition


class Versioned(Protocol):
    """What names the definition version of a case: a Case, or a case's row in a list."""

    @property
    def process(self) -> str: ...

    @property
    def process_version(self) -> int: ...


def definition_of(s: Session, ctx: Context, case: Versioned) -> Definition:
    """The definition version the case was opened with."""
    current = ctx.registry.get(case.process)
    if current.version == case.process_version:
        return current
    row = s.get(ProcessDefinition, (case.process, case.process_version))
    return ctx.registry.version(case.process, case.process_version, row.text if row else None)


def keep_version(s: Session, ctx: Context, definition: Definition) -> None:
    """Store the text of the definition version a case is opened with, once; an edited file
    that kept its version number is refused (cases opened under it would silently change)."""
    loaded = ctx.registry.loaded.get(definition.key)
    if loaded is None or not loaded.text:
        return
    row = s.get(ProcessDefinition, (definition.key, definition.version))
    if row is None:
        s.add(ProcessDefinition(key=definition.key, version=definition.version,
                                sha256=loaded.sha256, text=loaded.text,
                                stored_at=audit.now_iso()))
        s.flush()
    elif row.sha256 != loaded.sha256:
        raise ConfigError(f"{loaded.path.name}: process {definition.key} version "
                          f"{definition.version} was changed without a new version number; "
                          f"raise [process] version so cases opened under it keep theirs")



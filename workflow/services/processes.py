"""Process definitions as the service layer sees them: the version a case was opened with,
and the stored text of each version (so a case keeps its version when the file changes)."""

from __future__ import annotations

import json
import tomllib
from typing import Any, Protocol

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
    that kept its version number is refused (cases opened under it would silently change).

    "Edited" means another meaning, not other bytes: a file whose comments or layout changed
    and whose parsed TOML document is the same (`same_meaning`) is accepted. The stored row
    then keeps its text: it is the text the earlier cases were opened with, and it means what
    the file means, so a case parsed from either has the same definition."""
    loaded = ctx.registry.loaded.get(definition.key)
    if loaded is None or not loaded.text:
        return
    row = s.get(ProcessDefinition, (definition.key, definition.version))
    if row is None:
        s.add(ProcessDefinition(key=definition.key, version=definition.version,
                                sha256=loaded.sha256, text=loaded.text,
                                stored_at=audit.now_iso()))
        s.flush()
    elif row.sha256 != loaded.sha256 and not same_meaning(row.sha256, row.text,
                                                           loaded.sha256, loaded.text):
        raise ConfigError(f"{loaded.path.name}: process {definition.key} version "
                          f"{definition.version} was changed without a new version number; "
                          f"raise [process] version so cases opened under it keep theirs")


# Whether a stored text and a file's text mean the same, by their two SHA-256 digests: answered
# once per process, so opening case after case under an edited comment parses neither text
# again. Bounded: the oldest answer goes.
_SAME: dict[tuple[str, str], bool] = {}
_SAME_LIMIT = 64


def same_meaning(stored_sha256: str, stored: str, current_sha256: str, current: str) -> bool:
    """Whether two texts of a definition are the same TOML document: the same keys in the same
    order with equal values of equal types (comments, blank lines and the way a value is written
    do not count; a changed, added, removed or moved key or value does)."""
    key = (stored_sha256, current_sha256)
    known = _SAME.get(key)
    if known is None:
        a, b = _canonical(stored), _canonical(current)
        known = a is not None and a == b
        if len(_SAME) >= _SAME_LIMIT:
            del _SAME[next(iter(_SAME))]
        _SAME[key] = known
    return known


def _canonical(text: str) -> str | None:
    """The parsed TOML document as JSON, in its own order (None: not valid TOML)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return json.dumps(doc, ensure_ascii=False, default=_tagged)


def _tagged(value: Any) -> dict[str, str]:
    """A TOML date, time or date-time, tagged with its type (never equal to a string)."""
    return {f"\x00{type(value).__name__}": value.isoformat()}

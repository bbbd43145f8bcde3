"""The `[planning]` table of a definition (pure): what `merzim analysis plan|import` fill in
and check (the internal analysis)."""

from __future__ import annotations

from workflow.core.tables import Key, Table


class PlanningTable(Table):
    """`[planning]`: the named dates --start and --end give, and the interpretations holding
    the recommended length (longer: a warning) and the years an analysis waits after an
    external one."""

    start: Key
    """The named date --start gives."""
    end: Key | None = None
    """The named date --end gives."""
    length_limit: Key | None = None
    """The interpretation holding the recommended length in working days (longer: a warning)."""
    external_gap: Key | None = None
    """The interpretation holding the years an analysis waits after an external one."""

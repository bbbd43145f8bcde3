"""The `[scorecard]` table of a definition (its model, pure): what the evaluation of project
No. 1 counts, or the indicator a register of projects No. 2-4 feeds (docs/scorecard.md),
read and checked against the definition's keys when the file loads into the typed
`ScorecardSpec` (workflow/core/register_spec.py) the evaluation and the registers read."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints, create_model

from workflow.core.definition import Definition
from workflow.core.errors import refused
from workflow.core.register_spec import (
    YEAR_DATE,
    YEAR_OPENED,
    YEAR_PERIOD,
    YEAR_STANDING,
    YEAR_VALIDITY,
    Keys,
    ScorecardSpec,
    one_of,
)
from workflow.core.tables import Bool, Key, Table
from workflow.scorecard.rules import SCHEDULE_ROLE, STEP_ROLES

# The stage completing each step the evaluation of project No. 1 counts (its roles, rules.py).
ScoreSteps = create_model("ScoreSteps", __base__=Table,  # type: ignore[call-overload]
                          **dict.fromkeys((*STEP_ROLES, SCHEDULE_ROLE), (Key | None, None)))


class ScoreEvents(Table):
    """Steps counted by their records rather than by a stage."""

    cartogram_updated: Key | None = None


class ScoreFields(Table):
    """The field or evidence key holding each value a register's indicator reads."""

    category: Key | None = None
    independent: Key | None = None
    kind: Key | None = None
    numerator: Key | None = None
    denominator: Key | None = None
    count: Key | None = None
    views: Key | None = None
    online: Key | None = None
    unit: Key | None = None
    document: Key | None = None
    part: Key | None = None


class ScoreStates(Table):
    monitoring_closed: Key | None = None
    excluded: tuple[Key, ...] = ()
    counted: tuple[Key, ...] = ()


class ScoreDates(Table):
    valid_from: Key | None = None
    valid_until: Key | None = None


class ScorecardTable(Table):
    """`[scorecard]`: what the evaluation of project No. 1 counts, or the indicator a
    register of projects No. 2-4 feeds (docs/scorecard.md)."""

    stages: ScoreSteps = ScoreSteps()  # type: ignore[valid-type]
    events: ScoreEvents = ScoreEvents()
    fields: ScoreFields = ScoreFields()
    indicator: Annotated[str, StringConstraints(pattern=r"^[1-4]\.[1-9]\.[1-9]$")] | None = None
    """A register of projects No. 2-4: the indicator of seed 001 its entries feed ("2.1.1")."""
    year_of: Key | None = None
    """The named date whose year an entry counts in (B-17)."""
    standing: Bool = False
    """A standing document: it counts in every year from its counted stage until `ends`."""
    ends: Key | None = None
    """The event ending a standing entry (repealed, replaced)."""
    final_report: Bool = False
    """The yearly entry is the subject's final reporting form to the body above it (B-18)."""
    counted: Key | None = None
    """The stage an entry must have done (on time or late) to count."""
    records: Key | None = None
    """Count the standing records of this event rather than the cases."""
    dates: ScoreDates = ScoreDates()
    states: ScoreStates = ScoreStates()

    def spec(self, definition: Definition, source: str) -> ScorecardSpec:
        """The table checked against the definition's keys."""
        t, where, keys = self, f"{source}: [scorecard]", Keys.of(definition)
        for state in (*t.states.excluded, *t.states.counted, t.states.monitoring_closed):
            one_of(state, keys.states, "state", f"{where}.states")
        for name in (t.year_of, t.dates.valid_from, t.dates.valid_until):
            one_of(name, keys.dates, "date", where)
        one_of(t.counted, keys.stages, "stage", f"{where}.counted")
        for event in (t.records, t.ends):
            one_of(event, keys.events, "event", where)
        if t.final_report and (not keys.recurring or t.counted is None):
            raise refused(f"{where}.final_report", "a recurring register "
                          "with a counted stage", "final_report")
        declared = [rule for rule, on in ((YEAR_DATE, t.year_of is not None),
                                          (YEAR_STANDING, t.standing),
                                          (YEAR_VALIDITY, t.dates.valid_from is not None)) if on]
        if len(declared) > 1:
            raise refused(where, f"one year rule only (year_of, standing or dates), "
                          f"not {', '.join(declared)}", "one_year_rule",
                          rules=", ".join(declared))
        if keys.recurring and declared and declared != [YEAR_DATE]:
            raise refused(where, "a recurring register counts in its period",
                          "recurring_year", rules=", ".join(declared))
        if t.standing and t.counted is None:
            raise refused(f"{where}.standing", "a standing register names its "
                          "counted stage", "standing_counted")
        if t.ends is not None and not t.standing:
            raise refused(f"{where}.ends", "only a standing register ends",
                          "ends_standing")
        return ScorecardSpec(
            _set(t.stages), _set(t.events), _set(t.fields), t.states.excluded,
            t.states.monitoring_closed, t.indicator, t.counted, t.states.counted, t.records,
            declared[0] if declared else YEAR_PERIOD if keys.recurring else YEAR_OPENED,
            t.year_of, t.dates.valid_from, t.dates.valid_until, t.ends, t.final_report)


def _set(table: Table) -> dict[str, str]:
    return {k: v for k, v in table.model_dump().items() if v is not None}

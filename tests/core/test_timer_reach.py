"""What a stored state may have become by today when no record came since: the states its
time-driven transitions lead to (`machine.reachable_by_timers`). The case list replays only
the cases whose stored state can reach the state it filters on (bench/api/README.md)."""

from __future__ import annotations

from itertools import permutations

import pytest

from workflow.core.machine import CaseMachine, reachable_by_timers
from workflow.definitions import load_definition, load_registry

pytestmark = [pytest.mark.unit]

ANALYSIS = load_definition()


def test_a_planned_analysis_starts_and_ends_by_its_timers_alone():
    assert reachable_by_timers(ANALYSIS, "planned") == {"planned", "in_progress", "ended"}
    assert reachable_by_timers(ANALYSIS, "in_progress") == {"in_progress", "ended"}
    assert reachable_by_timers(ANALYSIS, "ended") == {"ended"}
    assert reachable_by_timers(ANALYSIS, "note_signed") == {"note_signed"}


def test_every_order_of_every_shipped_timer_stays_within_the_reach():
    """From each state of each shipped definition, the timers fired in any order, any of
    them left out, land in a state of `reachable_by_timers` -- and every state it names is
    landed on by some order."""
    definitions = load_registry().all()
    assert any(d.timers for d in definitions)
    for defn in definitions:
        names = [t.on for t in defn.timers]
        for state in defn.states:
            landed = set()
            for n in range(len(names) + 1):
                for order in permutations(names, n):
                    machine = CaseMachine(defn, state)
                    for name in order:
                        machine.tick(name)
                    landed.add(machine.state)
            assert landed == reachable_by_timers(defn, state), (defn.key, state)

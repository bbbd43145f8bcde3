"""Process definitions: load a TOML file into validated, immutable data.

A broken definition is refused with a message naming the entry (unknown anchor,
a cycle of due rules, a missing name, an unknown state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.core.errors import ConfigError

LANGUAGES = ("kk", "ru", "en")
UNITS = ("working_days", "calendar_days", "weeks", "months")
DIRECTIONS = ("before", "after")
ROLLS = ("following", "preceding", "none")
EVIDENCE = ("number", "signed_by", "url", "note", "period")


@dataclass(frozen=True)
class DueRule:
    """Due = anchor (or the latest/earliest of several) moved by offset units in a direction."""

    anchors: tuple[str, ...]
    offset: int
    unit: str
    direction: str
    combine: str = "latest"
    roll: str = "following"


@dataclass(frozen=True)
class Anchor:
    """A named date: a planned field, replaced by an event's date, or projected from a stage."""

    key: str
    planned: str | None = None
    event: str | None = None
    projected_from: str | None = None
    month_day: str | None = None  # "MM-DD" in the year of the planned start: a calendar date


@dataclass(frozen=True)
class Stage:
    key: str
    names: dict[str, str]
    due: DueRule | None
    requires: tuple[str, ...]
    responsible: str
    source: str = ""
    remind_before: tuple[int, ...] | None = None  # overrides [reminders].before for this stage


@dataclass(frozen=True)
class Event:
    key: str
    source: tuple[str, ...]
    dest: str | None
    completes: str | None
    not_before: tuple[str, ...]
    requires: tuple[str, ...]
    names: dict[str, str]
    repeatable: bool = False  # recorded once per period (monitoring), not once per analysis


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    names: dict[str, str]
    initial_state: str
    states: dict[str, dict[str, str]]
    events: dict[str, Event]
    stages: dict[str, Stage]
    programme_stages: dict[str, Stage]
    anchors: dict[str, Anchor]
    interpretations: dict[str, Any] = field(default_factory=dict)
    dynamic_stages: dict[str, Stage] = field(default_factory=dict)

    def stage_spec(self, key: str) -> Stage | None:
        """The stage of a key; 'monitoring_report:2025Q4' is the dynamic stage 'monitoring_report'."""
        base = key.split(":", 1)[0]
        return self.stages.get(key) or self.programme_stages.get(key) or self.dynamic_stages.get(base)

    def stage_name(self, key: str, language: str) -> str:
        stage = self.stage_spec(key)
        if stage is None:
            return key
        name = stage.names.get(language, stage.names["en"])
        return f"{name} ({key.split(':', 1)[1]})" if ":" in key else name

    def event_for_stage(self, stage_key: str) -> Event | None:
        return next((e for e in self.events.values() if e.completes == stage_key), None)

    def requirements(self, event: Event) -> tuple[str, ...]:
        """Evidence an event needs: its own plus that of the stage it completes."""
        extra = self.stages[event.completes].requires if event.completes in self.stages else ()
        return tuple(dict.fromkeys(event.requires + extra))


def _names(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: missing names (kk, ru, en)")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
    if missing:
        raise ConfigError(f"{where}: missing name in {', '.join(missing)}")
    return {lang: str(value[lang]) for lang in LANGUAGES}


def _due(raw: Any, where: str, anchors: dict[str, Anchor], defaults: dict[str, Any]) -> DueRule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}.due: must be a table")
    names = raw.get("anchor")
    names = (names,) if isinstance(names, str) else tuple(names or ())
    if not names:
        raise ConfigError(f"{where}.due: missing anchor")
    for name in names:
        if name not in anchors:
            raise ConfigError(f"{where}.due: unknown anchor {name!r} (known: {', '.join(anchors)})")
    unit = raw.get("unit", "working_days")
    if unit not in UNITS:
        raise ConfigError(f"{where}.due: unknown unit {unit!r} (known: {', '.join(UNITS)})")
    direction = raw.get("direction", "after")
    if direction not in DIRECTIONS:
        raise ConfigError(f"{where}.due: direction must be 'before' or 'after'")
    roll = raw.get("roll", defaults.get("roll", "following"))
    if roll not in ROLLS:
        raise ConfigError(f"{where}.due: roll must be one of {', '.join(ROLLS)}")
    combine = raw.get("combine", "latest")
    if combine not in ("latest", "earliest") and combine in defaults:  # names an interpretation
        combine = defaults[combine]
    if combine not in ("latest", "earliest"):
        raise ConfigError(f"{where}.due: combine must be 'latest' or 'earliest'")
    offset = raw.get("offset", 0)
    if isinstance(offset, str):  # a named interpretation, e.g. "announcement_working_days_before"
        if offset not in defaults:
            raise ConfigError(f"{where}.due: offset names unknown interpretation {offset!r}")
        offset = defaults[offset]
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ConfigError(f"{where}.due: offset must be a whole number >= 0")
    return DueRule(names, offset, unit, direction, combine, roll)


def _requires(raw: Any, where: str) -> tuple[str, ...]:
    items = tuple(raw or ())
    for item in items:
        if item not in EVIDENCE:
            raise ConfigError(f"{where}: unknown evidence {item!r} (known: {', '.join(EVIDENCE)})")
    return items


def _stage(raw: dict[str, Any], where: str, anchors, defaults) -> Stage:
    key = raw.get("key")
    if not key:
        raise ConfigError(f"{where}: missing key")
    where = f"{where} ({key})"
    due = _due(raw["due"], where, anchors, defaults) if "due" in raw else None
    remind = (raw.get("reminders") or {}).get("before")
    if remind is not None and (not isinstance(remind, list)
                               or not all(isinstance(x, int) and x >= 0 for x in remind)):
        raise ConfigError(f"{where}.reminders.before: must be a list of working days >= 0")
    return Stage(key, _names(raw.get("names"), where), due, _requires(raw.get("requires"), where),
                 str(raw.get("responsible", "officer")), str(raw.get("source", "")),
                 tuple(remind) if remind is not None else None)


def parse_definition(doc: dict[str, Any], source: str, overrides: dict[str, Any] | None = None,
                     ) -> Definition:
    """Validate a parsed TOML document and build the Definition."""
    process = doc.get("process") or {}
    key = process.get("key")
    if not key:
        raise ConfigError(f"{source}: [process] needs a key")
    interpretations = {**(doc.get("interpretations") or {}), **(overrides or {})}
    states = {name: _names(v, f"{source}: states.{name}") for name, v in
              (doc.get("states") or {}).items()}
    initial = process.get("initial_state")
    if initial not in states:
        raise ConfigError(f"{source}: initial_state {initial!r} is not a state")

    anchors: dict[str, Anchor] = {}
    for name, raw in (doc.get("anchors") or {}).items():
        if not any(raw.get(k) for k in ("planned", "event", "projected_from", "month_day")):
            raise ConfigError(
                f"{source}: anchors.{name}: needs planned, event, projected_from or month_day")
        month_day = raw.get("month_day")
        if month_day is not None:
            try:
                month, day = (int(x) for x in str(month_day).split("-"))
                date(2000, month, day)
            except ValueError as exc:
                raise ConfigError(f"{source}: anchors.{name}: month_day {month_day!r} is not MM-DD"
                                  ) from exc
        anchors[name] = Anchor(name, raw.get("planned"), raw.get("event"), raw.get("projected_from"),
                               month_day)

    stages: dict[str, Stage] = {}
    for i, raw in enumerate(doc.get("stage") or []):
        stage = _stage(raw, f"{source}: stage[{i}]", anchors, interpretations)
        if stage.key in stages:
            raise ConfigError(f"{source}: stage[{i}]: duplicate stage key {stage.key!r}")
        stages[stage.key] = stage
    dynamic_stages = {}
    for i, raw in enumerate(doc.get("dynamic_stage") or []):
        stage = _stage(raw, f"{source}: dynamic_stage[{i}]", anchors, interpretations)
        dynamic_stages[stage.key] = stage
    programme_stages = {}
    for i, raw in enumerate(doc.get("programme_stage") or []):
        stage = _stage(raw, f"{source}: programme_stage[{i}]", anchors, interpretations)
        programme_stages[stage.key] = stage

    events: dict[str, Event] = {}
    for i, raw in enumerate(doc.get("event") or []):
        ekey = raw.get("key")
        where = f"{source}: event[{i}] ({ekey})"
        if not ekey:
            raise ConfigError(f"{source}: event[{i}]: missing key")
        sources = tuple(raw.get("source") or ())
        for state in (*sources, raw.get("dest")):
            if state is not None and state not in states:
                raise ConfigError(f"{where}: unknown state {state!r}")
        if not sources:
            raise ConfigError(f"{where}: needs at least one source state")
        completes = raw.get("completes")
        if completes is not None and completes not in stages:
            raise ConfigError(f"{where}: completes unknown stage {completes!r}")
        events[ekey] = Event(ekey, sources, raw.get("dest"), completes,
                             tuple(raw.get("not_before") or ()), _requires(raw.get("requires"), where),
                             _names(raw.get("names"), where), bool(raw.get("repeatable", False)))
    for e in events.values():
        for other in e.not_before:
            if other not in events:
                raise ConfigError(f"{source}: event {e.key}: not_before names unknown event {other!r}")
    for a in anchors.values():
        if a.event and a.event not in events:
            raise ConfigError(f"{source}: anchors.{a.key}: unknown event {a.event!r}")
        if a.projected_from and a.projected_from not in stages:
            raise ConfigError(f"{source}: anchors.{a.key}: unknown stage {a.projected_from!r}")

    _check_cycles(stages, anchors, source)
    return Definition(key, int(process.get("version", 1)), _names(process.get("names"),
                      f"{source}: [process]"), initial, states, events, stages, programme_stages,
                      anchors, interpretations, dynamic_stages)


def _check_cycles(stages: dict[str, Stage], anchors: dict[str, Anchor], source: str) -> None:
    """Refuse due rules that depend on themselves through projected anchors."""

    def deps(stage_key: str) -> list[str]:
        rule = stages[stage_key].due
        if rule is None:
            return []
        return [anchors[a].projected_from for a in rule.anchors if anchors[a].projected_from]

    done: set[str] = set()

    def visit(key: str, path: list[str]) -> None:
        if key in path:
            cycle = " -> ".join([*path[path.index(key):], key])
            raise ConfigError(f"{source}: stage {key}: due rules form a cycle ({cycle})")
        if key in done:
            return
        for dep in deps(key):
            visit(dep, [*path, key])
        done.add(key)

    for key in stages:
        visit(key, [])

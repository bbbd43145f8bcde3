"""The process-definition format as a JSON Schema (draft 2020-12): `merzim process schema`.

An operator's editor validates a definition file with it (taplo, VS Code's "Even Better
TOML": docs/process-definitions.md, "Validating a file in your editor"). The schema checks the
*shape* of a file: which tables and keys exist, their types, the allowed words (units,
directions, organisation kinds…), the names in kk, ru and en. What refers to another entry —
an event naming a state, a due rule naming a date, an offset naming an interpretation — is
checked by merzim when it loads the file (`workflow/core/definition.parse_definition`).

It follows the parser: a table is closed (`additionalProperties: false`) where the parser
refuses a key it does not know ([public], an event's `opens_case`); elsewhere the parser
ignores an unknown key, and so does the schema. Where the parser converts a value whatever
its type (`names` read with str(), `repeatable`/`terminal`/`required` with bool()), the schema
asks for the type the format means (text, true/false).

`generic_schema()` is the engine's part; `FEATURE_TABLES` holds the schema of each table a
feature reads ([planning], [monitoring], [scorecard], [public], [drafts], [shown]), each
self-contained (no reference into the generic part), and `FEATURE_RULES` the checks of a
feature that span tables ([public] in a process about a person). `definition_schema()` joins
them. tests/definitions/test_definition_schema.py keeps the schema, the parser and the shipped files in
agreement (every key the parser looks up and every key a shipped file uses is in the schema,
and every key in the schema is one of those).
"""

from __future__ import annotations

import copy
from typing import Any

from workflow.core.definition import (
    BUILTIN_EVIDENCE,
    DIRECTIONS,
    EVIDENCE_TYPES,
    FIELD_TYPES,
    LANGUAGES,
    PARTY_MODES,
    PERIOD_DATES,
    PERIOD_DUE_RULES,
    PERIODS,
    PERSON_VISIBILITY,
    ROLLS,
    STAGE_INITIALLY,
    UNITS,
)
from workflow.core.kinds import ORG_KINDS
from workflow.core.limits import INTEGER_CEILING, INTEGER_FLOOR, INTEGER_MAX, INTEGER_MIN

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "merzim process definition"

_LANGUAGE_NAMES = {"kk": "Kazakh", "ru": "Russian", "en": "English"}


def _ref(name: str, description: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}", "description": description}


def _keys(description: str) -> dict[str, Any]:
    return _ref("keys", description)


def _whole(minimum: int, description: str, maximum: int | None = None) -> dict[str, Any]:
    """A whole number, or the name of an interpretation holding one."""
    number: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        number["maximum"] = maximum
    return {"description": description,
            "anyOf": [number, {"type": "string", "minLength": 1,
                               "description": "The name of an interpretation of this file "
                                              "([interpretations]) holding the number."}]}


def _defs() -> dict[str, Any]:
    names = {
        "type": "object",
        "description": "The name in the three languages (the Kazakh one from the sources).",
        "properties": {lang: {"type": "string", "pattern": r"\S",
                              "description": f"The name in {_LANGUAGE_NAMES[lang]}."}
                       for lang in LANGUAGES},
        "required": list(LANGUAGES),
    }
    key = {"type": "string", "minLength": 1}
    keys = {"description": "A key, or a list of keys.",
            "anyOf": [key, {"type": "array", "items": key}]}
    evidence_any = {
        "type": "array", "minItems": 1,
        "description": "Alternative sets of evidence keys, one of which must be complete "
                       "(`[[\"url\"], [\"number\", \"signed_by\"]]`).",
        "items": {"type": "array", "minItems": 1, "items": key},
    }
    due = {
        "type": "object",
        "description": "A due rule: a named date (or the latest or earliest of several) moved "
                       "by an offset.",
        "properties": {
            "anchor": {
                "description": "The named date counted from (`NAME`: the recorded value, else "
                               "the planned one; `NAME.planned`: the value given at opening), "
                               "or a list of them (see `combine`).",
                "anyOf": [{"$ref": "#/$defs/anchor"},
                          {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/anchor"}}],
            },
            "offset": _whole(0, "How many units from the anchor (default 0)."),
            "unit": {"enum": list(UNITS), "description": "The unit of the offset (default "
                                                         "working_days)."},
            "direction": {"enum": list(DIRECTIONS), "description": "Before or after the anchor "
                                                                   "(default after)."},
            "roll": {"enum": list(ROLLS), "description": "A due date on a day off moves to the "
                                                         "following or the preceding working "
                                                         "day, or stays; date_rule: the date "
                                                         "rule (P-24), here the following "
                                                         "(default: the interpretation `roll`, "
                                                         "else following)."},
            "combine": {"type": "string", "minLength": 1,
                        "description": "With several anchors: \"latest\" or \"earliest\", or "
                                       "the name of an interpretation holding one (default "
                                       "latest).",
                        "examples": ["latest", "earliest"]},
            "inclusive": {"type": "boolean",
                          "description": "Working days only, offset 1 or more: the anchor day "
                                         "counts as the first (the 30th working day counting "
                                         "the start)."},
        },
        "required": ["anchor"],
        "if": {"properties": {"inclusive": {"const": True}}, "required": ["inclusive"]},
        "then": {"properties": {"unit": {"const": "working_days"},
                                "offset": {"anyOf": [{"type": "integer", "minimum": 1},
                                                     {"type": "string"}]}},
                 "required": ["offset"]},
    }
    stage = {
        "type": "object",
        "description": "A stage: a deadline with its due rule, who is reminded, the evidence "
                       "its completing record carries and its source line.",
        "properties": {
            "key": {"$ref": "#/$defs/key", "description": "The stage key (unique in the file)."},
            "names": _ref("names", "The stage's name in kk, ru and en."),
            "due": _ref("due", "Its due rule; absent: no due date."),
            "evidence": _keys("Evidence keys the completing record must carry."),
            "requires": {**_keys("The former name of `evidence`."), "deprecated": True},
            "evidence_any": _ref("evidence_any", "Alternative sets of evidence, one of which "
                                                 "the completing record must carry complete."),
            "responsible": {"type": "string",
                            "description": "Who is reminded: officer or manager (default "
                                           "officer).",
                            "examples": ["officer", "manager"]},
            "source": {"type": "string", "description": "The source line the stage comes from "
                                                        "(\"002:L137-148; P-1\")."},
            "due_basis": {"type": "string", "pattern": r"^([A-Z]-[0-9]+|merzim)$",
                          "description": "Who sets the due date when the sources give none "
                                         "(I-17): the interpretation (\"I-2\") or \"merzim\"; "
                                         "shown as the deadline's mark, and switched off per "
                                         "organisation by config.toml [deadlines] own_off. "
                                         "Absent: the due date comes from `source`.",
                          "examples": ["I-2", "I-6", "B-1", "merzim"]},
            "reminders": {"type": "object",
                          "description": "Reminders of this stage (overrides config.toml "
                                         "[reminders]).",
                          "properties": {"before": {
                              "type": "array", "items": {"type": "integer", "minimum": 0},
                              "description": "Working days before the due date a reminder "
                                             "is sent."}}},
            "initially": {"enum": list(STAGE_INITIALLY),
                          "description": "\"dormant\": the stage exists only once an event's "
                                         "`open` names it (default open)."},
            "prerequisites": _keys("Events recorded before the stage can be completed."),
        },
        "required": ["key", "names"],
    }
    return {
        "key": key,
        "keys": keys,
        "anchor": {"type": "string", "pattern": r"^[^.]+(\.planned)?$"},
        "names": names,
        "evidence_any": evidence_any,
        "due": due,
        "stage": stage,
    }


def _process() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The process: its key, version, names, initial and final states.",
        "properties": {
            "key": {"$ref": "#/$defs/key", "description": "The process key used by commands, "
                                                          "the API and reminders."},
            "version": {"type": "integer", "minimum": 1,
                        "description": "Raise it when the rules change: a case keeps the "
                                       "version it was opened with (default 1)."},
            "names": _ref("names", "The process's name in kk, ru and en."),
            "initial_state": {"$ref": "#/$defs/key", "description": "The state a case starts "
                                                                    "in (a key of [states])."},
            "final_states": _keys("States that close the case."),
            "applies_to": {"type": "array", "minItems": 1, "uniqueItems": True,
                           "items": {"enum": list(ORG_KINDS)},
                           "description": "The kinds of organisation a case may be opened "
                                          "for (default: every kind); a recurring "
                                          "obligation's period cases follow [recurrence]."},
        },
        "required": ["key", "names", "initial_state"],
    }


def _parties() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Who a case is about besides its subject organisation.",
        "properties": {
            "object": {"enum": list(PARTY_MODES),
                       "description": "An object organisation (default none)."},
            "person": {"enum": list(PARTY_MODES),
                       "description": "A person, with name and position (default none)."},
            "person_visibility": {"enum": list(PERSON_VISIBILITY),
                                  "description": "Who sees the person: the case's "
                                                 "organisation, or only its responsible officer "
                                                 "(default organisation)."},
        },
    }


def _field() -> dict[str, Any]:
    return {
        "type": "array",
        "description": "Typed fields of a case, given when it is opened.",
        "items": {
            "type": "object",
            "properties": {
                "key": {"$ref": "#/$defs/key", "description": "The field key (unique)."},
                "type": {"enum": list(FIELD_TYPES), "description": "Its type (default text)."},
                "required": {"type": "boolean", "description": "Must be given when the case is "
                                                              "opened (default false)."},
                "choices": _keys("The allowed values of a choice field."),
                "choice_names": _choice_names(),
                "required_when": {
                    "type": "object",
                    "description": "Required in an entry whose choice field (named before it) "
                                   "holds one of these values: { kind = [\"incompatible_"
                                   "activity\"] }.",
                    "additionalProperties": _keys("The values for which it is required."),
                },
                "personal": {"type": "boolean",
                             "description": "It may name a person (a giver, who checked): shown "
                                            "only to those who see the case's person (default "
                                            "false)."},
                **_bounds(),
                "names": _ref("names", "The field's label in kk, ru and en."),
            },
            "required": ["key", "names"],
            "if": {"properties": {"type": {"const": "choice"}}, "required": ["type"]},
            "then": {"properties": {"choices": {"type": "array", "minItems": 1}},
                     "required": ["choices"]},
        },
    }


def _evidence() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Evidence fields beyond the built-in ones ("
                       + ", ".join(BUILTIN_EVIDENCE) + "), by key.",
        "propertyNames": {"not": {"enum": list(BUILTIN_EVIDENCE)}},
        "additionalProperties": {
            "type": "object",
            "properties": {
                "type": {"enum": list(EVIDENCE_TYPES),
                         "description": "text, url, date (YYYY-MM-DD), period, organisation (an "
                                        "organisation under the case's subject), draft (an "
                                        "announcement's published text), integer (a whole "
                                        "number in digits 0-9, within min and max), choice "
                                        "(one of `choices`) or "
                                        "links (several links, one a line \"CHANNEL URL\", "
                                        "the channels being `choices`); default text."},
                "choices": _keys("The allowed values of a choice field; the channels of a "
                                 "links field."),
                "choice_names": _choice_names(),
                **_bounds(),
                "names": _ref("names", "The field's label in kk, ru and en."),
            },
            "required": ["names"],
            "if": {"properties": {"type": {"enum": ["choice", "links"]}}, "required": ["type"]},
            "then": {"properties": {"choices": {"type": "array", "minItems": 1}},
                     "required": ["choices"]},
        },
    }


def _bounds() -> dict[str, Any]:
    """`min` and `max` of an integer field or evidence (core/limits.py)."""
    def bound(which: str, default: int) -> dict[str, Any]:
        return {"type": "integer", "minimum": INTEGER_FLOOR, "maximum": INTEGER_CEILING,
                "description": f"type integer only: the {which} value accepted (default "
                               f"{default}); a value outside is refused naming the bounds."}
    return {"min": bound("smallest", INTEGER_MIN), "max": bound("largest", INTEGER_MAX)}


def _choice_names() -> dict[str, Any]:
    return {"type": "object", "description": "Each choice's name in kk, ru and en, by choice.",
            "additionalProperties": _ref("names", "The choice's name in kk, ru and en.")}


def _dates() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Named dates, by name: what due rules count from.",
        "additionalProperties": {
            "type": "object",
            "properties": {
                "given": {"enum": list(PARTY_MODES),
                          "description": "Entered when the case is opened (default none)."},
                "past": {"type": "boolean",
                         "description": "Given at opening, it may not lie in the future."},
                "default": _ref("due", "When not given: computed from other dates."),
                "projected_from": {"$ref": "#/$defs/key",
                                   "description": "Until an event sets it: this stage's due "
                                                  "date, marked projected."},
                "month_day": {"type": "string", "minLength": 1,
                              "description": "A calendar date \"MM-DD\", or the name of an "
                                             "interpretation holding one, in the year of "
                                             "`year_of`."},
                "year_of": {"$ref": "#/$defs/key",
                            "description": "The named date whose year `month_day` is in."},
                "not_before": {"$ref": "#/$defs/key",
                               "description": "A value (given or recorded) may not precede "
                                              "this named date."},
                "names": _ref("names", "The date's name in kk, ru and en."),
            },
            # if/then rather than 2019-09's dependentRequired, which taplo does not read
            "if": {"required": ["month_day"]},
            "then": {"required": ["year_of"]},
        },
    }


def _states() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The states, by key, with their names in kk, ru and en.",
        "minProperties": 1,
        "additionalProperties": _ref("names", "The state's name in kk, ru and en."),
    }


def _timer() -> dict[str, Any]:
    return {
        "type": "array",
        "description": "Time-driven transitions: the case enters `dest` on a named date "
                       "without a record.",
        "items": {
            "type": "object",
            "properties": {
                "on": {"$ref": "#/$defs/key", "description": "The named date."},
                "source": _keys("The states it leaves (the case must be in one of them)."),
                "dest": {"$ref": "#/$defs/key", "description": "The state it enters."},
            },
            "required": ["on", "dest"],
        },
    }


def _link() -> dict[str, Any]:
    keys = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}
    return {
        "type": "array",
        "description": "An outcome that is a fact of a register (P-22, core/case_links.py): "
                       "recorded, it offers the register's entry, opened with one "
                       "confirmation and linked to the case.",
        "items": {
            "type": "object",
            "properties": {
                "on": {"$ref": "#/$defs/key", "description": "The outcome event."},
                "opens": {"$ref": "#/$defs/key", "description": "The register's process key."},
                "values": {**keys, "description": "The entry's fields set to a fixed value."},
                "carry": {"type": "object",
                          "additionalProperties": {"oneOf": [
                              {"type": "string", "minLength": 1},
                              {"type": "array", "minItems": 1,
                               "items": {"type": "string", "minLength": 1}}]},
                          "description": "The entry's field or given date <- a named date, "
                                         "field or evidence key of this case, or \"on\": "
                                         "the day the outcome was recorded as; a list: the "
                                         "first the case has."},
                "files": {"type": "boolean", "description": "The case's files go with it "
                                                           "(default true)."},
                "ask": {"type": "array", "items": {"$ref": "#/$defs/key"},
                        "description": "Required fields of the entry the confirmation asks "
                                       "the officer (neither set nor carried)."},
                "source": {"type": "string", "description": "The source lines."},
                "record": {"type": "object",
                           "description": "An event of the entry recorded as it opens, on "
                                          "the outcome's day (a gift's hand-over act, a "
                                          "report's letter to the authorities).",
                           "properties": {
                               "event": {"$ref": "#/$defs/key",
                                         "description": "The register's event."},
                               "evidence": {**keys, "description": "Its evidence key <- the "
                                                                   "outcome record's key."}},
                           "required": ["event"], "additionalProperties": False},
            },
            "required": ["on", "opens"],
            "additionalProperties": False,
        },
    }


def _event() -> dict[str, Any]:
    return {
        "type": "array",
        "description": "What an officer records, and what it changes.",
        "items": {
            "type": "object",
            "properties": {
                "key": {"$ref": "#/$defs/key", "description": "The event key (unique)."},
                "names": _ref("names", "The event's name in kk, ru and en."),
                "source": _keys("States that accept it; absent: every state that is not "
                                "final."),
                "dest": {"$ref": "#/$defs/key", "description": "The next state; absent: "
                                                               "unchanged."},
                "completes": {"$ref": "#/$defs/key", "description": "The stage it fulfils."},
                "prerequisites": _keys("Events that must be recorded first."),
                "evidence": _keys("Evidence keys it must carry (besides those of the stage it "
                                  "completes)."),
                "requires": {**_keys("The former name of `evidence`."), "deprecated": True},
                "optional": _keys("Evidence keys it may carry (shown in its form), not "
                                  "required."),
                "evidence_any": _ref("evidence_any", "Alternative sets of evidence, one of "
                                                     "which must be complete (overrides its "
                                                     "stage's)."),
                "sets": _keys("Named dates its date sets."),
                "close": _keys("Stages it closes as not applicable (\"*\": every stage still "
                               "open)."),
                "open": _keys("Dormant stages it opens."),
                "terminal": {"type": "boolean", "description": "Closes the case: every open "
                                                              "stage becomes not applicable."},
                "repeatable": {"type": "boolean",
                               "description": "May be recorded more than once."},
                "not_before": {"$ref": "#/$defs/key",
                               "description": "A named date its date may not precede, once "
                                              "that date is known."},
                "subject_kinds": {
                    "description": "Organisation kinds of the subject that accept it; absent: "
                                   "every kind.",
                    "anyOf": [{"enum": list(ORG_KINDS)},
                              {"type": "array", "items": {"enum": list(ORG_KINDS)}}]},
                "opens_case": {
                    "type": "object",
                    "description": "Recording it opens a case of another process for the same "
                                   "subject, the event's date being that process's named date.",
                    "properties": {
                        "process": {"$ref": "#/$defs/key",
                                    "description": "The key of the other process."},
                        "date": {"$ref": "#/$defs/key",
                                 "description": "The named date that process is opened with."},
                    },
                    "required": ["process", "date"],
                    "additionalProperties": False,
                },
            },
            "required": ["key", "names"],
        },
    }


def _stages(description: str) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": {"$ref": "#/$defs/stage"}}


def _recurrence() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A recurring obligation: one case per period and organisation of the "
                       "kinds it applies to. Its cases get the dates "
                       + ", ".join(PERIOD_DATES) + ".",
        "properties": {
            "period": {"enum": list(PERIODS), "description": "The period."},
            "applies_to": {
                "description": "The organisation kinds it applies to (at least one).",
                "anyOf": [{"enum": list(ORG_KINDS)},
                          {"type": "array", "minItems": 1, "items": {"enum": list(ORG_KINDS)}}]},
            "enabled": {"type": "boolean", "description": "Switched on (default true; "
                                                         "config.toml [obligations.KEY] "
                                                         "overrides it)."},
            "due": {
                "type": "object",
                "description": "When a period's obligation is due.",
                "properties": {
                    "rule": {"enum": list(PERIOD_DUE_RULES),
                             "description": "period_end: the last working day of the period; "
                                            "month_after: a day of a month after its end; "
                                            "fixed: a calendar date of the period's year."},
                    "roll": {"enum": list(ROLLS),
                             "description": "A due date on a day off moves (default: preceding "
                                            "for period_end, else following); date_rule: "
                                            "the date rule (P-24), forward to the next "
                                            "working day, but a 31 December of the "
                                            "period's year back to its last working day."},
                    "months": _whole(1, "month_after: which month after the period's end (1: "
                                        "the next; default 1)."),
                    "day": _whole(1, "month_after, fixed: the day of the month (default 1).",
                                  31),
                    "month": _whole(1, "fixed: the month (default 12).", 12),
                    "year_offset": _whole(0, "fixed: years after the period's (last) year "
                                             "(default 0)."),
                    "date": {"type": "string", "minLength": 1,
                             "description": "fixed: \"MM-DD\", or the name of an "
                                            "interpretation holding one (instead of month and "
                                            "day)."},
                },
                "required": ["rule"],
            },
        },
        "required": ["period", "applies_to", "due"],
    }


def _interpretations() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Named settings the rules refer to by name (config.toml "
                       "[interpretations] overrides them).",
        "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
    }


def generic_schema() -> dict[str, Any]:
    """The engine's part of the format: every table `parse_definition` reads besides the
    features' (FEATURE_TABLES)."""
    return {
        "$schema": DIALECT,
        "title": TITLE,
        "description": "A process definition (docs/process-definitions.md): parties, named "
                       "dates, states, events, stages with their due rules, timers and, for a "
                       "recurring obligation, its period.",
        "type": "object",
        "properties": {
            "process": _process(),
            "parties": _parties(),
            "field": _field(),
            "evidence": _evidence(),
            "dates": _dates(),
            "states": _states(),
            "timer": _timer(),
            "event": _event(),
            "link": _link(),
            "stage": _stages("Deadlines: due rule, responsible role, evidence, source."),
            "dynamic_stage": _stages("Stages made while a case runs, one per period or item "
                                     "(key \"KEY:PERIOD\"): their due dates come from the "
                                     "feature that makes them."),
            "programme_stage": _stages("Stages of a programme (one per subject and year), not "
                                       "of a case."),
            "recurrence": _recurrence(),
            "interpretations": _interpretations(),
            "interpretation_sources": {
                "type": "object",
                "description": "The source line of each interpretation, by its name.",
                "additionalProperties": {"type": "string"},
            },
        },
        "required": ["process", "states"],
        "allOf": [
            {"$comment": "A recurring definition's cases get the period's dates from "
                         "[recurrence]: the file does not declare them.",
             "if": {"required": ["recurrence"]},
             "then": {"properties": {"dates": {"propertyNames": {
                 "not": {"enum": list(PERIOD_DATES)}}}}}},
        ],
        "$defs": _defs(),
    }


# -- the features' tables ------------------------------------------------------------------
# Each fragment is the schema of one table's value, self-contained (no "$ref" into the generic
# part), so that it can move to its feature's package with the feature's parser.

_NAMES = {
    "type": "object",
    "description": "The name in the three languages.",
    "properties": {lang: {"type": "string", "pattern": r"\S"} for lang in ("kk", "ru", "en")},
    "required": ["kk", "ru", "en"],
}
_KEY = {"type": "string", "minLength": 1}
_KEYS = {"anyOf": [_KEY, {"type": "array", "items": _KEY}]}

PLANNING: dict[str, Any] = {
    "type": "object",
    "description": "What `merzim analysis plan|import` fill in and check (the internal "
                   "analysis).",
    "properties": {
        "start": {**_KEY, "description": "The named date --start gives."},
        "end": {**_KEY, "description": "The named date --end gives."},
        "length_limit": {**_KEY, "description": "The interpretation holding the recommended "
                                                "length in working days (longer: a warning)."},
        "external_gap": {**_KEY, "description": "The interpretation holding the years an "
                                                "analysis waits after an external one."},
    },
    "required": ["start"],
}

MONITORING: dict[str, Any] = {
    "type": "object",
    "description": "The quarterly monitoring after the analytic note (docs/monitoring.md).",
    "properties": {
        "opened_by": {**_KEY, "description": "The event whose date starts the reporting "
                                             "periods."},
        "report_event": {**_KEY, "description": "The event recording a period's report."},
        "review_event": {**_KEY, "description": "The event recording a report's review."},
        "close_event": {**_KEY, "description": "The event closing the monitoring."},
        "report_stage": {**_KEY, "description": "The dynamic stage of a period's report "
                                                "(\"KEY:2026Q1\")."},
        "review_stage": {**_KEY, "description": "The dynamic stage of a report's review."},
        "plan_item_stage": {**_KEY, "description": "The dynamic stage of an action-plan "
                                                   "measure (\"KEY:7\")."},
        "justified_by": {**_KEY, "description": "The event that may carry a justification "
                                                "note (number and signer) checked for its "
                                                "signer (I-16)."},
        "justification_signer": {"type": "string", "description": "The approver role that "
                                 "signs the justification note (an APPROVER_ROLES value)."},
        "acting_reason": {**_KEY, "description": "The evidence field whose reason confirms "
                                                 "another signer (an acting head)."},
    },
    "required": ["opened_by", "report_event", "review_event", "close_event", "report_stage",
                 "review_stage", "plan_item_stage"],
}

# The steps the evaluation of project No. 1 counts (docs/scorecard.md), each completed by a stage.
_SCORE_STEPS = {
    "ordered": "The order to conduct the analysis.",
    "start_announced": "The announcement of its start.",
    "discussion_announced": "The announcement of the public discussion.",
    "discussed": "The public discussion.",
    "note_signed": "The analytic note signed.",
    "plan_approved": "The action plan approved.",
    "published": "The note and the plan published.",
    "positions_approved": "The list of positions exposed to corruption risks approved.",
    "cartogram_updated": "The cartogram updated (or count its records: [scorecard.events]).",
    "schedule_approved": "The schedule of analyses approved (a programme stage).",
}

# The values a register's indicator reads, by role (the key words are the methodology's).
_SCORE_FIELDS = {
    "category": "A choice: administrative, criminal or discrediting (2.1.1, 2.2.1).",
    "independent": "A choice: yes when the fact was detected independently (2.3-2.5: +3).",
    "kind": "A choice naming the sub-task of a restriction breach (2.5.1-2.5.5).",
    "numerator": "An integer: those who did it (servants trained, employees who completed).",
    "denominator": "An integer: all of them (the actual staff, the employees).",
    "count": "An integer summed per month (servants worked with, 4.2.4).",
    "views": "An integer: an event's views (4.3.1: 1,000 or more).",
    "online": "A choice: yes when the event was published online (4.3.1).",
    "unit": "An organisation: the unit a record covers (4.1.2).",
    "document": "The document a record confirms (3.2.9: one of the eight).",
    "part": "A choice: the part of a cartogram section an update names (1.5.1: positions, "
            "the list of risks; each scored on its own).",
}

SCORECARD: dict[str, Any] = {
    "type": "object",
    "description": "What the evaluation of project No. 1 counts (docs/scorecard.md).",
    "properties": {
        "stages": {
            "type": "object",
            "description": "The stage completing each step the evaluation counts.",
            "properties": {step: {**_KEY, "description": f"{text} The stage's key."}
                           for step, text in _SCORE_STEPS.items()},
        },
        "events": {
            "type": "object",
            "description": "Steps counted by their records rather than by a stage.",
            "properties": {
                "cartogram_updated": {**_KEY, "description": "The event whose standing records' "
                                                            "distinct `section` evidence count "
                                                            "the sections updated (1.5.1)."},
            },
        },
        "indicator": {"type": "string", "pattern": "^[1-4]\\.[1-9]\\.[1-9]$",
                      "description": "A register of projects No. 2-4: the indicator of seed 001 "
                                     "its entries feed (\"2.1.1\"; docs/scorecard.md)."},
        "year_of": {**_KEY, "description": "The named date whose year an entry counts in "
                                           "(B-17: the day of the fact its indicator counts; "
                                           "a recurring register counts in its period)."},
        "standing": {"type": "boolean",
                     "description": "A standing document: it counts in every year from the day "
                                    "its counted stage was done until its `ends` event (B-17)."},
        "ends": {**_KEY, "description": "The event ending a standing entry (repealed, "
                                        "replaced)."},
        "final_report": {"type": "boolean",
                         "description": "The register's yearly entry is the subject's final "
                                        "reporting form to the body above it (B-18): the body "
                                        "above sees who has submitted it."},
        "counted": {**_KEY, "description": "The stage an entry must have done (on time or late) "
                                           "to count; absent: every entry not excluded."},
        "records": {**_KEY, "description": "Count the standing records of this event (one per "
                                           "fact, event or unit) rather than the cases."},
        "fields": {
            "type": "object",
            "description": "The field or evidence key holding each value the indicator reads.",
            "properties": {role: {**_KEY, "description": text}
                           for role, text in _SCORE_FIELDS.items()},
            "additionalProperties": False,
        },
        "dates": {
            "type": "object",
            "description": "Named dates bounding an entry's validity (a certificate).",
            "properties": {
                "valid_from": {**_KEY, "description": "The first day it is valid."},
                "valid_until": {**_KEY, "description": "The last day it is valid."},
            },
            "additionalProperties": False,
        },
        "states": {
            "type": "object",
            "description": "States the evaluation reads.",
            "properties": {
                "monitoring_closed": {**_KEY, "description": "The state meaning the monitoring "
                                                            "is closed."},
                "excluded": {"type": "array", "items": _KEY,
                             "description": "States whose cases the evaluation leaves out "
                                            "(cancelled)."},
                "counted": {"type": "array", "items": _KEY,
                            "description": "A register whose entries count only in these "
                                           "states (2.3.1: the supervisor not held liable); "
                                           "another state not final: pending."},
            },
        },
    },
}

FORM: dict[str, Any] = {
    "type": "object",
    "description": "The report form (appendix 1-6 of seed 000) this process's entries fill "
                   "(docs/projects-2-4.md).",
    "properties": {
        "appendix": {"type": "integer", "minimum": 1,
                     "description": "The appendix number (one workflow/forms/layouts.toml "
                                    "lays out)."},
        "row": {"type": "integer", "minimum": 1, "maximum": 9,
                "description": "The row of the appendix its entries fill (appendices 2 and 5)."},
        "records": {**_KEY, "description": "Each standing record of this event is a line of "
                                           "the form (absent: each case)."},
        "group_by": {**_KEY, "description": "A choice field or evidence grouping the lines "
                                            "(appendix 3: the category)."},
        "columns": {**_KEYS, "description": "Field, evidence or named-date keys written in the "
                                            "line, in this order (absent: every one given)."},
    },
    "required": ["appendix"],
    "additionalProperties": False,
}

PUBLIC: dict[str, Any] = {
    "type": "object",
    "description": "What an organisation's public page shows of this process's cases (never "
                   "in a process about a person).",
    "properties": {
        "announced_by": {**_KEY, "description": "A case is listed while a record of this event "
                                               "stands."},
        "period": {**_KEYS, "description": "Named dates shown as its period."},
        "events": {**_KEYS, "description": "Events whose standing records are shown."},
        "fields": {
            "description": "Evidence shown on those records (never note, signed_by or a draft "
                           "field).",
            "anyOf": [{**_KEY, "not": {"enum": ["note", "signed_by"]}},
                      {"type": "array", "items": {**_KEY, "not": {"enum": ["note", "signed_by"]}}}],
        },
    },
    "required": ["announced_by"],
    "additionalProperties": False,
}

DRAFTS: dict[str, Any] = {
    "type": "object",
    "description": "Announcements merzim writes from the case, by the stage whose confirming "
                   "record publishes them.",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "template": {"type": "string", "pattern": "^[a-z0-9_]{1,64}$",
                         "description": "The template LANG/NAME.txt.j2 (default: the stage's "
                                        "key)."},
            "event": {**_KEY, "description": "The record confirming the publication (default: "
                                            "the event completing the stage)."},
            "stored_as": {**_KEY, "description": "Its evidence field of type draft keeping the "
                                                "published text."},
            "asks": {**_KEYS, "description": "Evidence fields the officer gives the draft "
                                             "before the record exists."},
        },
        "required": ["stored_as"],
    },
}

SHOWN: dict[str, Any] = {
    "type": "object",
    "description": "Interpretations of this file every case shows, by name, with their labels.",
    "additionalProperties": {
        "type": "object",
        "properties": {"names": {**_NAMES, "description": "The setting's label in kk, ru and "
                                                         "en."}},
        "required": ["names"],
    },
}

FEATURE_TABLES: dict[str, dict[str, Any]] = {
    "planning": PLANNING,
    "monitoring": MONITORING,
    "scorecard": SCORECARD,
    "form": FORM,
    "public": PUBLIC,
    "drafts": DRAFTS,
    "shown": SHOWN,
}

# Checks of a feature that span tables, added to the document's "allOf".
FEATURE_RULES: dict[str, list[dict[str, Any]]] = {
    "public": [{
        "$comment": "A process about a person is never shown on a public page.",
        "if": {"required": ["public"]},
        "then": {"properties": {"parties": {"properties": {"person": {"const": "none"}}}}},
    }],
}


def definition_schema() -> dict[str, Any]:
    """The whole format: the generic part with every feature's table (a fresh copy)."""
    schema = generic_schema()
    for name, fragment in FEATURE_TABLES.items():
        schema["properties"][name] = copy.deepcopy(fragment)
    for rules in FEATURE_RULES.values():
        schema["allOf"].extend(copy.deepcopy(rules))
    return schema

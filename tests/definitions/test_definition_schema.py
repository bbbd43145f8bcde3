"""The definition format as a JSON Schema (`merzim process schema`), produced from the
tables' models that read a file: every shipped definition, every version, validates against
it; the schema is valid draft 2020-12; a broken file the models refuse is refused by the schema
wherever the schema can say so; every key of the schema is used by a shipped file or the
definition with every key; the command prints the schema; and taplo, the checker behind the
editors, validates with it as docs/process-definitions.md says ("Validating a file in your
editor")."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.features import needs, of_map
from workflow.core.errors import ConfigError
from workflow.definitions import DEFINITIONS, PROCEDURES, REGISTERS, VERSIONS
from workflow.definitions import parse_document as parse_definition
from workflow.definitions.features import installed
from workflow.definitions.schema import definition_schema, feature_models

ROOT = Path(__file__).resolve().parents[2]

SCHEMA = definition_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
SHIPPED = [*sorted(DEFINITIONS.glob("*.toml")), *sorted(VERSIONS.glob("*.toml")),
           *sorted(PROCEDURES.glob("*.toml")), *sorted(REGISTERS.glob("*.toml"))]


def _id(path: Path) -> str:
    return str(path.relative_to(DEFINITIONS))


def as_json(value: Any) -> Any:
    """A parsed TOML document as JSON holds it (and as taplo checks it): dates as text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return value


def read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def errors(doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in VALIDATOR.iter_errors(as_json(doc))]


# -- the schema and the shipped files ------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_each_feature_table_is_the_model_its_declaration_carries():
    """No central map: a feature's table is in the schema because its declaration carries its
    model, and only then."""
    tables = {f.table for f in installed() if f.table and f.table_model}
    assert set(feature_models()) == tables and tables <= set(SCHEMA["properties"])
    for table, model in feature_models().items():
        ref = SCHEMA["properties"][table].get("$ref", "")
        assert ref.rsplit("/", 1)[-1] == model.__name__, table


@pytest.mark.parametrize("path", SHIPPED, ids=_id)
def test_every_shipped_definition_validates(path):
    assert errors(read(path)) == []


# -- broken files: refused by the parser, and by the schema where it can say so ------------------

COI = PROCEDURES / "conflict_of_interest.toml"          # about a person, not recurring
QUARTERLY = PROCEDURES / "coi_quarterly_analysis.toml"  # recurring
IRA = DEFINITIONS / "internal_risk_analysis.toml"       # [public], [drafts], the feature tables
NAMES = {"kk": "а", "ru": "б", "en": "c"}


def _set(*path: Any, value: Any) -> Callable[[dict], None]:
    """Set doc[path…] = value (a list index selects an entry of an array of tables)."""
    def mutate(doc: dict) -> None:
        node = doc
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        node[path[-1]] = value
    return mutate


def _drop(*path: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return mutate


def _add_event(**fields: Any) -> Callable[[dict], None]:
    return lambda doc: doc["event"].append({"key": "extra", "names": NAMES, **fields})


# (file, change, what the parser says): the schema refuses each of these too.
REFUSED = {
    "no-process-key": (COI, _drop("process", "key"), "[process] key: is missing"),
    "version-zero": (COI, _set("process", "version", value=0), "version: must be a whole number >= 1"),
    "version-as-text": (COI, _set("process", "version", value="1"), "version: must be a whole number"),
    "no-initial-state": (COI, _drop("process", "initial_state"), "initial_state"),
    "name-missing-in-kk": (COI, _drop("process", "names", "kk"), "names.kk: is missing"),
    "blank-state-name": (COI, _set("states", "settled", "en", value="  "), "settled.en: must match"),
    "person-mode": (COI, _set("parties", "person", value="always"), "person: must be one of"),
    "person-visibility": (COI, _set("parties", "person_visibility", value="all"),
                          "person_visibility: must be one of"),
    "unknown-unit": (COI, _set("stage", 0, "due", "unit", value="days"), "due.unit: must be one of"),
    "offset-true": (COI, _set("stage", 0, "due", "offset", value=True), "whole number"),
    # an integer field's or evidence's bounds are whole numbers
    "field-max-as-text": (COI, lambda doc: doc.setdefault("field", []).append(
        {"key": "n", "type": "integer", "max": "9", "names": NAMES}), "max: must be a whole"),
    "evidence-min-fraction": (COI, _set("evidence", "n", value={
        "type": "integer", "min": 0.5, "names": NAMES}), "min: must be a whole"),
    "offset-fraction": (COI, _set("stage", 0, "due", "offset", value=1.5), "whole number"),
    "offset-negative": (COI, _set("stage", 0, "due", "offset", value=-3), "whole number"),
    "direction": (COI, _set("stage", 0, "due", "direction", value="later"),
                  "due.direction: must be one of"),
    "roll": (COI, _set("stage", 0, "due", "roll", value="next"), "due.roll: must be one of"),
    "no-anchor": (COI, _drop("stage", 0, "due", "anchor"), "due.anchor: is missing"),
    "anchor-part": (COI, _set("stage", 0, "due", "anchor", value="notified.actual"),
                    "due.anchor: must match"),
    "inclusive-in-calendar-days": (COI, _set("stage", 0, "due", value={
        "anchor": "notified", "offset": 3, "unit": "calendar_days", "inclusive": True}),
        "inclusive applies to working days"),
    "inclusive-without-offset": (COI, _set("stage", 0, "due", value={
        "anchor": "notified", "inclusive": True}), "inclusive applies to working days"),
    "stage-without-names": (COI, _drop("stage", 0, "names"), "names: is missing"),
    "initially": (COI, _set("stage", 3, "initially", value="closed"),
                  "initially: must be one of"),
    "reminder-days-negative": (COI, _set("stage", 0, "reminders", value={"before": [3, -1]}),
                               "reminders.before"),
    "evidence-any-empty": (COI, _set("stage", 0, "evidence_any", value=[]),
                           "evidence_any: must not be empty"),
    "evidence-any-empty-group": (COI, _set("stage", 0, "evidence_any", value=[["url"], []]),
                                 "evidence_any[1]: must not be empty"),
    "evidence-not-keys": (COI, _set("event", 0, "evidence", value=[1]), "evidence[0]: must be a text"),
    "event-without-key": (COI, _drop("event", 0, "key"), "event[0] key: is missing"),
    "subject-kind": (COI, _set("event", 0, "subject_kinds", value=["ministry"]),
                     "subject_kinds[0]: must be one of"),
    "opens-case-extra-key": (COI, _add_event(opens_case={"process": "gift", "date": "received",
                                                         "when": "now"}), "opens_case.when: unknown key"),
    "opens-case-without-date": (COI, _add_event(opens_case={"process": "gift"}),
                                "opens_case.date: is missing"),
    "evidence-type": (COI, _set("evidence", "receipt", value={"type": "number", "names": NAMES}),
                      "receipt.type: must be one of"),
    "evidence-built-in-declared": (COI, _set("evidence", "url",
                                             value={"type": "url", "names": NAMES}), "built in"),
    "evidence-without-names": (COI, _set("evidence", "receipt", value={"type": "text"}),
                               "receipt.names: is missing"),
    "date-given": (COI, _set("dates", "notified", "given", value="yes"), "notified.given: must be one of"),
    "date-past-as-text": (COI, _set("dates", "notified", "past", value="yes"),
                          "notified.past: must be true or false"),
    "month-day-without-year-of": (COI, _set("dates", "deadline", value={
        "month_day": "09-15", "names": NAMES}), "month_day needs year_of"),
    "field-type": (COI, _set("field", value=[{"key": "value", "type": "money", "names": NAMES}]),
                   "type: must be one of"),
    "choice-field-without-choices": (COI, _set("field", value=[
        {"key": "kind", "type": "choice", "names": NAMES}]), "needs choices"),
    "period": (QUARTERLY, _set("recurrence", "period", value="week"), "period: must be one of"),
    "applies-to-nobody": (QUARTERLY, _set("recurrence", "applies_to", value=[]),
                          "applies_to: must not be empty"),
    "applies-to-unknown-kind": (QUARTERLY, _set("recurrence", "applies_to", value=["ministry"]),
                                "applies_to[0]: must be one of"),
    "period-due-rule": (QUARTERLY, _set("recurrence", "due", "rule", value="soon"),
                        "due.rule: must be one of"),
    "period-due-day": (QUARTERLY, _set("recurrence", "due", value={
        "rule": "month_after", "day": 32}), "due.day: must be a whole number <= 31"),
    "recurrence-enabled-as-text": (QUARTERLY, _set("recurrence", "enabled", value="no"),
                                   "enabled: must be true or false"),
    "period-date-declared": (QUARTERLY, _set("dates", "period_due",
                                             value={"given": "required", "names": NAMES}),
                             "set by [recurrence]"),
    **of_map("public", {  # the public pages read [public] when installed
        "public-unknown-key": (IRA, _set("public", "colour", value="red"),
                               "[public] colour: unknown key"),
        "public-without-announced-by": (IRA, _drop("public", "announced_by"), "announced_by"),
        "public-shows-a-note": (IRA, _set("public", "fields", value=["url", "note"]),
                                "may not show 'note'"),
        "public-about-a-person": (COI, _set("public", value={"announced_by": "forwarded"}),
                                  "about a person")}),
    **of_map("drafts", {  # the drafts feature parses its [drafts] table when installed
        "draft-template-name": (IRA, _set("drafts", "publication", "template",
                                          value="Publication"), "template: must match"),
        "draft-without-stored-as": (IRA, _drop("drafts", "publication", "stored_as"),
                                    "stored_as: is missing")}),
    "shown-without-names": (QUARTERLY, _set("shown", value={"x": {}}), "shown] x.names"),
    "mappable-not-a-party": (COI, _set("parties", "mappable", value=["person", "kind"]),
                             "mappable[1]: must be one of"),
    "unknown-process-key": (COI, _set("process", "colour", value="red"), "colour: unknown key"),
    "misspelt-due-key": (COI, _set("stage", 0, "due", "offest", value=5),
                         "due.offest: unknown key"),
    "unknown-event-key": (COI, _set("event", 0, "colour", value="red"), "colour: unknown key"),
}


def _refused_by_parser(path: Path, mutate: Callable[[dict], None], says: str) -> dict:
    doc = read(path)
    mutate(doc)
    if "shown" in doc:  # [shown] names an interpretation of the file
        doc.setdefault("interpretations", {}).update(dict.fromkeys(doc["shown"], ""))
    with pytest.raises(ConfigError, match=re.escape(says)):
        parse_definition(copy.deepcopy(doc), path.name)
    return doc


@pytest.mark.parametrize(("path", "mutate", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_a_broken_file_the_parser_refuses_the_schema_refuses(path, mutate, says):
    doc = _refused_by_parser(path, mutate, says)
    assert errors(doc) != []


# What refers to another entry of the file is checked when merzim loads it, not by the schema:
# an editor shows these files as valid (docs/process-definitions.md says so).
ACROSS_TABLES = {
    "dest-unknown-state": (COI, _set("event", 0, "dest", value="nowhere"), "unknown state"),
    "anchor-unknown-date": (COI, _set("stage", 0, "due", "anchor", value="nowhen"),
                            "unknown date"),
    "offset-unknown-interpretation": (COI, _set("stage", 0, "due", "offset", value="gap"),
                                      "unknown interpretation"),
    "completes-unknown-stage": (COI, _set("event", 0, "completes", value="nothing"),
                                "completes: unknown stage"),
}


@pytest.mark.parametrize(("path", "mutate", "says"), ACROSS_TABLES.values(),
                         ids=ACROSS_TABLES.keys())
def test_a_reference_to_another_entry_is_the_parsers_to_check(path, mutate, says):
    doc = _refused_by_parser(path, mutate, says)
    assert errors(doc) == []


# A table the format does not know is left alone (a feature's table when the feature is not
# installed); inside a table, a key it does not know is refused (REFUSED).
IGNORED = {
    "unknown-top-level-table": _set("colour", value={"red": True}),
}


@pytest.mark.parametrize("mutate", IGNORED.values(), ids=IGNORED.keys())
def test_a_key_the_parser_ignores_the_schema_lets_pass(mutate):
    doc = read(COI)
    mutate(doc)
    parse_definition(copy.deepcopy(doc), COI.name)
    assert errors(doc) == []


# -- the schema, the parser and the shipped files agree on the keys ------------------------------


def _deref(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _branches(node: dict) -> Iterator[dict]:
    node = _deref(node)
    yield node
    for branch in node.get("anyOf", ()):
        yield from _branches(branch)


def _step(node: dict, key: str) -> tuple[dict, str] | None:
    """The schema of `key` inside `node`, and the key as the schema names it ("*": any key of
    a table keyed by name, "[]": an entry of an array)."""
    for branch in _branches(node):
        if key == "[]":
            if "items" in branch:
                return branch["items"], "[]"
        elif key in branch.get("properties", {}):
            return branch["properties"][key], key
        elif isinstance(branch.get("additionalProperties"), dict):
            return branch["additionalProperties"], "*"
    return None


def in_schema(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """A key path of a document as the schema names it; None when the schema has no such key."""
    node: dict = SCHEMA
    out = []
    for key in path:
        found = _step(node, key)
        if found is None:
            return None
        node, name = found
        out.append(name)
    return tuple(out)


def schema_keys(node: dict = SCHEMA, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key the schema declares, as a path ("*" and "[]" as in_schema names them)."""
    for branch in _branches(node):
        for key, sub in branch.get("properties", {}).items():
            yield (*path, key)
            yield from schema_keys(sub, (*path, key))
        if isinstance(branch.get("additionalProperties"), dict):
            yield from schema_keys(branch["additionalProperties"], (*path, "*"))
        if "items" in branch:
            yield from schema_keys(branch["items"], (*path, "[]"))


def used_keys(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key path of a parsed document."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*path, key)
            yield from used_keys(sub, (*path, key))
    elif isinstance(value, list):
        for sub in value:
            yield from used_keys(sub, (*path, "[]"))


# A definition with the keys no shipped file uses (typed fields, a stage's reminders, a
# month_after period, due rules of dynamic and programme stages), so that the parser looks
# them up too.
_N = '{ kk = "а", ru = "б", en = "c" }'
EVERY_KEY = f"""
[process]
key = "every_key"
version = 2
initial_state = "open"
final_states = ["done"]
names = {_N}

[parties]
object = "optional"
person = "required"
person_visibility = "responsible"
mappable = ["person", "responsible"]

[[field]]
key = "kind"
type = "choice"
required = true
choices = ["a", "b"]
names = {_N}

[[field]]
key = "amount"
type = "integer"
min = -5
max = 1000
names = {_N}

[evidence.receipt]
type = "text"
names = {_N}

[evidence.count]
type = "integer"
min = 1
max = 99
names = {_N}

[recurrence]
period = "quarter"
applies_to = ["akimat", "district_akimat"]
enabled = true
due = {{ rule = "month_after", months = 1, day = 5, roll = "following" }}

[interpretations]
gap = 2
[interpretation_sources]
gap = "P-1"
[shown.gap]
names = {_N}

[dates.received]
given = "optional"
past = true
not_before = "period_start"
names = {_N}

[dates.settled.default]
anchor = ["received", "period_due.planned"]
combine = "earliest"
offset = "gap"
unit = "working_days"
direction = "after"
roll = "preceding"
inclusive = true

[dates.reminded]
month_day = "12-01"
year_of = "period_start"

[dates.forwarded]
projected_from = "check"

[states]
open = {_N}
done = {_N}

[[timer]]
on = "settled"
source = ["open"]
dest = "done"

[[event]]
key = "forwarded"
source = ["open"]
completes = "check"
sets = ["forwarded"]
evidence = ["receipt"]
evidence_any = [["url"], ["number", "signed_by"]]
not_before = "received"
subject_kinds = ["akimat"]
repeatable = true
names = {_N}

[[event]]
key = "escalated"
prerequisites = ["forwarded"]
requires = ["note"]
open = ["escalation"]
names = {_N}

[[event]]
key = "closed"
dest = "done"
close = ["*"]
terminal = true
opens_case = {{ process = "other", date = "start" }}
names = {_N}

[[stage]]
key = "check"
responsible = "manager"
source = "P-1"
due = {{ anchor = "period_due", offset = 3, unit = "calendar_days", direction = "before" }}
reminders = {{ before = [3, 1] }}
evidence = ["number"]
names = {_N}

[[stage]]
key = "escalation"
initially = "dormant"
prerequisites = ["escalated"]
requires = ["note"]
evidence_any = [["url"]]
names = {_N}

[[dynamic_stage]]
key = "report"
due = {{ anchor = "received", offset = 1, unit = "months" }}
reminders = {{ before = [1] }}
names = {_N}

[[programme_stage]]
key = "plan"
due = {{ anchor = "received", offset = 1, unit = "years" }}
reminders = {{ before = [5] }}
names = {_N}

[papers.check_note]
stage = "check"
event = "forwarded"
template = "check_note"
prints = ["forwarded.receipt"]
confirms = true
person = false
names = {_N}
"""

# Keys only a feature reads (not the parser) that no shipped file uses, and why they exist.
NOT_IN_A_SHIPPED_FILE = {
    ("LinkTable", "files"):
        "a link whose case's files stay with the case (files = false); every shipped link "
        "carries them",
    ("ScoreSteps", "cartogram_updated"):
        "a stage completing the step 1.5.1 counts (workflow/scorecard: STEP_ROLES); the "
        "internal analysis counts the records of an event instead ([scorecard.events])",
}


def _documents() -> Iterator[tuple[str, dict]]:
    for path in SHIPPED:
        yield _id(path), read(path)
    yield "EVERY_KEY", tomllib.loads(EVERY_KEY)


def test_the_definition_with_every_key_is_valid_for_both():
    doc = tomllib.loads(EVERY_KEY)
    parse_definition(doc, "every_key.toml")
    assert errors(doc) == []


def _removed_feature(table: str) -> bool:
    """A top-level table of a feature removed from this tree (its folder gone): the format
    leaves it alone and the schema no longer describes it (docs/architecture.md, "Removing a
    feature"). With every feature present, no table is one."""
    return table not in SCHEMA["properties"] and not (ROOT / "workflow" / table).is_dir()


@pytest.mark.parametrize("path", SHIPPED, ids=_id)
def test_every_key_a_shipped_file_uses_is_in_the_schema(path):
    assert sorted(p for p in used_keys(read(path))
                  if not _removed_feature(p[0]) and in_schema(p) is None) == []


def _owner(path: tuple[str, ...]) -> tuple[str, str] | None:
    """The table model (its schema's name) a key path of a document ends in, and the key."""
    node, owner = SCHEMA, "Definition"
    for key in path:
        for branch in _branches(node):
            if "$ref" in node:
                owner = node["$ref"].rsplit("/", 1)[1]
            found = _step(branch, key)
            if found is not None:
                break
        if found is None:
            return None
        if key != "[]" and found[1] != "*":
            last = (owner, key)
        node = found[0]
        if "$ref" in node:
            owner = node["$ref"].rsplit("/", 1)[1]
    return last


def test_every_key_in_the_schema_is_used_by_a_shipped_file_or_the_one_with_every_key():
    """Each key of each table model is written by a shipped file or by EVERY_KEY."""
    declared = {("Definition", k) for k in SCHEMA["properties"]} | {
        (name, k) for name, d in SCHEMA["$defs"].items() for k in d.get("properties", {})}
    known = {_owner(p) for _, doc in _documents() for p in used_keys(doc)}
    unknown = declared - known - set(NOT_IN_A_SHIPPED_FILE)
    assert sorted(unknown) == []
    assert not set(NOT_IN_A_SHIPPED_FILE) & known, "now in use: drop it from the list"


# -- the command -------------------------------------------------------------------------------


def test_the_command_prints_the_schema_and_writes_it_to_a_file(tmp_path):
    env = merzim_env()
    printed = run_merzim(["process", "schema"], env=env, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == SCHEMA
    written = run_merzim(["process", "schema", "--output", "merzim-definition.schema.json"],
                         env=env, cwd=tmp_path)
    assert (written.returncode, written.stdout) == (0, ""), written.stderr
    text = (tmp_path / "merzim-definition.schema.json").read_text(encoding="utf-8")
    assert text == printed.stdout and json.loads(text) == SCHEMA


def test_the_command_refuses_a_file_it_cannot_write(tmp_path):
    env = merzim_env()
    result = run_merzim(["process", "schema", "--output", str(tmp_path / "no" / "s.json")],
                        env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "s.json" in result.stderr and "Traceback" not in result.stderr


# -- taplo, as the operator runs it ------------------------------------------------------------

TAPLO = shutil.which("taplo", path=str(Path(sys.executable).parent)) or shutil.which("taplo")
needs_taplo = pytest.mark.skipif(TAPLO is None, reason="taplo is not installed (pip install "
                                 "taplo: the test extra has it)")


def taplo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TAPLO), "check", "--no-auto-config", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "merzim-definition.schema.json"
    path.write_text(json.dumps(SCHEMA, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _broken_copy(folder: Path, first_line: str = "") -> Path:
    text = COI.read_text(encoding="utf-8")
    assert text.count('unit = "working_days" }') >= 1
    broken = folder / "broken.toml"
    broken.write_text(first_line + text.replace('unit = "working_days" }', 'unit = "days" }'),
                      encoding="utf-8")
    return broken


@needs_taplo
def test_taplo_validates_every_shipped_file_and_refuses_a_broken_one(tmp_path, schema_file):
    url = schema_file.as_uri()
    ok = taplo("--schema", url, *map(str, SHIPPED), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    bad = taplo("--schema", url, str(_broken_copy(tmp_path)), cwd=tmp_path)
    assert bad.returncode != 0
    assert '"days" is not one of' in bad.stderr


@needs_taplo
def test_taplo_reads_the_schema_directive_on_the_first_line(tmp_path, schema_file):
    directive = f"#:schema ./{schema_file.name}\n"
    good = tmp_path / "good.toml"
    good.write_text(directive + COI.read_text(encoding="utf-8"), encoding="utf-8")
    parse_definition(tomllib.loads(good.read_text(encoding="utf-8")), good.name)  # a comment
    assert taplo(str(good), cwd=tmp_path).returncode == 0
    bad = taplo(str(_broken_copy(tmp_path, directive)), cwd=tmp_path)
    assert bad.returncode != 0 and '"days" is not one of' in bad.stderr


# -- a refusal in the reader's language ----------------------------------------------------------


@pytest.mark.parametrize(("lang", "words"), [
    ("kk", ("conflict_of_interest.toml", "[stage]", "stage[0] (forward) due.unit",
            "мына мәндердің бірі болуы керек", "working_days")),
    ("ru", ("conflict_of_interest.toml", "[stage]", "stage[0] (forward) due.unit",
            "должно быть одним из значений", "working_days")),
    ("en", ("conflict_of_interest.toml", "[stage]", "stage[0] (forward) due.unit",
            "must be one of", "working_days")),
])
def test_a_refusal_names_file_table_key_and_reason_in_the_readers_language(lang, words):
    from workflow.i18n import Translator

    doc = read(COI)
    _set("stage", 0, "due", "unit", value="days")(doc)
    with pytest.raises(ConfigError) as err:
        parse_definition(doc, COI.name)
    text = err.value.render(Translator(lang))
    assert all(w in text for w in words), text


def test_a_refusal_of_a_value_names_what_it_refused_in_english_too():
    doc = read(COI)
    _set("parties", "person", value="always")(doc)
    with pytest.raises(ConfigError) as err:
        parse_definition(doc, COI.name)
    assert err.value.message == ("conflict_of_interest.toml: [parties] person: must be one of "
                                 "none, optional, required (not 'always')")


# -- the generic engine reads no feature's table raw -----------------------------------------------

GENERIC = ("workflow/core", "workflow/definitions", "workflow/services", "workflow/reminders",
           "workflow/registers", "workflow/cli", "web")
RAW_TABLE = re.compile(r"\.raw(?:\.get\(|\[)\s*[\"']([a-z_]+)[\"']")


def test_the_generic_engine_reads_no_table_of_a_definition_raw():
    """A feature's table reaches the engine typed (its model's value in `Definition.features`,
    `Definition.span`, `.scorecard`, `.form`), never as `definition.raw["planning"]`."""
    root = DEFINITIONS.parent.parent
    found = [f"{path.relative_to(root)}: {m.group(0)}"
             for folder in GENERIC for path in sorted((root / folder).rglob("*.py"))
             for m in RAW_TABLE.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_a_features_table_is_typed_in_the_definition():
    ira = parse_definition(read(IRA), IRA.name)
    typed = {"planning": "PlanningTable", "monitoring": "MonitoringTable",
             "scorecard": "ScorecardSpec", "public": "Public"}
    assert {k: type(v).__name__ for k, v in ira.features.items() if k != "drafts"} == {
        k: v for k, v in typed.items() if k in feature_models()}
    if "planning" in feature_models():
        assert ira.span is not None and (ira.span.start, ira.span.end) == ("start", "end")
    assert parse_definition(read(COI), COI.name).span is None


@needs("public")
def test_a_feature_not_installed_leaves_nothing_of_its_table_in_the_schema():
    from workflow.core import feature as registry
    from workflow.installed import SHIPPED, install

    try:
        registry.install(f for f in SHIPPED if f.name != "public")
        schema = definition_schema()
        assert "public" not in schema["properties"] and "Public" not in schema["$defs"]
        assert "public" not in json.dumps(schema["allOf"])
        parse_definition(read(IRA), IRA.name)  # its [public] table is left alone
    finally:
        install()
    assert "public" in definition_schema()["properties"]


@pytest.mark.parametrize(("lang", "says"), [
    ("kk", "осы процестің күйін атамайды"), ("ru", "не называет состояние этого процесса"),
    ("en", "names no state of this process")])
def test_a_reference_to_no_entry_is_refused_in_the_readers_language(lang, says):
    from workflow.i18n import Translator

    doc = read(COI)
    _set("event", 0, "dest", value="nowhere")(doc)
    with pytest.raises(ConfigError, match="unknown state 'nowhere'") as err:
        parse_definition(doc, COI.name)
    text = err.value.render(Translator(lang))
    assert all(w in text for w in (COI.name, "[event]", "event[0]", "dest", says, "'nowhere'"))


@pytest.mark.skipif("form" not in feature_models(), reason="the forms feature is not installed")
def test_a_limit_is_written_once_a_tenth_row_of_a_form_is_taken_by_both():
    """The form's row has one limit (its model's): a tenth row of appendix 2 is neither refused
    by the schema nor by merzim; row 0 by both."""
    path = next(p for p in sorted(REGISTERS.glob("*.toml")) if "row" in read(p).get("form", {}))
    doc = read(path)
    doc["form"]["row"] = 10
    assert errors(doc) == [] and parse_definition(doc, path.name).form.row == 10
    doc["form"]["row"] = 0
    assert errors(doc) != []
    with pytest.raises(ConfigError, match=r"\[form\] row: must be a whole number >= 1"):
        parse_definition(doc, path.name)


# -- every refusal in Kazakh and Russian: file, table, key and a reason of the catalogue ----------


def _copy_entry(table: str, **changes: Any) -> Callable[[dict], None]:
    """A second entry of an array of tables: the first one again, changed."""
    return lambda doc: doc[table].append({**doc[table][0], **changes})


def _first_key(table: str, key: str, value: Callable[[dict], Any]) -> Callable[[dict], None]:
    """The first entry's `key` set to what `value` makes of the document."""
    return lambda doc: doc[table][0].__setitem__(key, value(doc))


FIRST_EVENT, FIRST_STAGE = (lambda doc: doc["event"][0]["key"]), (lambda doc: doc["stage"][0]["key"])
FORM = next((p for p in sorted(REGISTERS.glob("*.toml")) if "form" in read(p)), None)
COUNTED = next((p for p in sorted(REGISTERS.glob("*.toml")) if "counted" in read(p).get(
    "scorecard", {})), None)

# What the entries name across the tables, each refused with its own reason.
ACROSS_ENTRIES = {
    "duplicate-event": (COI, _copy_entry("event")),
    "duplicate-stage": (COI, _copy_entry("stage")),
    "duplicate-field": (COI, _set("field", value=[{"key": "n", "names": NAMES}] * 2)),
    "open-not-dormant": (COI, _first_key("event", "open", lambda doc: [FIRST_STAGE(doc)])),
    "event-its-own-prerequisite": (COI, _first_key("event", "prerequisites",
                                                   lambda doc: [FIRST_EVENT(doc)])),
    "stage-prerequisite-no-event": (COI, _set("stage", 0, "prerequisites", value=["nothing"])),
    "date-without-value": (COI, _set("dates", "extra", value={"names": NAMES})),
    "due-rules-cycle": (COI, lambda doc: doc["dates"].update(
        a={"default": {"anchor": ["b"]}, "names": NAMES},
        b={"default": {"anchor": ["a"]}, "names": NAMES})),
    "month-day-no-date": (COI, lambda doc: doc["dates"].update(deadline={
        "month_day": "13-40", "year_of": next(iter(doc["dates"])), "names": NAMES})),
    "timer-unknown-date": (COI, lambda doc: doc.__setitem__("timer", [
        {"on": "nowhen", "dest": next(iter(doc["states"]))}])),
    "final-state-unknown": (COI, _set("process", "final_states", value=["nowhere"])),
    "choice-names-no-choice": (COI, _set("field", value=[{
        "key": "kind", "type": "choice", "choices": ["a"], "choice_names": {"b": NAMES},
        "names": NAMES}])),
    "min-above-max": (COI, _set("field", value=[{"key": "n", "type": "integer", "min": 5,
                                                 "max": 1, "names": NAMES}])),
    "required-when-no-choice": (COI, _set("field", value=[
        {"key": "n", "names": NAMES}, {"key": "m", "required_when": {"n": ["x"]},
                                       "names": NAMES}])),
    "link-on-no-event": (COI, _set("link", value=[{"on": "nothing", "opens": "gift"}])),
    "link-set-and-carried": (COI, lambda doc: doc.__setitem__("link", [{
        "on": FIRST_EVENT(doc), "opens": "gift", "values": {"kind": "x"},
        "carry": {"kind": ["notified"]}}])),
    "link-opened-twice": (COI, lambda doc: doc.__setitem__("link", [
        {"on": FIRST_EVENT(doc), "opens": "gift"}] * 2)),
    "period-due-day-32": (QUARTERLY, _set("recurrence", "due", value={
        "rule": "fixed", "month": 2, "day": 30})),
    **of_map("public", {"public-unknown-event": (IRA, _set("public", "events", value=["nothing"]))}),
    **of_map("drafts", {"draft-unknown-stage": (IRA, _set("drafts", "nothing", value={
        "stored_as": "url"}))}),
    **({"scorecard-unknown-stage": (COUNTED, _set("scorecard", "counted", value="nothing"))}
       if COUNTED is not None and "scorecard" in feature_models() else {}),
    **({"form-unknown-column": (FORM, _set("form", "columns", value=["nothing"]))}
       if FORM is not None and "form" in feature_models() else {}),
}
ENGLISH = re.compile(r"\b(must|unknown|missing|names?|not|is|the|of|this|process|whole|number|"
                     r"needs?|only|with|and|or|before|twice|key)\b")


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize(("path", "mutate"), [
    *((path, mutate) for path, mutate, _ in (*REFUSED.values(), *ACROSS_TABLES.values())),
    *ACROSS_ENTRIES.values()], ids=[*REFUSED, *ACROSS_TABLES, *ACROSS_ENTRIES])
def test_every_refusal_names_file_table_and_key_in_kazakh_and_russian(path, mutate, lang):
    """Each refusal reads in the reader's language: the file, the table and the key as the
    file writes them, the reason from the catalogue and no English word around them (what is
    quoted, a key or a value, stays as written)."""
    from workflow.i18n import Translator

    doc = read(path)
    mutate(doc)
    if "shown" in doc:
        doc.setdefault("interpretations", {}).update(dict.fromkeys(doc["shown"], ""))
    with pytest.raises(ConfigError) as err:
        parse_definition(doc, path.name)
    error, translate = err.value, Translator(lang)
    text = error.render(translate)
    params = error.params
    assert error.key == "error.definition", error.message
    assert params["file"] == path.name and f"[{params['table']}]" in text, text
    assert params["entry"] and params["entry"] in text, text
    assert translate(error.labels["reason"], default=None) is not None, error.labels
    said = text
    for part in (params["file"], params["entry"], params["table"], params.get("expected")):
        said = said.replace(part, " ") if part else said
    said = re.sub(r"'[^']*'|\S*[_.=\[\]{}\d]\S*", " ", said)  # quoted values, keys, numbers
    assert not ENGLISH.search(said), f"{text!r}: English in {said!r}"
    assert re.search("[а-яәіңғүұқөһ]", said, re.I), text


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize(("extra", "entry"), [
    ('[[link]]\non = "forwarded"\nopens = "nowhere"\n', r"\[link\].* link \d+ opens"),
    ('[[event]]\nkey = "opens"\nnames = { kk = "а", ru = "б", en = "c" }\n'
     'opens_case = { process = "conflict_of_interest", date = "forwarded" }\n',
     r"\[event\].* event \(opens\) opens_case\.date")])
def test_a_file_naming_another_process_wrongly_is_refused_in_the_readers_language(
        tmp_path, extra, entry, lang):
    """What a file names of another loaded process is refused when the files load, naming the
    file, the table and the key in the reader's language."""
    from workflow.definitions import load_registry
    from workflow.i18n import Translator

    text = COI.read_text(encoding="utf-8").replace('key = "conflict_of_interest"',
                                                   'key = "coi_copy"', 1)
    (tmp_path / "coi_copy.toml").write_text(f"{text}\n{extra}", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_registry((tmp_path,))
    text = err.value.render(Translator(lang))
    assert "coi_copy.toml" in text and re.search(entry, text) and err.value.key == "error.definition"
    assert not ENGLISH.search(re.sub(r"'[^']*'|\S*[_.=\[\]{}()\d]\S*", " ", text)), text

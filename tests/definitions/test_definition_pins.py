"""A definition version is pinned by its meaning, not its bytes: the database keeps the text of
each version a case was opened with, and a file that kept its version number opens the next
case only if it still means the same (comments and layout may change; a value may not).
On SQLite and PostgreSQL, through the service that opens a case."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.databases import dump_tables
from workflow import services as svc
from workflow.core.errors import ConfigError
from workflow.definitions import DEFAULT_PROCESS, PROCEDURES, Loaded, load_registry
from workflow.services.processes import keep_version, same_meaning
from workflow.storage.models import Case, ProcessDefinition

CAL = KazakhstanCalendar()
TODAY = date(2026, 3, 20)
# the shipped gift.toml (commented as shipped) under a key of the operator's own
GIFT = (PROCEDURES / "gift.toml").read_text(encoding="utf-8").replace(
    'key = "gift"', 'key = "gift_local"', 1)
V = int(re.search(r"^version = (\d+)$", GIFT, re.M).group(1))  # its version
WORDING = [
    # a comment reworded
    ("# Process definition: a gift", "# Process definition (the operator's copy): a gift"),
    # a trailing comment dropped and the value's padding with it
    ('person = "required"                    # the recipient', 'person = "required"'),
    # a blank line less, a comment line more
    ('final_states = ["handed_over", "paid", "not_handed_over"]\n',
     'final_states = ["handed_over", "paid", "not_handed_over"]\n# see procedures.md\n'),
]


def _edited(*edits: tuple[str, str]) -> str:
    text = GIFT
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _registry(tmp_path: Path, text: str):
    """The shipped definitions and gift_local.toml with this text, in a folder of their own."""
    folder = tmp_path / "procedures"
    folder.mkdir(exist_ok=True)
    (folder / "gift_local.toml").write_text(text, encoding="utf-8")
    return load_registry((folder,))


def _ctx(registry) -> svc.Context:
    return svc.Context(CAL, registry, TODAY, actor="test", language="en")


def _world(db, registry) -> None:
    with Session(db) as s:
        svc.add_org(s, _ctx(registry), "AK", "Akimat", "akimat")
        s.commit()


def _open(db, registry, person: str) -> int:
    with Session(db) as s:
        case = svc.open_case(s, _ctx(registry), "gift_local", "AK", person=person,
                             dates={"received": TODAY})
        s.commit()
        return case.id


def _stored(db) -> list[tuple[int, str, str]]:
    with Session(db) as s:
        rows = s.exec(select(ProcessDefinition).where(ProcessDefinition.key == "gift_local"))
        return [(r.version, r.sha256, r.text) for r in rows]


def _due(db, case_id: int) -> dict[str, tuple]:
    with Session(db) as s:
        case = s.get(Case, case_id)
        return {k: (st.due_date, st.status) for k, st in svc.stages_of(s, case).items()}


def test_a_file_with_other_comments_opens_cases_under_its_version(db, tmp_path):
    shipped = _registry(tmp_path, GIFT)
    _world(db, shipped)
    first = _open(db, shipped, "A")
    stored = _stored(db)
    assert stored == [(V, shipped.loaded["gift_local"].sha256, GIFT)]
    edited = _registry(tmp_path, _edited(*WORDING))
    assert edited.loaded["gift_local"].sha256 != stored[0][1]
    second = _open(db, edited, "B")
    third = _open(db, edited, "C")  # the answer is kept: the texts are not read again
    # the row keeps the text the first case was opened with, which means the same
    assert _stored(db) == stored
    with Session(db) as s:
        assert [s.get(Case, c).process_version for c in (first, second, third)] == [V, V, V]
    # received Fri 20 March 2026: handed over within 7 calendar days, by Fri 27 March
    assert _due(db, second) == _due(db, first) == {"hand_over": (date(2026, 3, 27), "open")}
    # answered once per pair of texts (by their digests), whatever is asked later
    assert same_meaning(stored[0][1], "not = [toml", edited.loaded["gift_local"].sha256, "")


@pytest.mark.parametrize("edit", [
    ("offset = 7", "offset = 8"),                                     # a rule
    ('en = "Hand-over act" }', 'en = "Act of hand-over" }'),         # a name
    ('past = true\n', 'past = false\n'),                              # a value's truth
    ('person = "required"', 'person = "optional"'),                   # a party
    ('[parties]\nperson = "required"                    # the recipient\n',
     '[parties]\nperson = "required"\nobject = "optional"\n'),       # a key added
], ids=["rule", "name", "flag", "party", "key-added"])
def test_a_changed_value_without_a_new_version_is_refused(db, tmp_path, edit):
    shipped = _registry(tmp_path, GIFT)
    _world(db, shipped)
    _open(db, shipped, "A")
    edited = _registry(tmp_path, _edited(edit))
    before = dump_tables(db)
    with pytest.raises(ConfigError) as err:
        _open(db, edited, "B")
    assert err.value.message == (
        f"gift_local.toml: process gift_local version {V} was changed without a new version "
        "number; raise [process] version so cases opened under it keep theirs")
    assert dump_tables(db) == before


def test_the_same_text_is_accepted_by_its_digest_alone(db, tmp_path):
    shipped = _registry(tmp_path, GIFT)
    _world(db, shipped)
    _open(db, shipped, "A")
    # the stored row's text is not read when its digest is the file's: an unreadable text
    # under the right digest still opens the next case
    with Session(db) as s:
        row = s.get(ProcessDefinition, ("gift_local", V))
        row.text = "not = [toml"
        s.add(row)
        s.commit()
    before = _stored(db)
    _open(db, _registry(tmp_path, GIFT), "B")
    assert _stored(db) == before


def test_the_shipped_analysis_keeps_opening_after_its_comments_change(db):
    """A database whose current internal analysis version was stored before a comment of the
    shipped file changed: the file still opens that version's cases."""
    registry = load_registry()
    loaded: Loaded = registry.loaded[DEFAULT_PROCESS]
    earlier = loaded.text.replace("# Announcements:", "# Announcements, as published:", 1)
    assert earlier != loaded.text
    definition = loaded.definition
    with Session(db) as s:
        s.add(ProcessDefinition(key=definition.key, version=definition.version,
                                sha256=Loaded(definition, earlier, loaded.path).sha256,
                                text=earlier, stored_at="2026-01-05T09:00:00+05:00"))
        s.commit()
    before = dump_tables(db)
    with Session(db) as s:
        keep_version(s, _ctx(registry), definition)
        s.commit()
    assert dump_tables(db) == before
    # a value changed in that stored text is another meaning: refused
    changed = earlier.replace("version = 6", "version = 6\nkind = \"x\"", 1)
    assert not same_meaning("a" * 64, changed, loaded.sha256, loaded.text)

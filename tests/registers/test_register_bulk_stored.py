"""A register import's batches cost the same whatever the subjects already hold: a batch reads
again only what another writer wrote since the file was checked, and a case another writer
typed between the check and the write, or between two batches, is still refused as a repeat
(workflow/imports/registers.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.bulk_helpers import commit
from tests.support.databases import dump_tables
from tests.support.register_rows import (  # noqa: F401 - the `codes` and `small_batches` fixtures
    breach_rows,
    codes_fixture,
    context,
    interrupted_import,
    small_batches_fixture,
    world,
)
from tests.support.sql_trace import statements, statements_with_parameters
from workflow.core.errors import RuleViolation
from workflow.imports import registers as ri
from workflow.services import registers
from workflow.storage.db import make_engine
from workflow.storage.db import session as open_session
from workflow.storage.models import Organisation


def plain_rows(codes: list[str], n: int, seed: int, who: str) -> list[dict[str, str]]:
    """`n` rows naming no event, of persons named after `who` (none repeats another file's)."""
    rows = [r for r in breach_rows(codes, 3 * n, seed) if not r["event"]][:n]
    return [{**r, "person": f"{who} {i}"} for i, r in enumerate(rows)]


def written(eng, rows) -> list[str]:
    """The statements the import's write phase sends (the file checked first, untraced)."""
    with open_session(eng) as s:
        checked = ri.check_file(s, context(), "restriction_breach", rows)
        with statements(eng) as sent:
            ri.write_file(s, context(), checked)
        s.commit()
    return list(sent)


def reads_repeats(sent: list[str]) -> list[str]:
    """The statements that read cases' repeat keys (their dates, person and fields)."""
    return [q for q in sent if q.lstrip().upper().startswith("SELECT")
            and "process_case.person_name" in q]


def subjects_read(sent: list[tuple[str, object]], ids: dict[int, str]) -> list[set[str]]:
    """For each statement that read cases' repeat keys, the subjects (of `ids`) it read."""
    out = []
    for query, params in sent:
        if reads_repeats([query]):
            values = params.values() if isinstance(params, dict) else params
            out.append({ids[v] for v in values if isinstance(v, int) and v in ids})
    return out


def org_ids(eng) -> dict[int, str]:
    with open_session(eng) as s:
        return {int(i): c for i, c in s.execute(select(Organisation.id, Organisation.code))}


def test_a_batch_sends_the_same_statements_whatever_the_subjects_hold(db, codes,
                                                                      small_batches):
    commit(db, lambda s: ri.import_file(s, context(), "restriction_breach",
                                        plain_rows(codes, 1, 6, "Definition kept")))
    first = written(db, plain_rows(codes, 250, 1, "First"))
    commit(db, lambda s: ri.import_file(s, context(), "restriction_breach",
                                        plain_rows(codes, 900, 2, "Stored")))
    later = written(db, plain_rows(codes, 250, 3, "Later"))
    assert len(later) == len(first)
    assert reads_repeats(first) == reads_repeats(later) == []  # nobody else wrote meanwhile


def test_another_writers_repeat_typed_before_the_first_batch_is_refused(db, codes,
                                                                        small_batches):
    rows = plain_rows(codes, 250, 4, "Typed")
    with open_session(db) as s:
        checked = ri.check_file(s, context(), "restriction_breach", rows)
        s.commit()
        commit(db, lambda o: registers.import_cases(o, context(actor="cli:other"),
                                                    "restriction_breach", [rows[40]]))
        before = dump_tables(db)
        with statements_with_parameters(db) as sent, pytest.raises(ri.FileRefused) as refused:
            ri.write_file(s, context(), checked)
    # only the subject another writer touched is read again
    assert subjects_read(sent, org_ids(db)) == [{rows[40]["subject"]}]
    assert [r.row for r in refused.value.refused] == [42]
    assert isinstance(refused.value.refused[0].error, RuleViolation)
    assert refused.value.refused[0].error.key == "rule.duplicate_case"
    after = dump_tables(db)
    after.pop("lease", None), before.pop("lease", None)
    assert after == before


def test_another_writers_repeat_typed_between_batches_is_refused(db, db_url, codes,
                                                                  small_batches):
    rows = plain_rows(codes, 250, 5, "Between")
    states: list[dict] = []
    other = make_engine(db_url)  # another process's

    def other_writer(_import_id: str, done: int, _total: int) -> None:
        if done == 100:  # the first batch committed: another writer types row 152 again
            commit(other, lambda o: registers.import_cases(o, context(actor="cli:other"),
                                                           "restriction_breach", [rows[150]]))
            states.append(dump_tables(other))

    with open_session(db) as s:
        checked = ri.check_file(s, context(), "restriction_breach", rows)
        with statements_with_parameters(db) as sent, \
                pytest.raises(ri.ImportUnfinished) as unfinished:
            ri.write_file(s, context(), checked, other_writer)
    # the first batch read no case again; the second only the subject the other writer touched
    assert subjects_read(sent, org_ids(db)) == [{rows[150]["subject"]}]
    other.dispose()
    error = unfinished.value.error
    assert isinstance(error, ri.FileRefused)
    assert [(r.row, r.error.key) for r in error.refused] == [(152, "rule.duplicate_case")]
    after = dump_tables(db)
    after.pop("lease", None), states[0].pop("lease", None)
    assert after == states[0]  # the refused batch wrote nothing


def test_a_repeat_in_an_import_that_ends_between_batches_is_refused(db, db_url, codes,
                                                                    small_batches,
                                                                    monkeypatch):
    """Another import holding a repeat of our row 152 in its first batch is interrupted
    (hidden) before our check, then resumed between our first and second batch, on subjects
    of its own: when it ends, its cases appear all at once, with no record naming each; our
    second batch reads every subject's cases again and refuses row 152."""
    rows = plain_rows(codes, 250, 7, "Ended")
    subject = rows[150]["subject"]
    theirs = [rows[150], *[r for r in plain_rows(codes, 400, 8, "Theirs")
                           if r["subject"] != subject][:150]]
    their_id = interrupted_import(db, theirs, "restriction_breach", monkeypatch, after=1,
                                  ctx=context(actor="cli:other"))["id"]
    other = make_engine(db_url)  # another process's

    def other_writer(_import_id: str, done: int, _total: int) -> None:
        if done == 100:  # our first batch committed: the other import is resumed and ends
            commit(other, lambda o: ri.resume(o, context(actor="cli:other"),
                                              "restriction_breach", theirs, their_id))

    with open_session(db) as s:
        checked = ri.check_file(s, context(), "restriction_breach", rows)
        with pytest.raises(ri.ImportUnfinished) as unfinished:
            ri.write_file(s, context(), checked, other_writer)
    other.dispose()
    error = unfinished.value.error
    assert isinstance(error, ri.FileRefused)
    assert [(r.row, r.error.key) for r in error.refused] == [(152, "rule.duplicate_case")]

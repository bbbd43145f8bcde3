"""Rows written in bulk (`insert_rows`: COPY's text format made by merzim on PostgreSQL, an
`executemany` on SQLite) store exactly what the ORM stores for the same values: text with a
tab, a newline, a carriage return and backslashes, `\\N` as text, JSON holding them, None in a
JSON column (JSON null), dates, flags and NULLs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from workflow.storage import audit
from workflow.storage.bulkinsert import insert_rows
from workflow.storage.db import session as open_session
from workflow.storage.models import Organisation, Stage

AWKWARD = ["tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\\\N\t\\",
           "Қазақ тілі — «кавычки»", ""]
COLUMNS = ("case_id", "programme_id", "key", "subject_id", "subject_path", "due_date",
           "projected", "status", "done_on", "evidence")


def _values(i: int, text: str, org_id: int) -> tuple:
    evidence = None if i % 3 == 0 else {"doc": text, "n": i, "flag": i % 2 == 0,
                                         "list": [text, None]}
    return (None, None, f"k{i}:{text}", org_id, f"/ORG/{text}/", date(2026, 1, i + 1),
            i % 2 == 0, "open" if i % 2 else "done_late", None if i % 2 else date(2026, 2, 1),
            evidence)


def _stored(s, key_prefix: str) -> list[tuple]:
    rows = s.exec(select(*(getattr(Stage, c) for c in COLUMNS[2:]))
                  .where(Stage.key.like(f"{key_prefix}%")).order_by(Stage.key)).all()
    return [(r[0][1:], *tuple(r)[1:]) for r in rows]  # the key without its first letter


def test_bulk_rows_store_what_the_orm_stores(db):
    with open_session(db) as s:
        org = Organisation(code="ORG", name="Org", kind="akimat", path="/ORG/")
        s.add(org)
        s.commit()
        org_id = org.id
        assert org_id is not None
        # the ORM writes one set under keys "k...", the bulk path the same values under "b..."
        for i, text in enumerate(AWKWARD):
            values = dict(zip(COLUMNS, _values(i, text, org_id), strict=True))
            s.add(Stage(**values))
        s.flush()
        written = insert_rows(s.connection(), Stage.__table__, COLUMNS, [
            (None, None, "b" + v[2][1:], *v[3:]) for v in
            (_values(i, text, org_id) for i, text in enumerate(AWKWARD))])
        audit.append(s, "test", "stage.write", "organisation", org_id, {})  # (storage/audited.py)
        s.commit()
    assert written == len(AWKWARD)
    with open_session(db) as s:
        by_orm, in_bulk = _stored(s, "k"), _stored(s, "b")
        raw = s.connection().exec_driver_sql(
            "SELECT key, CAST(evidence AS TEXT) FROM stage ORDER BY key").all()
    assert in_bulk == by_orm
    assert sorted(r[0].split(":", 1)[1] for r in by_orm) == sorted(AWKWARD)
    # the JSON text itself, as stored (JSON null for None; the same serialisation)
    assert sorted((k[1:], v) for k, v in raw if k.startswith("b")) == \
        sorted((k[1:], v) for k, v in raw if k.startswith("k"))


def test_rows_from_a_generator_go_in_blocks_and_a_failure_midway_stores_none(db):
    """Rows made as the insert asks for them (on PostgreSQL a COPY block at a time, the next
    block made while the server writes the one before) are all stored, counted, in order,
    whatever the block boundaries; an error raised by the generator midway (after whole blocks
    were sent) stores none of them and leaves the session usable."""
    from workflow.storage import bulkinsert

    with open_session(db) as s:
        org = Organisation(code="ORG", name="Org", kind="akimat", path="/ORG/")
        s.add(org)
        s.commit()
        org_id = org.id
        n = 2 * bulkinsert.COPY_BLOCK + 7  # two whole blocks and a part of one

        def rows(fail_at: int | None = None):
            for i in range(n):
                if i == fail_at:
                    raise ValueError("no officer")
                yield (None, None, f"g{i:06d}", org_id, "/ORG/", date(2026, 1, 1 + i % 28),
                       False, "open", None, None)

        try:
            with s.begin_nested():
                insert_rows(s.connection(), Stage.__table__, COLUMNS,
                            rows(fail_at=bulkinsert.COPY_BLOCK + 5))
        except ValueError:
            pass
        else:
            raise AssertionError("the generator's error did not reach the caller")
        assert s.exec(select(Stage.key).where(Stage.key.like("g%"))).all() == []
        assert insert_rows(s.connection(), Stage.__table__, COLUMNS, rows()) == n
        assert insert_rows(s.connection(), Stage.__table__, COLUMNS, iter(())) == 0
        s.commit()
    with open_session(db) as s:
        stored = s.exec(select(Stage.key, Stage.due_date).where(Stage.key.like("g%"))
                        .order_by(Stage.id)).all()
    assert [k for k, _ in stored] == [f"g{i:06d}" for i in range(n)]
    assert [d for _, d in stored] == [date(2026, 1, 1 + i % 28) for i in range(n)]

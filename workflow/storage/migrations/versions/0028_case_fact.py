"""case fact: the identity of the fact a register entry records, unique among standing entries

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-26 09:20:00

process_case gains `fact_key` (organisation | person normalised | kind | counting year, and a
second's distinguishing part: workflow/core/facts.py) and `fact_source` (the procedure's case it
was opened from or linked to), each under a partial unique index over the standing entries of a
register (`withdrawn_at IS NULL`), on SQLite and PostgreSQL alike.

Back-filled from the stored definition texts (`process_definition`, `FactRule.of_table`): the
entries of a register with a fact identity, oldest first, each its identity; an entry in a
cancelling state (a terminal event's) holds none; a standing entry repeating an older standing
one (entered before the rule, or a second confirmed with a reason) is kept as a second,
distinguished by its own number. `fact_source` from the links not undone; a second standing
entry linked to the same case keeps none (the pages list it as linked all the same).
"""
import sqlalchemy as sa
from alembic import op

from workflow.core.facts import fact_key
from workflow.storage.migrations.facts import fact_rules, json_object
from workflow.storage.migrations.ops import add_columns, drop_columns

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

STANDING_FACT = 'fact_key IS NOT NULL AND withdrawn_at IS NULL'
STANDING_SOURCE = 'fact_source IS NOT NULL AND withdrawn_at IS NULL'


def _key_type() -> sa.types.TypeEngine:
    return sa.String(length=400).with_variant(sa.String(length=400, collation='C'),
                                              'postgresql')


def _back_fill(conn) -> None:
    rules = fact_rules(conn)
    processes = sorted({p for p, _ in rules})
    keys: list[dict] = []
    taken: set[tuple[str, str]] = set()
    if processes:
        rows = conn.execute(sa.text(
            'SELECT id, process, process_version, subject_id, person_name, fields, dates, '
            'state, withdrawn_at FROM process_case WHERE process IN :p ORDER BY id'
        ).bindparams(sa.bindparam('p', expanding=True)), {'p': processes})
        for cid, process, version, subject, person, fields, dates, state, gone in rows:
            found = rules.get((process, int(version or 1)))
            if found is None or state in found[1]:
                continue
            fact = found[0].fact(person, json_object(fields), json_object(dates))
            key = fact_key(subject, fact)
            if key is None:
                continue
            if gone is None:
                if (process, key) in taken:
                    key = fact_key(subject, fact, f'case {cid}')
                taken.add((process, key))
            keys.append({'i': cid, 'k': key})
    if keys:
        conn.execute(sa.text('UPDATE process_case SET fact_key = :k WHERE id = :i'), keys)
    sources: list[dict] = []
    held: set[tuple[str, int]] = set()
    links = conn.execute(sa.text(
        'SELECT l.from_case_id, l.to_case_id, c.process, c.withdrawn_at FROM case_link l '
        'JOIN process_case c ON c.id = l.to_case_id WHERE l.unlinked_at IS NULL '
        'ORDER BY l.to_case_id'))
    for source, entry, process, gone in links:
        if gone is None:
            if (process, source) in held:
                continue
            held.add((process, source))
        sources.append({'i': entry, 's': source})
    if sources:
        conn.execute(sa.text('UPDATE process_case SET fact_source = :s WHERE id = :i'),
                     sources)


def upgrade() -> None:
    add_columns('process_case', sa.Column('fact_key', _key_type(), nullable=True),
                sa.Column('fact_source', sa.Integer(), nullable=True))
    _back_fill(op.get_bind())
    op.create_index('uq_case_fact', 'process_case', ['process', 'fact_key'], unique=True,
                    sqlite_where=sa.text(STANDING_FACT), postgresql_where=sa.text(STANDING_FACT))
    op.create_index('uq_case_fact_source', 'process_case', ['process', 'fact_source'],
                    unique=True, sqlite_where=sa.text(STANDING_SOURCE),
                    postgresql_where=sa.text(STANDING_SOURCE))


def downgrade() -> None:
    op.drop_index('uq_case_fact_source', table_name='process_case')
    op.drop_index('uq_case_fact', table_name='process_case')
    drop_columns('process_case', 'fact_source', 'fact_key')

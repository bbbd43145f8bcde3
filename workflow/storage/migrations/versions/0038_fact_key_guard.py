"""fact key guard: every fact key computed again by the one normaliser; the database refuses a
key left empty or not of its entry's organisation

Revision ID: 0038
Revises: 0037
Create Date: 2026-11-27 19:00:00

A register entry's `fact_key` (workflow/core/facts.py: organisation | person | kind | counting
year, a second's part after `#`) is computed again for every entry of a register with a fact
identity, from the stored definition texts (`FactRule.of_table`, as 0028 did), by the one
normaliser of a person's name (B-26: NFKC, invisible characters removed, Latin look-alikes in
a Cyrillic name read as Cyrillic, ё as е): a key stored before keeps its second's part; two
standing entries that the normaliser now finds to be one fact are both kept, the younger as a
second distinguished by its own number (`case N`), and `merzim audit verify` names the fact
they hold.

The database cannot normalise Unicode (SQLite has no NFKC nor a Unicode lower()), so the key
stays the application's; what the database checks itself is what it can: a key is never empty
and begins with its entry's organisation (`ck_case_fact_identity`: a CHECK constraint on
PostgreSQL, BEFORE INSERT and UPDATE triggers on SQLite). With the partial unique index of 0028
over standing entries, a direct write of a second entry with the same key is refused; one with
its key left empty (NULL), altered, or its person renamed is named by `merzim audit verify`,
which computes every standing entry's key again in Python (services/facts.py `verify`).
"""
import sqlalchemy as sa
from alembic import op

from workflow.core.facts import SECOND, fact_key, fact_of_key
from workflow.storage.migrations.facts import fact_rules, json_object

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

CHECK = 'ck_case_fact_identity'
VALID = ("fact_key IS NULL OR (fact_key <> '' AND "
         "substr(fact_key, 1, length(CAST(subject_id AS TEXT)) + 1) = "
         "CAST(subject_id AS TEXT) || '|')")
SQLITE_TRIGGER = """CREATE TRIGGER {name} BEFORE {what} ON process_case
WHEN NOT ({valid})
BEGIN SELECT RAISE(ABORT, '{check}: a fact identity is never empty and begins with its organisation'); END"""


def _recompute(conn) -> None:
    rules = fact_rules(conn)
    processes = sorted({p for p, _ in rules})
    if not processes:
        return
    changed: list[dict] = []
    taken: set[tuple[str, str]] = set()
    rows = conn.execute(sa.text(
        'SELECT id, process, process_version, subject_id, person_name, fields, dates, '
        'state, withdrawn_at, fact_key FROM process_case WHERE process IN :p ORDER BY id'
    ).bindparams(sa.bindparam('p', expanding=True)), {'p': processes})
    for cid, process, version, subject, person, fields, dates, state, gone, held in rows:
        found = rules.get((process, int(version or 1)))
        if found is None:
            continue
        key = None
        if state not in found[1]:
            fact = found[0].fact(person, json_object(fields), json_object(dates))
            key = fact_key(subject, fact)
            if key is not None and held and SECOND in held:
                key += held[len(fact_of_key(held) or ''):]
            if key is not None and gone is None:
                if (process, key) in taken:
                    key = fact_key(subject, fact, f'case {cid}')
                taken.add((process, key))
        if key != held:
            changed.append({'i': cid, 'k': key})
    if changed:
        # (in two steps: a key moving to one another entry held a moment ago is no clash)
        conn.execute(sa.text('UPDATE process_case SET fact_key = NULL WHERE id = :i'), changed)
        conn.execute(sa.text('UPDATE process_case SET fact_key = :k WHERE id = :i'), changed)


def upgrade() -> None:
    conn = op.get_bind()
    _recompute(conn)
    if conn.dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE process_case ADD CONSTRAINT {CHECK} CHECK ({VALID})')
        return
    valid = VALID.replace('fact_key', 'NEW.fact_key').replace('subject_id', 'NEW.subject_id')
    for name, what in ((f'{CHECK}_insert', 'INSERT'),
                       (f'{CHECK}_update', 'UPDATE OF fact_key, subject_id')):
        op.execute(SQLITE_TRIGGER.format(name=name, what=what, valid=valid, check=CHECK))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE process_case DROP CONSTRAINT IF EXISTS {CHECK}')
        return
    for name in (f'{CHECK}_insert', f'{CHECK}_update'):
        op.execute(f'DROP TRIGGER IF EXISTS {name}')

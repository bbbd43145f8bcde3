"""audit_log: an entity's trail and the recent hand-overs, indexed

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 03:10:00

For a national deployment. Two reads of the audit log scanned all of it:

* a case page's history reads the case's trail (`entity = 'case' AND entity_id = :id`, its
  `case.open` and hand-over records): 50-70 ms of PostgreSQL a page with two country syncs'
  records (370,600), growing with the log;
* every page's bell reads the hand-overs of the last 30 days (`action = 'analysis.assign' AND
  at >= :since`): 130-190 ms a page there, with two parallel workers.

`ix_audit_log_entity (entity, entity_id)` serves any entity's trail; `ix_audit_log_handover
(at) WHERE action = 'analysis.assign'` holds the hand-overs only, so the records most appends
write (a country's `obligations sync` writes one per case) are not written into it; the bell
names the action as a literal, as a partial index needs on both backends
(bench/web/README.md, 2026-11-25).
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'

HANDOVER = sa.text("action = 'analysis.assign'")


def _collate(collation: str) -> None:
    """`entity` and `entity_id` compared byte by byte on PostgreSQL, as 0016 did for the other
    identifiers: in the database's collation (C.UTF-8 or a real locale) every comparison the
    trail's index makes calls the locale's strcoll, and a country's sync appends 180,300
    records to it (bench/obligations/README.md, 2026-11-25). The same type, so the table is
    not rewritten. SQLite compares text so already."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE "audit_log" '
                   f'ALTER COLUMN "entity" TYPE VARCHAR(32) COLLATE {collation}, '
                   f'ALTER COLUMN "entity_id" TYPE VARCHAR(64) COLLATE {collation}')


def upgrade() -> None:
    _collate('"C"')
    op.create_index('ix_audit_log_entity', 'audit_log', ['entity', 'entity_id'])
    op.create_index('ix_audit_log_handover', 'audit_log', ['at'], sqlite_where=HANDOVER,
                    postgresql_where=HANDOVER)


def downgrade() -> None:
    op.drop_index('ix_audit_log_handover', table_name='audit_log')
    op.drop_index('ix_audit_log_entity', table_name='audit_log')
    _collate('"default"')

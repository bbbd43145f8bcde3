"""stage: drop ix_stage_case_id and ix_stage_programme_id

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 20:30:00

For the bulk writes (`obligations sync` of a country: every index a stage row is written into
costs the bulk insert). Both duplicated the leading column of a partial unique index:
uq_stage_case_key (case_id, key) WHERE case_id IS NOT NULL and uq_stage_programme_key
(programme_id, key) WHERE programme_id IS NOT NULL. A query's `case_id = X` (or a join's
`stage.case_id = process_case.id`, or a foreign key's check) implies `case_id IS NOT NULL`,
so PostgreSQL and SQLite use the partial index for it (EXPLAIN in bench/obligations/README.md).
"""
from alembic import op

revision = '0015'
down_revision = '0014'


def upgrade() -> None:
    with op.batch_alter_table('stage') as batch:
        batch.drop_index('ix_stage_case_id')
        batch.drop_index('ix_stage_programme_id')


def downgrade() -> None:
    with op.batch_alter_table('stage') as batch:
        batch.create_index('ix_stage_programme_id', ['programme_id'], unique=False)
        batch.create_index('ix_stage_case_id', ['case_id'], unique=False)

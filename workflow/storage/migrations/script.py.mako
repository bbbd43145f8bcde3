"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

What the revision changes and why, for the operator reading `alembic history`.
"""
import sqlalchemy as sa
from alembic import op

# tables, their indexes and columns: workflow/storage/migrations/ops.py (the same operations as
# `op`'s, written once); `op` for the rest (indexes of an existing table, data, renames)
from workflow.storage.migrations.ops import (add_columns, boolean, create_table, date,
                                             drop_columns, drop_tables, floating, foreign_key,
                                             index, integer, string, text)
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
% if branch_labels:
branch_labels = ${repr(branch_labels)}
% endif
% if depends_on:
depends_on = ${repr(depends_on)}
% endif


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}

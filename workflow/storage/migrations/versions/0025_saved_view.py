"""saved view: a filtered list a user keeps under a name

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-25 21:00:00

`saved_view` keeps each list (its address and filters) a user saved under a name; a manager's
may be shared with the users of his subtree.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (boolean, create_table, drop_tables, foreign_key,
                                             integer, string)

revision = '0025'
down_revision = '0024'


def upgrade() -> None:
    create_table('saved_view',
                 integer('id'), integer('user_id'), string('name', 80), string('path', 200),
                 string('query', 1000), boolean('shared'), string('created_at', 40),
                 string('updated_at', 40),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('user_id', 'name', name='uq_saved_view_name'),
                 indexes=['user_id'])


def downgrade() -> None:
    drop_tables('saved_view')

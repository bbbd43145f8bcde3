"""case comment: remarks on a case and the users they mention

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-25 19:10:00

`case_comment` keeps each remark on a case (plain text, its author, when written and last
changed); `comment_mention` each user a remark names as @login, whose notification centre
lists it.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (create_table, drop_tables, foreign_key, integer,
                                             string, text)

revision = '0024'
down_revision = '0023'


def upgrade() -> None:
    create_table('case_comment',
                 integer('id'), integer('case_id'), integer('author_id', null=True),
                 string('actor', 100), text('body'), string('created_at', 40),
                 string('edited_at', 40, null=True),
                 foreign_key('case_id', 'process_case.id'), foreign_key('author_id', 'app_user.id'),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=['case_id'])
    create_table('comment_mention',
                 integer('id'), integer('comment_id'), integer('user_id'),
                 string('created_at', 40),
                 foreign_key('comment_id', 'case_comment.id'),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('comment_id', 'user_id', name='uq_comment_mention'),
                 indexes=['user_id'])


def downgrade() -> None:
    drop_tables('comment_mention', 'case_comment')

"""case comment: remarks on a case and the users they mention

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-25 19:10:00

`case_comment` keeps each remark on a case (plain text, its author, when written and last
changed); `comment_mention` each user a remark names as @login, whose notification centre
lists it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_comment',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('author_id', sa.Integer(), nullable=True),
                    sa.Column('actor', sa.String(length=100), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('created_at', sa.String(length=40), nullable=False),
                    sa.Column('edited_at', sa.String(length=40), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['process_case.id']),
                    sa.ForeignKeyConstraint(['author_id'], ['app_user.id']),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('case_comment') as batch_op:
        batch_op.create_index(batch_op.f('ix_case_comment_case_id'), ['case_id'], unique=False)
    op.create_table('comment_mention',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('comment_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('created_at', sa.String(length=40), nullable=False),
                    sa.ForeignKeyConstraint(['comment_id'], ['case_comment.id']),
                    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('comment_id', 'user_id', name='uq_comment_mention'))
    with op.batch_alter_table('comment_mention') as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_mention_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('comment_mention') as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_mention_user_id'))
    op.drop_table('comment_mention')
    with op.batch_alter_table('case_comment') as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_comment_case_id'))
    op.drop_table('case_comment')

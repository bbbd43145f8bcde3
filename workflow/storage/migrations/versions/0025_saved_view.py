"""saved view: a filtered list a user keeps under a name

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-25 21:00:00

`saved_view` keeps each list (its address and filters) a user saved under a name; a manager's
may be shared with the users of his subtree.
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('saved_view',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('name', sa.String(length=80), nullable=False),
                    sa.Column('path', sa.String(length=200), nullable=False),
                    sa.Column('query', sa.String(length=1000), nullable=False),
                    sa.Column('shared', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.String(length=40), nullable=False),
                    sa.Column('updated_at', sa.String(length=40), nullable=False),
                    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('user_id', 'name', name='uq_saved_view_name'))
    with op.batch_alter_table('saved_view') as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_view_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('saved_view') as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_view_user_id'))
    op.drop_table('saved_view')

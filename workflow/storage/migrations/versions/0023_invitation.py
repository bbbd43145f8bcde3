"""invitation: one-time sign-in links sent by e-mail

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-25 18:50:00

A new user (added in bulk, or whose password an administrator resets) gets an e-mail with a
one-time link that sets her password; `invitation` keeps the SHA-256 of each link's token, when
it expires and when it was used.
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitation',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('created_at', sa.Float(), nullable=False),
                    sa.Column('expires_at', sa.Float(), nullable=False),
                    sa.Column('used_at', sa.Float(), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('invitation') as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_invitation_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invitation') as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_token_hash'))
    op.drop_table('invitation')

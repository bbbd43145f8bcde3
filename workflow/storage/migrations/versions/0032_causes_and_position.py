"""causes_and_position: a risk's causes and conditions, a person's position

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-26 18:30:00

`risk.causes` holds the causes and conditions that favour the corruption offence a risk names
(the analytic note prints them beside it); `app_user.position` is a person's position, printed
with her name in the documents an analysis produces. Existing rows have neither: the documents
leave a visible blank.
"""
from workflow.storage.migrations.ops import add_columns, drop_columns, string, text

revision = '0032'
down_revision = '0031'


def upgrade() -> None:
    add_columns('risk', text('causes', null=True))
    add_columns('app_user', string('position', 300, null=True))


def downgrade() -> None:
    drop_columns('app_user', 'position')
    drop_columns('risk', 'causes')

"""kept figure: the subjects' evaluations kept in the database for the installation

Revision ID: 0040
Revises: 0039
Create Date: 2026-11-28 09:00:00

`kept_figure`: a subject's figure that costs seconds to compute (its scorecard, its points
still to win: workflow/scorecard/stored.py), one row per figure, subject path, year and
language, with the versions of the subject's organisation path it was computed at, the
fingerprint of the day, settings, calendar, definitions and code it was computed with, and the
figure itself (compressed tagged JSON). A process whose memory does not hold a subject's figure
reads the row when its versions and fingerprint match instead of computing it again (a second
node, a restart). Nothing in it is a record: removed on downgrade, computed again after.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (
    binary,
    create_table,
    drop_tables,
    floating,
    identifier,
    integer,
    string,
)

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('kept_figure',
                 identifier('figure', 40), identifier('subject_path', 400), integer('year'),
                 identifier('language', 8), string('versions', 400), string('fingerprint', 64),
                 binary('body'), floating('stored_at'),
                 sa.PrimaryKeyConstraint('figure', 'subject_path', 'year', 'language'))


def downgrade() -> None:
    drop_tables('kept_figure')

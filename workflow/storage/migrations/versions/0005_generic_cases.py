"""generic cases: analyses become cases of a process definition; records can be voided or
close a stage as not done; unique constraints that hold

Revision ID: 0005
Revises: 0004

* `analysis` becomes `process_case`: `definition` -> `process`, the planned start and end move
  into the JSON of named dates given at opening (`dates`: {"start", "end"}), `case_date` keeps
  the start for lists and years; the actual start and end are the dates of their records, as
  before. Existing analyses are cases of the internal analysis's version 2 (the order of
  recording is free there): the states that version no longer has are mapped to the nearest
  one (ordered, announced -> planned; discussion announced, discussed -> in progress); the
  engine re-derives every state from the records at its next write.
* `stage.analysis_id` and `event_record.analysis_id` become `case_id`. A stage key once per case
  and once per programme, by partial unique indexes: the old UNIQUE(analysis_id, programme_id,
  key) never fired, a NULL being distinct. Duplicates it let through are merged first (the row
  that was completed, else the oldest, is kept).
* `event_record` gains `kind` (event, not_done, void), `note`, `voids_id`, `voided_by_id`.
* `monitoring_report`: one report per analysis and period, one per external analysis and
  period (the old constraint had the same NULL problem).
* `process_definition` keeps the text of each definition version cases were opened with.
"""
import json

import sqlalchemy as sa
from alembic import op

from workflow.storage.migrations.ops import create_table, date, integer, json_, string, text

revision = '0005'
down_revision = '0004'

LEGACY_STATES = {"ordered": "planned", "announced": "planned",
                 "discussion_announced": "in_progress", "discussed": "in_progress"}
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_unnamed_unique(table: str, columns: list[str]) -> None:
    """Drop an unnamed UNIQUE constraint: by the name PostgreSQL generated (read from the
    catalogue), through a naming convention in a batch rebuild on SQLite."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for uc in sa.inspect(bind).get_unique_constraints(table):
            if list(uc["column_names"]) == columns:
                op.drop_constraint(uc["name"], table, type_="unique")
        return
    with op.batch_alter_table(table, naming_convention=NAMING, recreate="always") as batch:
        batch.drop_constraint(f"uq_{table}_{columns[0]}", type_="unique")


def _dedupe_stages(bind) -> None:
    rows = bind.execute(sa.text(
        "SELECT id, analysis_id, programme_id, key, status FROM stage "
        "ORDER BY id")).fetchall()
    keep: dict[tuple, tuple] = {}
    drop = []
    for row in rows:
        owner = ("a", row.analysis_id) if row.analysis_id is not None else ("p", row.programme_id)
        k = (owner, row.key)
        if k not in keep:
            keep[k] = row
        elif keep[k].status == "open" and row.status != "open":
            drop.append(keep[k].id)
            keep[k] = row
        else:
            drop.append(row.id)
    for ident in drop:
        bind.execute(sa.text("DELETE FROM stage WHERE id = :i"), {"i": ident})


def upgrade() -> None:
    bind = op.get_bind()
    create_table('process_definition',
                 string('key', 64), integer('version'), string('sha256', 64), text('text'),
                 string('stored_at', 40),
                 sa.PrimaryKeyConstraint('key', 'version'))

    # -- analysis -> process_case ----------------------------------------------------------
    with op.batch_alter_table('analysis') as batch:
        batch.drop_index('ix_analysis_programme_id')
        batch.drop_index('ix_analysis_subject_id')
    op.rename_table('analysis', 'process_case')
    with op.batch_alter_table('process_case') as batch:
        batch.alter_column('definition', new_column_name='process',
                           existing_type=sa.String(length=64),
                           existing_nullable=False)
        batch.alter_column('object_id', existing_type=sa.Integer(), nullable=True)
        for col in (integer('process_version', server_default='2'),
                    string('person_name', 200, null=True), string('person_position', 300, null=True),
                    json_('fields', null=True), json_('dates', null=True),
                    string('period', 16, null=True), date('case_date', null=True)):
            batch.add_column(col)
    rows = bind.execute(sa.text(
        "SELECT id, planned_start, planned_end, state FROM process_case")).fetchall()
    for row in rows:
        start, end = (v if isinstance(v, str) or v is None else v.isoformat()
                      for v in (row.planned_start, row.planned_end))
        bind.execute(sa.text(
            "UPDATE process_case SET dates = :dates, case_date = :start, state = :state "
            "WHERE id = :id"),
            {"dates": json.dumps({"start": start, "end": end}), "start": row.planned_start,
             "state": LEGACY_STATES.get(row.state, row.state), "id": row.id})
    with op.batch_alter_table('process_case') as batch:
        batch.alter_column('case_date', existing_type=sa.Date(), nullable=False)
        batch.drop_column('planned_start')
        batch.drop_column('planned_end')
        batch.drop_column('actual_start')
        batch.drop_column('actual_end')
        batch.create_index('ix_process_case_programme_id', ['programme_id'], unique=False)
        batch.create_index('ix_process_case_subject_id', ['subject_id'], unique=False)
        batch.create_index('ix_case_process_subject', ['process', 'subject_id'], unique=False)
        batch.create_index('uq_case_obligation_period', ['process', 'subject_id', 'period'],
                           unique=True, sqlite_where=sa.text('period IS NOT NULL'),
                           postgresql_where=sa.text('period IS NOT NULL'))

    # -- stage ------------------------------------------------------------------------------
    _dedupe_stages(bind)
    _drop_unnamed_unique('stage', ['analysis_id', 'programme_id', 'key'])
    with op.batch_alter_table('stage') as batch:
        batch.drop_index('ix_stage_analysis_id')
        batch.alter_column('analysis_id', new_column_name='case_id',
                           existing_type=sa.Integer(), existing_nullable=True)
    with op.batch_alter_table('stage') as batch:
        batch.create_index('ix_stage_case_id', ['case_id'], unique=False)
        batch.create_index('uq_stage_case_key', ['case_id', 'key'], unique=True,
                           sqlite_where=sa.text('case_id IS NOT NULL'),
                           postgresql_where=sa.text('case_id IS NOT NULL'))
        batch.create_index('uq_stage_programme_key', ['programme_id', 'key'], unique=True,
                           sqlite_where=sa.text('programme_id IS NOT NULL'),
                           postgresql_where=sa.text('programme_id IS NOT NULL'))

    # -- event_record -----------------------------------------------------------------------
    with op.batch_alter_table('event_record') as batch:
        batch.drop_index('ix_event_record_analysis_id')
        batch.alter_column('analysis_id', new_column_name='case_id',
                           existing_type=sa.Integer(), existing_nullable=False)
        for col in (string('kind', 16, server_default='event'), text('note', null=True),
                    integer('voids_id', null=True), integer('voided_by_id', null=True)):
            batch.add_column(col)
    with op.batch_alter_table('event_record') as batch:
        batch.create_index('ix_event_record_case_id', ['case_id'], unique=False)
        batch.create_foreign_key('fk_event_record_voids', 'event_record', ['voids_id'], ['id'])
        batch.create_foreign_key('fk_event_record_voided_by', 'event_record', ['voided_by_id'],
                                 ['id'])

    # -- monitoring_report ------------------------------------------------------------------
    _drop_unnamed_unique('monitoring_report', ['analysis_id', 'external_id', 'period'])
    with op.batch_alter_table('monitoring_report') as batch:
        batch.create_index('uq_monitoring_report_case', ['analysis_id', 'period'], unique=True,
                           sqlite_where=sa.text('analysis_id IS NOT NULL'),
                           postgresql_where=sa.text('analysis_id IS NOT NULL'))
        batch.create_index('uq_monitoring_report_external', ['external_id', 'period'],
                           unique=True, sqlite_where=sa.text('external_id IS NOT NULL'),
                           postgresql_where=sa.text('external_id IS NOT NULL'))


def downgrade() -> None:  # pragma: no cover - merzim upgrades only (backups restore)
    raise NotImplementedError("0005 is not reversible; restore the backup taken before it")

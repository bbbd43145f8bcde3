"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:21:07.306696

The first release's tables: the audit log, the organisation tree and its users, programmes,
analyses (internal and external) with their stages and event records.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (boolean, create_table, date, drop_tables,
                                             foreign_key, index, integer, json_, string, text)

revision = '0001'
down_revision = None


def upgrade() -> None:
    create_table('audit_log',
                 integer('id'), string('at', 40), string('actor', 100), string('action', 64),
                 string('entity', 32), string('entity_id', 64), text('payload'),
                 string('prev_hash', 64), string('hash', 64),
                 sa.PrimaryKeyConstraint('id'))
    create_table('organisation',
                 integer('id'), string('code', 64), string('name', 300),
                 string('name_kk', 300, null=True), string('name_ru', 300, null=True),
                 string('kind', 32), integer('parent_id', null=True), string('path', 400),
                 foreign_key('parent_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('code', unique=True), 'parent_id', 'path'])
    create_table('app_user',
                 integer('id'), string('login', 100), string('full_name', 200),
                 string('role', 16), integer('organisation_id'), string('email', 254, null=True),
                 string('language', 2), string('telegram_chat_id', 64, null=True),
                 boolean('active'),
                 foreign_key('organisation_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('login', unique=True), 'organisation_id'])
    create_table('external_analysis',
                 integer('id'), integer('subject_id'), date('completed_on'),
                 string('reference', 500, null=True),
                 foreign_key('subject_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=['subject_id'])
    create_table('programme',
                 integer('id'), integer('subject_id'), integer('year'),
                 foreign_key('subject_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('subject_id', 'year'),
                 indexes=['subject_id'])
    create_table('analysis',
                 integer('id'), string('definition', 64), integer('programme_id', null=True),
                 integer('subject_id'), integer('object_id'),
                 date('planned_start'), date('planned_end'),
                 date('actual_start', null=True), date('actual_end', null=True),
                 string('state', 32), integer('responsible_id', null=True),
                 text('override_reason', null=True), text('cancel_reason', null=True),
                 string('created_at', 40),
                 foreign_key('object_id', 'organisation.id'),
                 foreign_key('programme_id', 'programme.id'),
                 foreign_key('responsible_id', 'app_user.id'),
                 foreign_key('subject_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=['programme_id', 'subject_id'])
    create_table('event_record',
                 integer('id'), integer('analysis_id'), string('event', 64), date('on'),
                 json_('evidence', null=True), string('actor', 100), string('recorded_at', 40),
                 foreign_key('analysis_id', 'analysis.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=['analysis_id'])
    create_table('stage',
                 integer('id'), integer('analysis_id', null=True),
                 integer('programme_id', null=True), string('key', 64), integer('subject_id'),
                 string('subject_path', 400), date('due_date', null=True), boolean('projected'),
                 string('status', 16), date('done_on', null=True), json_('evidence', null=True),
                 foreign_key('analysis_id', 'analysis.id'),
                 foreign_key('programme_id', 'programme.id'),
                 foreign_key('subject_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('analysis_id', 'programme_id', 'key'),
                 indexes=['analysis_id',
                          index('subject_path', 'status', 'due_date',
                                name='ix_stage_path_status_due'),
                          'programme_id',
                          index('status', 'due_date', name='ix_stage_status_due')])


def downgrade() -> None:
    drop_tables('stage', 'event_record', 'analysis', 'programme', 'external_analysis',
                'app_user', 'organisation', 'audit_log')

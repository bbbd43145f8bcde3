"""risks plan monitoring positions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 01:41:01.608818

An organisation's subdivisions; an analysis's monitoring reports, positions, risks, their
recommendations and the plan's items; the day an external analysis was closed.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (add_columns, create_table, date, drop_columns,
                                             drop_tables, foreign_key, integer, json_, string,
                                             text)

revision = '0004'
down_revision = '0003'


def upgrade() -> None:
    create_table('subdivision',
                 integer('id'), integer('organisation_id'), string('name', 300),
                 foreign_key('organisation_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('organisation_id', 'name'),
                 indexes=['organisation_id'])
    create_table('monitoring_report',
                 integer('id'), integer('analysis_id', null=True),
                 integer('external_id', null=True), string('period', 8),
                 date('received_on', null=True), date('reviewed_on', null=True),
                 foreign_key('analysis_id', 'analysis.id'),
                 foreign_key('external_id', 'external_analysis.id'),
                 sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('analysis_id', 'external_id', 'period'),
                 indexes=['analysis_id', 'external_id'])
    create_table('position',
                 integer('id'), integer('analysis_id'), string('title', 300),
                 string('subdivision', 300), text('risk'),
                 foreign_key('analysis_id', 'analysis.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=['analysis_id'])
    create_table('risk',
                 integer('id'), integer('analysis_id', null=True),
                 integer('external_id', null=True), text('description'),
                 string('process', 500, null=True), string('subdivision', 300, null=True),
                 foreign_key('analysis_id', 'analysis.id'),
                 foreign_key('external_id', 'external_analysis.id'),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=['analysis_id', 'external_id'])
    create_table('recommendation',
                 integer('id'), integer('risk_id'), text('text'), string('status', 16),
                 date('status_on', null=True), json_('evidence', null=True),
                 foreign_key('risk_id', 'risk.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=['risk_id'])
    create_table('plan_item',
                 integer('id'), integer('analysis_id', null=True),
                 integer('external_id', null=True), integer('recommendation_id', null=True),
                 text('measure'), string('completion_form', 300), date('deadline'),
                 string('subdivision', 300), string('person', 200, null=True),
                 foreign_key('analysis_id', 'analysis.id'),
                 foreign_key('external_id', 'external_analysis.id'),
                 foreign_key('recommendation_id', 'recommendation.id'),
                 sa.PrimaryKeyConstraint('id'),
                 indexes=['analysis_id', 'external_id'])
    add_columns('external_analysis', date('closed_on', null=True))


def downgrade() -> None:
    drop_columns('external_analysis', 'closed_on')
    drop_tables('plan_item', 'recommendation', 'risk', 'position', 'monitoring_report',
                'subdivision')

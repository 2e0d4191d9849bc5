"""query log: every search and API suggestion, masked, for analytics

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 22:52:31.946098
"""

import sqlalchemy as sa
from alembic import op

import kb.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('query_log',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('query_key', sa.String(length=200), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('shown', sa.JSON(), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('top_article_id', sa.Integer(), nullable=True),
    sa.Column('abstained', sa.Boolean(), nullable=False),
    sa.Column('took_ms', sa.Double(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('clicked_article_id', sa.Integer(), nullable=True),
    sa.Column('clicked_at', kb.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('query_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_query_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_query_log_clicked_day', ['clicked_article_id', 'day'], unique=False)
        batch_op.create_index('ix_query_log_key_at', ['query_key', 'result_count', 'at'], unique=False)
        batch_op.create_index('ix_query_log_kind_day', ['kind', 'day', 'query_key', 'result_count',
                                                        'clicked_article_id'], unique=False)
        batch_op.create_index('ix_query_log_misses', ['kind', 'result_count', 'day', 'query_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('query_log', schema=None) as batch_op:
        batch_op.drop_index('ix_query_log_misses')
        batch_op.drop_index('ix_query_log_kind_day')
        batch_op.drop_index('ix_query_log_key_at')
        batch_op.drop_index('ix_query_log_clicked_day')
        batch_op.drop_index(batch_op.f('ix_query_log_at'))

    op.drop_table('query_log')

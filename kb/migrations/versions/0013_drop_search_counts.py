"""drop search_counts: popular searches are read from the query log, once per person and per team

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from kb.models import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('search_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_counts_last_at'))
    op.drop_table('search_counts')


def downgrade() -> None:
    op.create_table(
        'search_counts',
        sa.Column('query', sa.String(length=120), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('last_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('query'),
    )
    with op.batch_alter_table('search_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_counts_last_at'), ['last_at'], unique=False)

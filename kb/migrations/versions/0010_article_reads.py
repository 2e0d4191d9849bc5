"""daily read counts per article (page loads, whatever led there)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 05:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'article_reads',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('reads', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'article_id'),
    )
    op.create_index('ix_article_reads_article_day', 'article_reads', ['article_id', 'day'])


def downgrade() -> None:
    op.drop_index('ix_article_reads_article_day', table_name='article_reads')
    op.drop_table('article_reads')

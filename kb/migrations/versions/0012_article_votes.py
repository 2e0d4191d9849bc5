"""article_votes: one "Was this helpful?" answer per person and article

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from kb.models import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'article_votes',
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('voter', sa.String(length=120), nullable=False),
        sa.Column('helpful', sa.Boolean(), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('article_id', 'voter'),
    )


def downgrade() -> None:
    op.drop_table('article_votes')

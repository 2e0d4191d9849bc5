"""daily suggestion counts per article (drift reads these instead of every answer)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 23:45:00
"""

from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from kb.suggestion_counts import count_answers

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _day(value: object) -> date:
    # SQLite hands the stored text back here (no model types in a migration); PostgreSQL a datetime.
    return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    counts = op.create_table(
        'suggestion_counts',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('shown', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'article_id'),
    )
    # Count the suggestions made before this table existed: at most days x articles rows, summed in memory.
    answers = sa.table('suggest_queries', sa.column('created_at'), sa.column('shown', sa.JSON()))
    rows = op.get_bind().execute(sa.select(answers.c.created_at, answers.c.shown))
    summed = count_answers((_day(created_at), shown) for created_at, shown in rows)
    if summed:
        op.bulk_insert(counts, [{"day": day, "article_id": article, "shown": n} for day, article, n in summed])


def downgrade() -> None:
    op.drop_table('suggestion_counts')

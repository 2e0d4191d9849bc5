"""query_log: a partial index over the searches that led somewhere, for popular searches

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CLICKED = sa.text("clicked_article_id IS NOT NULL")


def upgrade() -> None:
    op.create_index('ix_query_log_popular', 'query_log', ['kind', 'day', 'query_key', 'actor'],
                    sqlite_where=CLICKED, postgresql_where=CLICKED)


def downgrade() -> None:
    op.drop_index('ix_query_log_popular', table_name='query_log')

"""feedback: one verdict of each kind per suggestion and article, enforced by the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 12:40:00
"""

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Repeats were already serialised by the application; drop any that slipped in, keeping the first.
    op.execute("DELETE FROM feedback WHERE id NOT IN "
               "(SELECT MIN(id) FROM feedback GROUP BY query_id, article_id, outcome)")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_feedback_verdict', ['query_id', 'article_id', 'outcome'])


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint('uq_feedback_verdict', type_='unique')

"""users.sessions_ended_at: disabling an account ends its sessions for good

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 08:10:00
"""

import sqlalchemy as sa
from alembic import op

from kb.models import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('sessions_ended_at', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('sessions_ended_at')

"""article ids never reused (SQLite AUTOINCREMENT)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:40:00
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    # Other databases use sequences, which never hand out an id twice.
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('articles', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)

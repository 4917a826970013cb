"""Registration: the hierarchy's changes (org_unit.changed), kept beside the events that record them.

Revision ID: r0003
"""

from alembic import op

from shared.hierarchy_store import org_unit_changes_columns_v1

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("org_unit_changes", *org_unit_changes_columns_v1())


def downgrade() -> None:
    op.drop_table("org_unit_changes")

"""Support: the hierarchy's changes (org_unit.changed) as this service knows them (shared.hierarchy_store).

Revision ID: s0003
"""

from alembic import op

from shared.hierarchy_store import org_unit_changes_columns_v1

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("org_unit_changes", *org_unit_changes_columns_v1())


def downgrade() -> None:
    op.drop_table("org_unit_changes")

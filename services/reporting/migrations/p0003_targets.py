"""Reporting: targets an admin sets per org unit (effective-dated; a changed target is a new row, so past
reports keep the target valid then).

Revision ID: p0003
"""

from alembic import op

from services.reporting.target_store import targets_columns_v1

revision = "p0003"
down_revision = "p0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("rp_targets", *targets_columns_v1())


def downgrade() -> None:
    op.drop_table("rp_targets")

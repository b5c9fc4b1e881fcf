"""Monitoring: items each source has seen, per-source saved state and health, the run log.

Revision ID: 0002_monitoring
Revises: 0001_core
Create Date: 2024-06-02

What ``tracker run`` must remember across restarts lives in these tables (see
``tracker/monitor/models.py``): seen items (so nothing is scanned twice), cursors and HTTP
validators (so nothing that appeared while it was down is skipped), and health counters.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_monitoring"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "source_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("content_sha256", sa.String(), nullable=False),
        _when("first_seen", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_source_items"),
        sa.UniqueConstraint("source", "item_id", "content_sha256",
                            name="uq_source_items_source_item_id_content_sha256"),
    )
    op.create_table(
        "source_states",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("validators", sa.JSON(), nullable=False),
        _when("last_run_at"),
        _when("last_success_at"),
        _when("last_failure_at"),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failure_class", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("items_fetched", sa.Integer(), nullable=False),
        sa.Column("bytes_fetched", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("zero_item_runs", sa.Integer(), nullable=False),
        sa.Column("last_items", sa.Integer(), nullable=False),
        sa.Column("last_duration", sa.Float(), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        _when("lease_expires"),
        sa.PrimaryKeyConstraint("name", name="pk_source_states"),
    )
    op.create_table(
        "source_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        _when("started_at", nullable=False),
        _when("finished_at"),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("considered", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("failure_class", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_source_runs"),
    )
    op.create_index("ix_source_runs_source", "source_runs", ["source"])


def downgrade() -> None:
    op.drop_index("ix_source_runs_source", table_name="source_runs")
    op.drop_table("source_runs")
    op.drop_table("source_states")
    op.drop_table("source_items")

"""Sources count the documents they delivered that could not be read.

Revision ID: 0005_unreadable_items
Revises: 0004_hit_chance
Create Date: 2026-12-08

A document that aborts, stalls or exhausts its parser costs its own ``error`` and the run
goes on; the source's health says how many such documents it has delivered, so that a site
that suddenly serves only unreadable documents (or a poisoned feed) is seen, not silent.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_unreadable_items"
down_revision: str | None = "0004_hit_chance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_states") as batch:
        batch.add_column(sa.Column("items_unreadable", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("source_states") as batch:
        batch.drop_column("items_unreadable")

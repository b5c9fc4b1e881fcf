"""Hits keep how sure they are: expected chance matches for the document, and rows compared.

Revision ID: 0004_hit_chance
Revises: 0003_workflow
Create Date: 2026-12-04

The matcher's verdict is a statement about chance: in a document of this many rows, against a
leak of this size, this many rows would match as well by chance (``expected_chance``), where
the hit has ``n_records``. Analysts see both; hits stored before this revision have neither
(NULL) until they are matched again.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_hit_chance"
down_revision: str | None = "0003_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hits") as batch:
        batch.add_column(sa.Column("expected_chance", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rows_compared", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hits") as batch:
        batch.drop_column("rows_compared")
        batch.drop_column("expected_chance")

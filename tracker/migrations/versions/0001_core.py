"""Core schema: leaks, documents, hits, scan errors.

Revision ID: 0001_core
Revises:
Create Date: 2024-06-01

Later revisions (monitoring: 0002, workflow: 0003) chain onto this one with
``down_revision = "0001_core"``.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "leaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        _timestamp("created_at"),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("file_format", sa.String(), nullable=False),
        sa.Column("file_sha256", sa.String(), nullable=False),
        sa.Column("n_records", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("sheets", sa.JSON(), nullable=False),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("index_path", sa.String(), nullable=False),
        sa.Column("index_sha256", sa.String(), nullable=False),
        sa.Column("index_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_leaks"),
        sa.UniqueConstraint("name", name="uq_leaks_name"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        _timestamp("first_seen"),
        _timestamp("last_seen"),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("source", "sha256", name="uq_documents_source_sha256"),
    )
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leak_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("n_records", sa.Integer(), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("records_detail", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), server_default="new", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["leak_id"], ["leaks.id"], name="fk_hits_leak_id_leaks", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_hits_document_id_documents", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hits"),
        sa.UniqueConstraint("leak_id", "document_id", name="uq_hits_leak_id_document_id"),
    )
    op.create_index("ix_hits_leak_id", "hits", ["leak_id"])
    op.create_index("ix_hits_document_id", "hits", ["document_id"])
    op.create_index("ix_hits_status", "hits", ["status"])
    op.create_table(
        "scan_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        _timestamp("at"),
        sa.PrimaryKeyConstraint("id", name="pk_scan_errors"),
    )


def downgrade() -> None:
    op.drop_table("scan_errors")
    op.drop_table("hits")
    op.drop_table("documents")
    op.drop_table("leaks")

"""Takedown workflow: incidents, locations, cases, notices, removal checks, audit log.

Revision ID: 0003_workflow
Revises: 0002_monitoring
Create Date: 2024-06-03

The audit log is append-only; besides the ORM guard in ``tracker/workflow/models.py``,
triggers refuse UPDATE and DELETE on it in SQLite and PostgreSQL, so not even a hand-written
SQL statement can rewrite the history.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_workflow"
down_revision: str | None = "0002_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPEND_ONLY = "the audit log is append-only"


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "incidents",
        _id(),
        _when("created_at", nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_table(
        "incident_locations",
        _id(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("linked_by", sa.String(), nullable=False),
        _when("first_seen", nullable=False),
        _fk("incident_locations", "incident_id", "incidents"),
        sa.PrimaryKeyConstraint("id", name="pk_incident_locations"),
        sa.UniqueConstraint("url", name="uq_incident_locations_url"),
    )
    op.create_index("ix_incident_locations_incident_id", "incident_locations", ["incident_id"])
    op.create_index("ix_incident_locations_host", "incident_locations", ["host"])
    op.create_table(
        "location_hits",
        sa.Column("hit_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        _fk("location_hits", "hit_id", "hits"),
        _fk("location_hits", "location_id", "incident_locations"),
        sa.PrimaryKeyConstraint("hit_id", name="pk_location_hits"),
    )
    op.create_index("ix_location_hits_location_id", "location_hits", ["location_id"])
    op.create_table(
        "document_sketches",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        _fk("document_sketches", "document_id", "documents"),
        sa.PrimaryKeyConstraint("document_id", name="pk_document_sketches"),
    )
    op.create_table(
        "cases",
        _id(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("recipient", sa.JSON(), nullable=False),
        sa.Column("recipient_chain", sa.JSON(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("follow_ups", sa.Integer(), nullable=False),
        sa.Column("baseline_sha256", sa.String(), nullable=False),
        _when("opened_at", nullable=False),
        _when("notice_sent_at"),
        _when("deadline_at"),
        _when("removed_at"),
        _when("closed_at"),
        _when("next_check_at"),
        sa.Column("check_streak", sa.Integer(), nullable=False),
        _when("updated_at", nullable=False),
        _fk("cases", "incident_id", "incidents"),
        _fk("cases", "location_id", "incident_locations"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("location_id", name="uq_cases_location_id"),
    )
    op.create_index("ix_cases_incident_id", "cases", ["incident_id"])
    op.create_index("ix_cases_host", "cases", ["host"])
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_table(
        "notices",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("recipient", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        _when("created_at", nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        _when("approved_at"),
        _when("sent_at"),
        _fk("notices", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
    )
    op.create_index("ix_notices_case_id", "notices", ["case_id"])
    op.create_table(
        "removal_checks",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        _when("at", nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        _fk("removal_checks", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name="pk_removal_checks"),
    )
    op.create_index("ix_removal_checks_case_id", "removal_checks", ["case_id"])
    op.create_table(
        "audit_log",
        _id(),
        _when("at", nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("object_type", sa.String(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=False),
        sa.Column("to_state", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_object_type", "audit_log", ["object_type"])
    op.create_index("ix_audit_log_object_id", "audit_log", ["object_id"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("removal_checks")
    op.drop_table("notices")
    op.drop_table("cases")
    op.drop_table("document_sketches")
    op.drop_table("location_hits")
    op.drop_table("incident_locations")
    op.drop_table("incidents")

"""The ``[workflow]`` table of ``tracker.toml``: who sends notices, on what basis, and how.

Example::

    [workflow]
    sender_name = "Data Protection Team"
    sender_email = "dpo@example.org"
    organisation = "Example Refugee Council"
    authority = "acting for the data controller and the people in the records"
    legal_basis = ["GDPR Art. 17 (right to erasure)", "GDPR Art. 9 (special categories)"]

    [workflow.deadlines]          # per recipient class; defaults in DEFAULT_DEADLINES below
    platform = "2d"

    [workflow.smtp]
    host = "smtp.example.org"
    port = 587
    starttls = true
    username = "dpo@example.org"
    password_env = "TRACKER_SMTP_PASSWORD"   # the password itself never goes in the file

    [workflow.recipients."files.example.net"]   # analyst override for a host
    name = "Example Files abuse desk"
    channel = "email"
    address = "abuse@example.net"
    class = "host"

Validation errors name the key, as the rest of the config does.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.config import check_url_setting, is_secret_key, parse_duration, read_toml
from tracker.errors import ConfigError, shown_path
from tracker.workflow.recipients.model import Channel, Recipient, RecipientClass

DAY = 86400.0
#: Time (seconds) a recipient of each class gets before a case is flagged for follow-up.
DEFAULT_DEADLINES: dict[RecipientClass, float] = {
    RecipientClass.PLATFORM: 3 * DAY,
    RecipientClass.HOST: 5 * DAY,
    RecipientClass.CDN: 5 * DAY,
    RecipientClass.REGISTRAR: 10 * DAY,
    RecipientClass.SEARCH_ENGINE: 14 * DAY,
    RecipientClass.ARCHIVE: 14 * DAY,
}
#: Removal re-checks: after each check of a present location, wait the next interval (last repeats).
DEFAULT_CHECK_INTERVALS: tuple[float, ...] = (3600.0, 6 * 3600.0, DAY, 3 * DAY, 7 * DAY)
#: Re-checks of removed locations, for reappearance.
DEFAULT_GONE_INTERVAL = 7 * DAY


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the outgoing mail server; the password is read from ``password_env``."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    username: str = ""
    password_env: str = ""
    cafile: str = ""  # extra CA bundle, e.g. for a server with a private CA
    timeout: float = 30.0


@dataclass(frozen=True)
class WorkflowSettings:
    """Validated ``[workflow]`` table."""

    sender_name: str = ""
    sender_email: str = ""
    organisation: str = ""
    authority: str = ""
    legal_basis: tuple[str, ...] = ()
    deadlines: dict[RecipientClass, float] = field(default_factory=lambda: dict(DEFAULT_DEADLINES))
    max_follow_ups: int = 1  # reminders to one recipient before escalating to the next
    smtp: SmtpSettings = SmtpSettings()
    overrides: dict[str, Recipient] = field(default_factory=dict)  # host -> analyst's recipient
    rdap_base: str = "https://rdap.org/"
    check_intervals: tuple[float, ...] = DEFAULT_CHECK_INTERVALS
    gone_interval: float = DEFAULT_GONE_INTERVAL

    def require_sender(self) -> None:
        """Notices name their sender; refuse to draft one before the config says who that is."""
        missing = [k for k in ("sender_name", "sender_email", "organisation") if not getattr(self, k)]
        if missing:
            raise ConfigError(
                f"[workflow] {', '.join(missing)} not set in tracker.toml; a notice must say who sends it"
            )

    def deadline_text(self, rclass: RecipientClass) -> str:
        """Human form of a class's deadline for notices: "3 days", "36 hours"."""
        seconds = self.deadlines[rclass]
        if seconds % DAY == 0:
            days = int(seconds // DAY)
            return f"{days} day{'s' if days != 1 else ''}"
        hours = max(1, round(seconds / 3600))
        return f"{hours} hour{'s' if hours != 1 else ''}"


_STR_KEYS = ("sender_name", "sender_email", "organisation", "authority", "rdap_base")
_SMTP_KEYS = {f for f in SmtpSettings.__dataclass_fields__}
_TOP_KEYS = {*_STR_KEYS, "legal_basis", "deadlines", "max_follow_ups", "smtp", "recipients", "verify"}


def _str(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key} = {value!r}: expected a string")
    return value


def _table(value: object, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a table [{key}]")
    return value


def _unknown(table: Mapping[str, Any], allowed: set[str] | tuple[str, ...], prefix: str) -> None:
    for key in table:
        if is_secret_key(key):
            raise ConfigError(
                f"{prefix}.{key}: secrets must not be written in the config file; name an environment "
                f'variable instead, e.g. {key}_env = "TRACKER_SMTP_PASSWORD"'
            )
        if key not in allowed:
            raise ConfigError(f"{prefix}.{key}: unknown key; allowed: {', '.join(sorted(allowed))}")


def _parse_smtp(table: Mapping[str, Any]) -> SmtpSettings:
    _unknown(table, _SMTP_KEYS, "workflow.smtp")
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = f"workflow.smtp.{key}"
        if key == "port":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
                raise ConfigError(f"{name} = {value!r}: expected a port number 1-65535")
            values[key] = value
        elif key == "starttls":
            if not isinstance(value, bool):
                raise ConfigError(f"{name} = {value!r}: expected true or false")
            values[key] = value
        elif key == "timeout":
            values[key] = parse_duration(value, name)
        else:
            values[key] = _str(value, name)
    return SmtpSettings(**values)


def _parse_override(host: str, table: Mapping[str, Any]) -> Recipient:
    prefix = f'workflow.recipients."{host}"'
    _unknown(table, ("name", "channel", "address", "class", "template"), prefix)
    try:
        channel = Channel(table.get("channel", "email"))
        rclass = RecipientClass(table.get("class", "host"))
    except ValueError as exc:
        raise ConfigError(
            f"{prefix}: {exc}; channel is one of {', '.join(Channel)}, class one of {', '.join(RecipientClass)}"
        ) from None
    if "address" not in table:
        raise ConfigError(f"{prefix}.address: missing; give the email address or form URL")
    return Recipient(
        name=_str(table.get("name", host), f"{prefix}.name"),
        recipient_class=rclass,
        channel=channel,
        address=_str(table["address"], f"{prefix}.address"),
        source="override",
        template=_str(table.get("template", "default"), f"{prefix}.template"),
    )


def parse_workflow(table: Mapping[str, Any] | None) -> WorkflowSettings:
    """Validate the ``[workflow]`` table (None or missing gives the defaults)."""
    if table is None:
        return WorkflowSettings()
    table = _table(table, "workflow")
    _unknown(table, _TOP_KEYS, "workflow")
    values: dict[str, Any] = {k: _str(table[k], f"workflow.{k}") for k in _STR_KEYS if k in table}
    if "rdap_base" in values:  # fetched by the recipient lookup: the HTTP client's URL rule
        check_url_setting("workflow.rdap_base", values["rdap_base"])
    if "legal_basis" in table:
        basis = table["legal_basis"]
        basis = [basis] if isinstance(basis, str) else basis
        if not isinstance(basis, list):
            raise ConfigError("workflow.legal_basis: expected a list of strings")
        values["legal_basis"] = tuple(_str(b, "workflow.legal_basis[]") for b in basis)
    deadlines = dict(DEFAULT_DEADLINES)
    for key, value in _table(table.get("deadlines", {}), "workflow.deadlines").items():
        try:
            deadlines[RecipientClass(key)] = parse_duration(value, f"workflow.deadlines.{key}")
        except ValueError:
            raise ConfigError(
                f"workflow.deadlines.{key}: unknown recipient class; allowed: {', '.join(RecipientClass)}"
            ) from None
    values["deadlines"] = deadlines
    if "max_follow_ups" in table:
        n = table["max_follow_ups"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ConfigError(f"workflow.max_follow_ups = {n!r}: expected a whole number >= 0")
        values["max_follow_ups"] = n
    if "smtp" in table:
        values["smtp"] = _parse_smtp(_table(table["smtp"], "workflow.smtp"))
    overrides = _table(table.get("recipients", {}), "workflow.recipients")
    values["overrides"] = {
        host.lower(): _parse_override(host, _table(t, f"workflow.recipients.{host}")) for host, t in overrides.items()
    }
    verify = _table(table.get("verify", {}), "workflow.verify")
    _unknown(verify, ("intervals", "gone_interval"), "workflow.verify")
    if "intervals" in verify:
        if not isinstance(verify["intervals"], list) or not verify["intervals"]:
            raise ConfigError('workflow.verify.intervals: expected a list of durations like ["1h", "1d"]')
        values["check_intervals"] = tuple(
            parse_duration(v, f"workflow.verify.intervals[{i + 1}]") for i, v in enumerate(verify["intervals"])
        )
    if "gone_interval" in verify:
        values["gone_interval"] = parse_duration(verify["gone_interval"], "workflow.verify.gone_interval")
    return WorkflowSettings(**values)


def load_workflow_settings(config_path: Path) -> WorkflowSettings:
    """The ``[workflow]`` table of a config file; defaults when the file does not exist.

    Read like the rest of the file (``tracker.config.read_toml``: a hostile file nested too
    deeply is a clear error), and errors name the file before the setting.
    """
    try:
        data = read_toml(config_path)
    except FileNotFoundError:
        return WorkflowSettings()
    try:
        return parse_workflow(data.get("workflow"))
    except ConfigError as exc:
        raise ConfigError(f"{shown_path(config_path)}: {exc}") from exc

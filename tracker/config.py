"""The monitoring configuration: one TOML file with an ``[http]`` table, a ``[monitor]`` table
and one ``[[sources]]`` table per watched source.

The file lives at ``$TRACKER_HOME/tracker.toml`` unless ``--config PATH`` names another one.
Everything is validated up front, so a typo is reported before the scheduler starts rather than
at three in the morning: each error names the key (``sources[2].interval``, counting
``[[sources]]`` tables from 1), the value it got and what is allowed. Secrets never live in the
file: a key that looks like one (``token``, ``api_key``, ``password``...) is refused with a hint
to name an environment variable instead (``token_env = "GITHUB_TOKEN"``); the sources read the
variable themselves, so secret values never pass through here, the database or the logs.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError, shown_path
from tracker.extract.limits import Limits

CONFIG_FILE_NAME = "tracker.toml"

#: Keys every ``[[sources]]`` table understands; all other keys belong to the source's kind.
COMMON_SOURCE_KEYS = ("name", "kind", "interval", "enabled", "jitter", "zero_item_runs")

_TOP_LEVEL_KEYS = ("http", "monitor", "scan", "sources", "workflow")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)", re.IGNORECASE)
_DURATION_FULL_RE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*)+$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {None: 1, "b": 1, "kb": 10**3, "kib": 2**10, "mb": 10**6, "mib": 2**20,
               "gb": 10**9, "gib": 2**30}
#: Key names that hold secrets. ``*_env`` variants (the name of an environment variable) are fine.
_SECRET_KEY_RE = re.compile(
    r"(^|_)(token|secret|password|passwd|api_?key|apikey|key|subscription_token|auth|"
    r"authorization|cookie|credentials?|client_secret)$",
    re.IGNORECASE,
)
#: HttpSettings fields that are programmatic hooks (test resolvers, allowlists), not config keys.
_HTTP_HIDDEN_FIELDS = ("resolver", "allowed_addresses", "transport")

MIN_INTERVAL_SECONDS = 1.0
#: Longest duration any setting may hold (intervals, jitter, timeouts, deadlines...): one year.
#: A person never means more, and larger values overflow the scheduler's date arithmetic
#: (``interval = 1e20`` made ``tracker run`` die with an OverflowError).
MAX_DURATION_SECONDS = 365 * 86400.0
#: Integers in the file must fit the 64-bit signed range TOML itself defines (and the database stores).
_INT_MAX = 2**63 - 1
#: Keys whose values are URLs the tracker fetches: ``url``, ``listing_url``, ``start_urls``...
_URL_KEY_RE = re.compile(r"(^|_)urls?$")
MAX_STALE_FACTOR = 1000.0
MAX_WORKERS = 256


@dataclass(frozen=True)
class MonitorSettings:
    """The ``[monitor]`` table: scheduler and health defaults shared by all sources."""

    zero_item_runs: int = 5          # runs in a row that see no item at all before a source is flagged
    misfire_grace_time: float | None = None  # seconds a late run may still start; None = the source's interval
    max_workers: int = 4             # sources that may run at the same time
    stale_factor: float = 3.0        # flag a source not run for stale_factor * interval (+ 5 min)
    workflow_interval: float = 900.0  # seconds between takedown-workflow runs under `tracker run`; 0 = off


@dataclass(frozen=True)
class SourceConfig:
    """One validated ``[[sources]]`` table."""

    index: int                       # 1-based position among the [[sources]] tables
    name: str
    kind: str
    interval: float                  # seconds between runs
    enabled: bool
    jitter: float                    # seconds of random delay added to each run
    zero_item_runs: int
    options: Any                     # the kind's own Options dataclass (sources.base.parse_options)
    raw_options: dict[str, Any] = field(default_factory=dict)  # the kind's keys as written

    @property
    def key(self) -> str:
        """How errors name this table, e.g. ``sources[2]``."""
        return f"sources[{self.index}]"


@dataclass(frozen=True)
class TrackerConfig:
    """The whole validated configuration file."""

    path: Path | None
    http: Any                        # sources.http.HttpSettings
    monitor: MonitorSettings
    sources: tuple[SourceConfig, ...]
    warnings: tuple[str, ...] = ()   # non-fatal remarks (unset env variables...), never secret values
    scan: Limits = Limits()          # [scan]: what one document may expand to and cost (tracker.workers)

    def source(self, name: str) -> SourceConfig:
        """The source named ``name``; ConfigError listing the configured names otherwise."""
        for src in self.sources:
            if src.name == name:
                return src
        names = ", ".join(s.name for s in self.sources) or "(none)"
        raise ConfigError(f"no source named {name!r} in the configuration; configured: {names}")

    @property
    def enabled_sources(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.enabled)


# ---------------------------------------------------------------------------------------------
# value parsers


def parse_duration(value: object, key: str, *, allow_zero: bool = False) -> float:
    """Seconds from a number or a string like ``"90s"``, ``"15m"``, ``"1h30m"``, ``"2d"``.

    Intervals are written by people; accepting units avoids the classic ``interval = 15`` meant
    as minutes. ``key`` is only used to name the culprit in the error.
    """
    allowed = 'a number of seconds or a duration like "30s", "15m", "1h", "1h30m"'
    seconds: float
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{key} = {_show(value)}: expected {allowed}")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif _DURATION_FULL_RE.match(text):
            seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION_RE.findall(text))
        else:
            raise ConfigError(f"{key} = {_show(value)}: expected {allowed}")
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        sign = "a duration of 0 or more" if allow_zero else "a positive duration"
        raise ConfigError(f"{key} = {_show(value)}: expected {sign} ({allowed})")
    if seconds > MAX_DURATION_SECONDS:
        raise ConfigError(f"{key} = {_show(value)}: expected at most 365 days (\"365d\"); "
                          "longer durations are not meaningful here")
    return seconds


def parse_size(value: object, key: str) -> int:
    """Bytes from an integer or a string like ``"20MB"`` / ``"512KiB"``."""
    if isinstance(value, bool):
        raise ConfigError(f"{key} = {_show(value)}: expected a byte count like 20000000 or \"20MB\"")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and (m := _SIZE_RE.match(value)):
        unit = m.group(2).lower() if m.group(2) else None
        size = int(float(m.group(1)) * _SIZE_UNITS[unit])
        if size > 0:
            return size
    raise ConfigError(f"{key} = {_show(value)}: expected a positive byte count like 20000000 or \"20MB\"")


def format_duration(seconds: float) -> str:
    """Short human form of a duration (``900`` -> ``"15m"``), for status output."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    parts = []
    rest = int(round(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


def _show(value: object) -> str:
    """A value as it would appear in TOML, shortened, for error messages."""
    if isinstance(value, str):
        text = value if len(value) <= 80 else value[:77] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{...}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_keys(table: Mapping[str, Any], prefix: str, allowed: typing.Collection[str]) -> None:
    """Refuse the first unknown key of a table, listing the allowed ones."""
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{prefix}.{key}: unknown key; allowed: {', '.join(sorted(allowed))}")


def is_secret_key(key: str) -> bool:
    """Whether a config key would hold a secret value (``token``), not an env name (``token_env``)."""
    return not key.lower().endswith("_env") and bool(_SECRET_KEY_RE.search(key))


def _refuse_secrets(table: Mapping[str, Any], prefix: str) -> None:
    for key in table:
        if is_secret_key(key):
            raise ConfigError(
                f"{prefix}.{key}: secrets must not be written in the config file; store it in an "
                f"environment variable and name that variable instead, e.g. {key}_env = \"MY_{key.upper()}\""
            )


def _check_env_names(table: Mapping[str, Any], prefix: str, warnings: list[str]) -> None:
    """``*_env`` keys must name a variable; an unset variable is only a warning (it may be optional)."""
    for key, value in table.items():
        if not key.lower().endswith("_env"):
            continue
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ConfigError(
                f"{prefix}.{key} = {_show(value)}: expected the NAME of an environment variable, "
                f"like \"GITHUB_TOKEN\" (letters, digits, underscores)"
            )
        if not os.environ.get(value):
            warnings.append(f"{prefix}.{key}: environment variable {value} is not set")


def check_url_setting(key: str, value: str) -> None:
    """Refuse a configured URL the HTTP client would refuse, by the client's own rule.

    ``sources.http.check_url`` is the one rule for URLs (a port of 1-65535, no octal, hex
    or one-integer IPv4 host such as ``http://0177.0.0.1/``, ...); running it here reports
    a bad URL when the file is checked, naming the setting, instead of at the first fetch.
    A relative template (a ``raw_url`` of ``/raw/{id}``) has no host to judge and is left to
    the source. Proxies (``socks5://``) are judged by their host and port only.
    """
    from sources.errors import SourceError
    from sources.http import check_url

    if "://" not in value:
        return
    scheme, _, rest = value.partition("://")
    probe = value if scheme.lower() in ("http", "https") else f"http://{rest}"
    try:
        check_url(probe)
    except SourceError as exc:  # the message never quotes the URL; we show it shortened
        raise ConfigError(f"{key} = {_show(value)}: {exc}") from None


def _check_urls(table: Mapping[str, Any], prefix: str) -> None:
    """Every ``url``-like key of a source table (a string or a list of strings) through the URL rule."""
    for key, value in table.items():
        if not _URL_KEY_RE.search(key):
            continue
        items = [(f"{prefix}.{key}", value)] if isinstance(value, str) else (
            [(f"{prefix}.{key}[{i}]", v) for i, v in enumerate(value, start=1) if isinstance(v, str)]
            if isinstance(value, list) else [])
        for name, url in items:
            check_url_setting(name, url)


def _check_numbers(data: Mapping[str, Any]) -> None:
    """Refuse ``nan``, ``inf`` and integers beyond 64 bits anywhere in the file, naming the key.

    TOML allows ``nan`` and ``inf`` as floats and tomllib reads integers of any size; no
    setting means either, and comparisons with nan are always false, so range checks let
    it through (``timeout = nan`` passed every one). One pass over the whole document
    covers every table, including the sources' own keys. Iterative: the document may be
    nested as deep as the parser allowed.
    """
    stack: list[tuple[str, object]] = [(str(k), v) for k, v in data.items()]
    while stack:
        key, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{key} = {_show(value)}: expected a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and not -_INT_MAX - 1 <= value <= _INT_MAX:
            raise ConfigError(f"{key} = {_show(value)}: expected a whole number of at most 64 bits")
        if isinstance(value, dict):
            stack.extend((f"{key}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{key}[{i}]", v) for i, v in enumerate(value, start=1))


# ---------------------------------------------------------------------------------------------
# [http]


def _type_check(value: object, hint: object, key: str) -> object:
    """Coerce a TOML value to a simple dataclass field type, or raise a ConfigError naming it."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        errors = []
        for arg in args:
            try:
                return _type_check(value, arg, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{key} = {_show(value)}: not allowed")
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise ConfigError(f"{key} = {_show(value)}: expected a list")
        (inner, *_rest) = typing.get_args(hint) or (str,)
        items = [_type_check(v, inner, f"{key}[{i + 1}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} = {_show(value)}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} = {_show(value)}: expected a whole number")
        if value < 0:
            raise ConfigError(f"{key} = {_show(value)}: expected a number >= 0")
        return value
    if hint is float:  # every float of [http] is a duration in seconds: finite, >= 0, at most a year
        return parse_duration(value, key, allow_zero=True)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} = {_show(value)}: expected a string")
        return value
    return value


def http_setting_keys() -> dict[str, object]:
    """Config keys of the ``[http]`` table: HttpSettings' plain fields, with their types."""
    from sources.http import HttpSettings

    hints = typing.get_type_hints(HttpSettings)
    return {f.name: hints.get(f.name, object) for f in dataclasses.fields(HttpSettings)
            if f.name not in _HTTP_HIDDEN_FIELDS and f.metadata.get("config", True)}


def parse_http(table: object, warnings: list[str]) -> Any:
    """``[http]`` → ``sources.http.HttpSettings``; unknown keys and wrong types name the key."""
    from sources.errors import ConfigError as SourceConfigError
    from sources.http import HttpSettings

    if table is None:
        return HttpSettings()
    if not isinstance(table, dict):
        raise ConfigError(f"http = {_show(table)}: expected a table [http]")
    table = dict(table)
    _refuse_secrets(table, "http")
    _check_env_names(table, "http", warnings)
    fields = http_setting_keys()
    values: dict[str, Any] = {}
    proxy_env = table.pop("proxy_env", None)
    if proxy_env is not None:
        if "proxy" in table:
            raise ConfigError("http.proxy_env: give either proxy or proxy_env, not both")
        values["proxy"] = os.environ.get(proxy_env) or None
    _check_keys(table, "http", [*fields, "proxy_env"])
    if isinstance(table.get("proxy"), str):
        check_url_setting("http.proxy", table["proxy"])
    for key, value in table.items():
        name = f"http.{key}"
        if key == "max_bytes":
            values[key] = parse_size(value, name)
            continue
        if key == "proxy" and isinstance(value, str) and re.match(r"^[a-z][a-z0-9+.-]*://[^/@]*@", value, re.I):
            raise ConfigError(
                "http.proxy: a proxy URL with a user name or password is a secret; put the whole URL "
                "in an environment variable and name it with proxy_env = \"HTTPS_PROXY_URL\""
            )
        values[key] = _type_check(value, fields[key], name)
    try:
        return HttpSettings(**values)
    except (SourceConfigError, TypeError, ValueError) as exc:
        raise ConfigError(f"http.{exc}") from exc


# ---------------------------------------------------------------------------------------------
# [monitor]


def parse_monitor(table: object) -> MonitorSettings:
    """``[monitor]`` → MonitorSettings."""
    if table is None:
        return MonitorSettings()
    if not isinstance(table, dict):
        raise ConfigError(f"monitor = {_show(table)}: expected a table [monitor]")
    _check_keys(table, "monitor", [f.name for f in dataclasses.fields(MonitorSettings)])
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = f"monitor.{key}"
        if key == "misfire_grace_time":
            values[key] = parse_duration(value, name)
        elif key == "workflow_interval":
            values[key] = parse_duration(value, name, allow_zero=True)
        elif key == "stale_factor":
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not 1 <= value <= MAX_STALE_FACTOR):  # also refuses nan
                raise ConfigError(f"{name} = {_show(value)}: expected a number from 1 to {MAX_STALE_FACTOR:g}")
            values[key] = float(value)
        else:
            minimum = 1 if key == "max_workers" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(f"{name} = {_show(value)}: expected a whole number >= {minimum}")
            if key == "max_workers" and value > MAX_WORKERS:
                raise ConfigError(f"{name} = {_show(value)}: expected at most {MAX_WORKERS}")
            values[key] = value
    return MonitorSettings(**values)


# ---------------------------------------------------------------------------------------------
# [scan]


#: Most CPU or wall time one document may be given: beyond an hour a limit protects nothing.
MAX_DOCUMENT_SECONDS = 3600.0


def parse_scan(table: object) -> Limits:
    """``[scan]`` → the per-document Limits (its keys are Limits' fields, as messages name them)."""
    if table is None:
        return Limits()
    if not isinstance(table, dict):
        raise ConfigError(f"scan = {_show(table)}: expected a table [scan]")
    fields = {f.name: f for f in dataclasses.fields(Limits)}
    _check_keys(table, "scan", list(fields))
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = f"scan.{key}"
        if key in ("wall_seconds", "cpu_seconds"):
            seconds = parse_duration(value, name)
            if seconds > MAX_DOCUMENT_SECONDS:
                raise ConfigError(f"{name} = {_show(value)}: expected at most {format_duration(MAX_DOCUMENT_SECONDS)}")
            values[key] = seconds
        elif key in ("memory_bytes", "max_total_bytes"):
            size = parse_size(value, name)
            low, high = (64 * 2**20, 2**40) if key == "memory_bytes" else (2**20, 2**40)
            if not low <= size <= high:
                raise ConfigError(f"{name} = {_show(value)}: expected from {low // 2**20} MiB to 1 TiB")
            values[key] = size
        elif key == "max_ratio":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 1e6:
                raise ConfigError(f"{name} = {_show(value)}: expected a number from 1 to 1000000")
            values[key] = float(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**7:
                raise ConfigError(f"{name} = {_show(value)}: expected a whole number from 1 to 10000000")
            values[key] = value
    return Limits(**values)


# ---------------------------------------------------------------------------------------------
# [[sources]]


def default_jitter(interval: float) -> float:
    """Jitter when none is configured: a tenth of the interval, at most five minutes.

    Spreads requests so that restarts and equal intervals do not hit every site at the same second.
    """
    return min(interval / 10.0, 300.0)


def parse_source(index: int, table: object, monitor: MonitorSettings, warnings: list[str]) -> SourceConfig:
    """One ``[[sources]]`` table; the kind's own keys are validated by its plugin's Options."""
    from sources import base
    from sources.errors import ConfigError as SourceConfigError

    prefix = f"sources[{index}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{prefix} = {_show(table)}: expected a table [[sources]]")
    for required in ("name", "kind"):
        if required not in table:
            raise ConfigError(f"{prefix}.{required}: missing; every [[sources]] table needs name and kind")
    name = table["name"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(
            f"{prefix}.name = {_show(name)}: expected 1-64 letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit"
        )
    kind = table["kind"]
    if not isinstance(kind, str):
        raise ConfigError(f"sources[{index}].kind = {_show(kind)}: expected a string naming a source kind")
    try:
        base.source_class(kind)
    except SourceConfigError as exc:  # its message starts with "kind = ..." and lists the kinds
        raise ConfigError(f"sources[{index}].{exc}") from exc
    if "interval" not in table:
        raise ConfigError(f'sources[{index}].interval: missing; give seconds or a duration like "15m"')
    interval = parse_duration(table["interval"], f"sources[{index}].interval")
    if interval < MIN_INTERVAL_SECONDS:
        raise ConfigError(
            f"sources[{index}].interval = {_show(table['interval'])}: expected at least "
            f"{MIN_INTERVAL_SECONDS:g} second"
        )
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"sources[{index}].enabled = {_show(enabled)}: expected true or false")
    jitter = (parse_duration(table["jitter"], f"sources[{index}].jitter", allow_zero=True)
              if "jitter" in table else default_jitter(interval))
    zero_runs = table.get("zero_item_runs", monitor.zero_item_runs)
    if isinstance(zero_runs, bool) or not isinstance(zero_runs, int) or zero_runs < 0:
        raise ConfigError(
            f"sources[{index}].zero_item_runs = {_show(zero_runs)}: expected a whole number >= 0 (0 = never flag)"
        )
    own = {k: v for k, v in table.items() if k not in COMMON_SOURCE_KEYS}
    _refuse_secrets(own, f"sources[{index}]")
    _check_env_names(own, f"sources[{index}]", warnings)
    _check_urls(own, f"sources[{index}]")
    try:  # the plugin's message names the source and the key: "source 'x' (kind): key = value: ..."
        options = base.parse_options(kind, {"name": name, **own})
    except (SourceConfigError, TypeError, ValueError) as exc:
        raise ConfigError(f"sources[{index}]: {exc}") from exc
    return SourceConfig(index=index, name=name, kind=kind, interval=interval, enabled=enabled,
                        jitter=jitter, zero_item_runs=zero_runs, options=options, raw_options=own)


# ---------------------------------------------------------------------------------------------
# the whole file


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> TrackerConfig:
    """Validate an already-parsed TOML document."""
    unknown = [k for k in data if k not in _TOP_LEVEL_KEYS]
    if not unknown:
        _check_numbers(_numbered_sources(data))
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: unknown top-level key; allowed: [http], [monitor], [scan], [[sources]], [workflow]"
        )
    if "workflow" in data:  # the takedown workflow's table, validated here too for `tracker config check`
        from tracker.workflow.settings import parse_workflow

        parse_workflow(data["workflow"])
    warnings: list[str] = []
    http = parse_http(data.get("http"), warnings)
    monitor = parse_monitor(data.get("monitor"))
    scan = parse_scan(data.get("scan"))
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"sources = {_show(raw_sources)}: expected [[sources]] tables")
    sources = [parse_source(i, t, monitor, warnings) for i, t in enumerate(raw_sources, start=1)]
    seen: dict[str, int] = {}
    for src in sources:
        if src.name in seen:
            raise ConfigError(
                f'sources[{src.index}].name = "{src.name}": already used by sources[{seen[src.name]}]; '
                f"source names must be unique (they key the saved state)"
            )
        seen[src.name] = src.index
    return TrackerConfig(path=path, http=http, monitor=monitor, sources=tuple(sources),
                         warnings=tuple(warnings), scan=scan)


def _numbered_sources(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with ``[[sources]]`` keyed ``sources[N]`` as errors name them (``sources[2].x``)."""
    sources = data.get("sources")
    if not isinstance(sources, list):
        return data
    rest = {k: v for k, v in data.items() if k != "sources"}
    rest.update({f"sources[{i}]": t for i, t in enumerate(sources, start=1)})
    return rest


def default_config_path(home: Path) -> Path:
    """``$TRACKER_HOME/tracker.toml``."""
    return Path(home) / CONFIG_FILE_NAME


def read_toml(path: Path) -> dict[str, Any]:
    """Parse the TOML file at ``path``; every failure is a ConfigError naming the file.

    ``FileNotFoundError`` is left to the caller (a missing file means different things to
    different commands). tomllib recurses once per nested inline table or array, so a file
    of ``a = {b = {c = ...}}`` 10,000 deep raises RecursionError: a clear error here.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigError(f"cannot read config file {shown_path(path)}: {exc.strerror or exc}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown_path(path)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown_path(path)}: not valid TOML: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"{shown_path(path)}: not valid TOML: tables or arrays nested too deeply") from None


def load_config_or_defaults(path: Path) -> TrackerConfig:
    """The config file at ``path`` when there is one, else every table's defaults (commands
    that work without a config file: scan, the workflow)."""
    return load_config(path) if Path(path).is_file() else parse_config({}, None)


def load_config(path: Path) -> TrackerConfig:
    """Read and validate a TOML config file; ConfigError says what is wrong and where.

    Every error names the file first, then the setting (``/etc/tracker.toml: sources[2].interval
    = ...``): with several config files around, the key alone does not say which one to fix.
    """
    path = Path(path)
    try:
        data = read_toml(path)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {shown_path(path)} not found; create it (see docs/tracker.example.toml) or pass --config PATH"
        ) from None
    try:
        return parse_config(data, path)
    except ConfigError as exc:
        raise ConfigError(f"{shown_path(path)}: {exc}") from exc

"""Turning a TOML table into a typed options dataclass, with errors a person can act on.

Every source kind declares its keys as a dataclass (defaults included); the ``[http]``
table uses the same machinery. A wrong table gets a ``ConfigError`` that names the key,
the value and what is allowed, e.g. ``sources[pastes]: limit = 900: must be 1..250``.

Field metadata understood here:
- ``key``: the config key when it differs from the field name (``from`` is a keyword).
- ``quiet``: never echo the value in an error (search queries may hold leaked values).
- ``doc``: a short description used in "missing required key" errors.
- ``config``: False for fields set only from code (e.g. a test resolver), never from TOML.
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any, Literal, TypeVar, Union
from urllib.parse import urlsplit

from sources.errors import ConfigError

T = TypeVar("T")

# Keys of a [[sources]] table that belong to the tracker's scheduler, not to a kind.
COMMON_KEYS = frozenset({"name", "kind", "interval", "enabled"})


def invalid(key: str, value: object, allowed: str, *, quiet: bool = False) -> ConfigError:
    """A ``ConfigError`` for one bad value: ``key = value: allowed``."""
    shown = "<value not shown>" if quiet else _show(value)
    return ConfigError(f"{key} = {shown}: {allowed}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def config_key(field: dataclasses.Field[Any]) -> str:
    """The TOML key of a dataclass field."""
    return str(field.metadata.get("key", field.name))


def build_options(
    cls: type[T], table: Mapping[str, Any], *, where: str, ignore: Collection[str] = ()
) -> T:
    """Validate ``table`` against dataclass ``cls`` and build it; errors are prefixed ``where``."""
    fields = {
        config_key(f): f
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.metadata.get("config", True)
    }
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    try:
        for key, value in table.items():
            if key in ignore:
                continue
            field = fields.get(key)
            if field is None:
                raise invalid(key, value, "unknown key; allowed keys: " + ", ".join(sorted(fields)))
            quiet = bool(field.metadata.get("quiet"))
            kwargs[field.name] = coerce(key, value, hints[field.name], quiet=quiet)
        for key, field in fields.items():
            required = (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            )
            if required and field.name not in kwargs:
                doc = field.metadata.get("doc")
                raise ConfigError(f"missing required key {key!r}" + (f" ({doc})" if doc else ""))
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def coerce(key: str, value: Any, hint: Any, *, quiet: bool = False) -> Any:
    """Check ``value`` against the type ``hint``; ints are accepted where floats are wanted."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return value
    if origin in (Union, types.UnionType):
        problems = []
        for arm in args:
            if arm is type(None):
                if value is None:
                    return None
                continue
            try:
                return coerce(key, value, arm, quiet=quiet)
            except ConfigError:
                problems.append(_describe(arm))
        raise invalid(key, value, "must be " + " or ".join(problems), quiet=quiet)
    if origin is Literal:
        if value in args:
            return value
        raise invalid(key, value, "allowed values: " + ", ".join(repr(a) for a in args), quiet=quiet)
    if origin in (list, Collection) or hint is list:
        if not isinstance(value, list):
            raise invalid(key, value, f"must be {_describe(hint)}", quiet=quiet)
        item = args[0] if args else Any
        return [coerce(f"{key}[{i}]", v, item, quiet=quiet) for i, v in enumerate(value)]
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, dict):
            raise invalid(key, value, f"must be {_describe(hint)}", quiet=quiet)
        item = args[1] if len(args) == 2 else Any
        return {str(k): coerce(f"{key}.{k}", v, item, quiet=quiet) for k, v in value.items()}
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif isinstance(hint, type) and isinstance(value, hint):
        return value
    raise invalid(key, value, f"must be {_describe(hint)}", quiet=quiet)


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (list, Collection):
        return f"a list of {_describe(args[0])}s" if args else "a list"
    if origin in (dict, Mapping):
        return "a table"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a table"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def require_range(key: str, value: float, low: float, high: float | None = None) -> None:
    """Raise ``ConfigError`` unless ``low <= value <= high``."""
    if value < low or (high is not None and value > high):
        allowed = f"must be {low}..{high}" if high is not None else f"must be at least {low}"
        raise invalid(key, value, allowed)


def require_http_url(key: str, value: str | None) -> None:
    """Raise ``ConfigError`` unless ``value`` is an absolute http(s) URL."""
    if value is None:
        return
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[::1": a config error, not a crash of the loader
        raise invalid(key, value, "must be an absolute http:// or https:// URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(key, value, "must be an absolute http:// or https:// URL")


def url_list(key: str, urls: list[str], url: str | None, doc: str) -> list[str]:
    """``urls`` with the single ``url`` key in front; non-empty, every entry an http(s) URL."""
    merged = [url, *urls] if url is not None and url not in urls else list(urls)
    if not merged:
        raise ConfigError(f"missing required key {key!r} ({doc})")
    for i, item in enumerate(merged):
        require_http_url(f"{key}[{i}]", item)
    return merged


def env_secret(key: str, env_name: str | None) -> str | None:
    """The value of the environment variable named in config, or ``ConfigError`` if unset."""
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError(f"{key} = {env_name!r}: environment variable {env_name} is not set")
    return value

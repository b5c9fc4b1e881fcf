"""The monitoring configuration: parsing, validation messages, secrets, the documented example."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.extract import Limits
from tracker.config import (
    ConfigError,
    TrackerConfig,
    default_jitter,
    format_duration,
    load_config,
    parse_duration,
    parse_size,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "tracker.example.toml"

PASTE_SITE = """
[[sources]]
name = "sim"
kind = "paste-site"
interval = "2s"
listing_url = "http://127.0.0.1:9/archive"
item_selector = "a.paste"
raw_url = "http://127.0.0.1:9/raw/{id}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tracker.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


# --- value parsers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "seconds"), [
    (30, 30.0), (2.5, 2.5), ("45", 45.0), ("30s", 30.0), ("15m", 900.0), ("1h", 3600.0),
    ("1h30m", 5400.0), ("2d", 172800.0), ("500ms", 0.5), (" 10 m ", 600.0),
])
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value, "x") == seconds


@pytest.mark.parametrize("value", ["15 minutes", "m", "", "-5s", 0, -1, True, [1], "1.5.3s", float("inf")])
def test_bad_durations_name_key_value_and_what_is_allowed(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_duration(value, "sources[3].interval")
    message = str(info.value)
    assert message.startswith("sources[3].interval = ")
    assert '"15m"' in message  # says what is allowed


def test_sizes_and_duration_formatting() -> None:
    assert parse_size("20MB", "k") == 20_000_000
    assert parse_size("1KiB", "k") == 1024
    assert parse_size(512, "k") == 512
    with pytest.raises(ConfigError, match=r"http.max_bytes = \"lots\""):
        parse_size("lots", "http.max_bytes")
    assert format_duration(5400) == "1h30m"
    assert format_duration(2) == "2s"
    assert default_jitter(2.0) == pytest.approx(0.2)
    assert default_jitter(86400) == 300.0


# --- whole files -----------------------------------------------------------------------------

def test_valid_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[http]
timeout = "20s"
max_bytes = "5MB"
allow_private_addresses = true
user_agent = "repost-tracker-test"

[monitor]
zero_item_runs = 3
misfire_grace_time = "1m"

[[sources]]
name = "pastes"
kind = "pastebin"
interval = "15m"
url = "http://127.0.0.1:9"
limit = 50

[[sources]]
name = "sim"
kind = "paste-site"
interval = 2
enabled = false
jitter = 0
zero_item_runs = 0
listing_url = "http://127.0.0.1:9/archive"
item_selector = "a.paste"
raw_url = "http://127.0.0.1:9/raw/{id}"
"""))
    assert isinstance(config, TrackerConfig)
    assert config.http.timeout == 20.0 and config.http.max_bytes == 5_000_000
    assert config.http.allow_private_addresses is True
    assert config.monitor.zero_item_runs == 3 and config.monitor.misfire_grace_time == 60.0
    pastes, sim = config.sources
    assert (pastes.index, pastes.name, pastes.kind, pastes.interval, pastes.enabled) == (1, "pastes", "pastebin",
                                                                                        900.0, True)
    assert pastes.jitter == 90.0 and pastes.zero_item_runs == 3
    assert pastes.options.url == "http://127.0.0.1:9" and pastes.options.limit == 50
    assert (sim.enabled, sim.jitter, sim.zero_item_runs, sim.interval) == (False, 0.0, 0, 2.0)
    assert [s.name for s in config.enabled_sources] == ["pastes"]
    assert config.source("sim") is sim
    with pytest.raises(ConfigError, match="no source named 'nope'.*configured: pastes, sim"):
        config.source("nope")


def test_http_defaults_keep_private_addresses_refused(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, PASTE_SITE))
    assert config.http.allow_private_addresses is False
    assert config.sources[0].options.listing_url == "http://127.0.0.1:9/archive"


@pytest.mark.parametrize(("text", "expected"), [
    ('[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = "soon"\n',
     'sources[1].interval = "soon": expected a number of seconds or a duration like "30s", "15m"'),
    (PASTE_SITE + '[[sources]]\nname = "b"\nkind = "pastebin"\ninterval = "0s"\n',
     'sources[2].interval = "0s": expected a positive duration'),
    ('[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = "500ms"\n',
     'sources[1].interval = "500ms": expected at least 1 second'),
    ('[[sources]]\nname = "a"\nkind = "pastebin"\n', "sources[1].interval: missing"),
    ('[[sources]]\nname = "a"\ninterval = 60\n', "sources[1].kind: missing"),
    ('[[sources]]\nname = "a b"\nkind = "pastebin"\ninterval = 60\n', 'sources[1].name = "a b": expected 1-64'),
    ('[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = 60\nenabled = "yes"\n',
     'sources[1].enabled = "yes": expected true or false'),
    ('[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = 60\nzero_item_runs = -1\n',
     "sources[1].zero_item_runs = -1: expected a whole number >= 0"),
    ('[[sources]]\nname = "a"\nkind = "telepathy"\ninterval = 60\n',
     "sources[1].kind = 'telepathy': unknown source kind; allowed kinds: "),
    ('[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = 60\nlimit = 900\n',
     "sources[1]: source 'a' (pastebin): limit = 900"),
    ('[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = 60\nlimt = 9\n',
     "sources[1]: source 'a' (pastebin): limt = 9: unknown key; allowed keys: limit, url"),
    (PASTE_SITE + PASTE_SITE, 'sources[2].name = "sim": already used by sources[1]'),
    ('[http]\ntimeout = -1\n', "http.timeout = -1"),
    ('[http]\ntimout = 5\n', "http.timout: unknown key; allowed: "),
    ('[http]\nallow_private_addresses = "yes"\n', 'http.allow_private_addresses = "yes": expected true or false'),
    ('[http]\nretries = 99\n', "http.retries = 99: must be 0..20"),
    ('[monitor]\nzero_items = 3\n', "monitor.zero_items: unknown key; allowed: "),
    ('[monitor]\nmax_workers = 0\n', "monitor.max_workers = 0: expected a whole number >= 1"),
    ('[tracker]\nhome = "x"\n', "tracker: unknown top-level key; allowed: [http], [monitor], [scan], [[sources]]"),
    ('[scan]\nwall_seconds = "2h"\n', 'scan.wall_seconds = "2h": expected at most 1h'),
    ('[scan]\ncpu_seconds = 0\n', "scan.cpu_seconds = 0"),
    ('[scan]\nmemory_bytes = "lots"\n', 'scan.memory_bytes = "lots": expected a positive byte count'),
    ('[scan]\nmax_depth = 0\n', "scan.max_depth = 0: expected a whole number from 1"),
    ('[scan]\nmax_ratio = nan\n', "scan.max_ratio"),
    ('[scan]\ntimeout = 5\n', "scan.timeout: unknown key; allowed: "),
    ('[scan]\nmemory_bytes = "9999999999GiB"\n', 'scan.memory_bytes = "9999999999GiB": expected from 64 MiB to 1 TiB'),
    ('[scan]\nmemory_bytes = "1KB"\n', 'scan.memory_bytes = "1KB": expected from 64 MiB'),
    ('sources = 3\n', "sources = 3: expected [[sources]] tables"),
    ('[workflow]\nsender_nam = "x"\n', "workflow.sender_nam"),
    ('[monitor]\nworkflow_interval = "soon"\n', 'monitor.workflow_interval = "soon"'),
    ('[[sources]\n', "not valid TOML"),
])
def test_errors_name_key_value_and_allowed(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_scan_limits_come_from_the_scan_table(tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text('[scan]\nwall_seconds = "30s"\ncpu_seconds = 10\nmemory_bytes = "512MiB"\nmax_depth = 2\n')
    limits = load_config(path).scan
    assert (limits.wall_seconds, limits.cpu_seconds, limits.memory_bytes, limits.max_depth) == (30, 10, 2**29, 2)
    path.write_text("")
    assert load_config(path).scan.memory_bytes == Limits().memory_bytes == 6 * 2**30  # the defaults


def test_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[[sources]]\nname = "a"\nkind = "telepathy"\ninterval = 60\n')
    for kind in ("pastebin", "paste-site", "gists", "search"):
        assert kind in message


@pytest.mark.parametrize("key", ["token", "api_key", "password", "key", "subscription_token", "secret"])
def test_literal_secrets_are_refused_without_echoing_them(tmp_path: Path, key: str) -> None:
    secret = "ghp_S3cr3tValue0123456789"
    message = error_of(tmp_path, f'[[sources]]\nname = "g"\nkind = "gists"\ninterval = "1h"\n{key} = "{secret}"\n')
    assert f"sources[1].{key}: secrets must not be written in the config file" in message
    assert f"{key}_env" in message
    assert secret not in message


def test_proxy_credentials_are_refused_and_proxy_env_is_read(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(tmp_path, '[http]\nproxy = "http://user:pw@proxy.example:3128"\n')
    assert "http.proxy" in message and "proxy_env" in message and "pw@" not in message
    monkeypatch.setenv("E2_TEST_PROXY", "http://proxy.example:3128")
    config = load_config(write(tmp_path, '[http]\nproxy_env = "E2_TEST_PROXY"\n'))
    assert config.http.proxy == "http://proxy.example:3128"


def test_env_names_are_checked_and_unset_ones_warned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2_UNSET_TOKEN", raising=False)
    config = load_config(write(tmp_path, '[[sources]]\nname = "g"\nkind = "gists"\ninterval = "1h"\n'
                                         'token_env = "E2_UNSET_TOKEN"\n'))
    assert config.warnings == ("sources[1].token_env: environment variable E2_UNSET_TOKEN is not set",)
    monkeypatch.setenv("E2_UNSET_TOKEN", "value-that-must-not-show")
    assert load_config(write(tmp_path, '[[sources]]\nname = "g"\nkind = "gists"\ninterval = "1h"\n'
                                       'token_env = "E2_UNSET_TOKEN"\n')).warnings == ()
    message = error_of(tmp_path, '[[sources]]\nname = "g"\nkind = "gists"\ninterval = "1h"\n'
                                 'token_env = "ghp_abc-def"\n')
    assert 'sources[1].token_env = "ghp_abc-def": expected the NAME of an environment variable' in message


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found; create it .*--config PATH"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'# caf\xe9\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(bad)


def test_the_documented_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(EXAMPLE)
    kinds = {s.kind for s in config.sources}
    assert {"pastebin", "paste-site", "gists", "search"} <= kinds
    assert config.http.allow_private_addresses is False


# --- tracker config check ----------------------------------------------------------------------


def test_config_check_command(tracker_home: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    (tracker_home / "tracker.toml").write_text(PASTE_SITE, encoding="utf-8")
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert "valid, 1 source(s), 1 enabled" in result.stdout and "paste-site" in result.stdout
    result = runner.invoke(app, ["config", "check", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["sources"][0]["interval"] == 2.0
    assert data["http"]["allow_private_addresses"] is False


def test_config_check_hides_search_queries(tmp_path: Path, tracker_home: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, '[[sources]]\nname = "s"\nkind = "search"\ninterval = "1d"\nprovider = "searxng"\n'
                           'url = "http://127.0.0.1:9"\nqueries = ["detainee list xlsx", "intitle:roster"]\n')
    result = CliRunner().invoke(app, ["config", "check", "--config", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert "detainee list" not in result.stdout and "<2 not shown>" in result.stdout


def test_config_check_invalid_exits_2(tmp_path: Path, tracker_home: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, '[[sources]]\nname = "a"\nkind = "pastebin"\ninterval = "soon"\n')
    result = CliRunner().invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert f'error: {path}: sources[1].interval = "soon"' in result.stderr  # the file, then the setting


# --- hostile values: every one is a ConfigError naming the file and the setting, never a crash later ---

FOLDER_SOURCE = '[[sources]]\nname = "f"\nkind = "folder"\npath = "{path}"\ninterval = {interval}\n'


@pytest.mark.parametrize(("text", "expected"), [
    ('[http]\ntimeout = nan\n', "http.timeout = nan: expected a finite number"),
    ('[http]\ntimeout = inf\n', "http.timeout = inf: expected a finite number"),
    ('[http]\nconnect_timeout = -0.5\n', "http.connect_timeout = -0.5: expected a duration of 0 or more"),
    ('[http]\nbackoff = inf\n', "http.backoff = inf: expected a finite number"),
    ('[http]\nper_host_delay = -inf\n', "http.per_host_delay = -inf: expected a finite number"),
    ('[http]\nrobots_ttl = 1e20\n', "http.robots_ttl = 1e+20: expected at most 365 days"),
    ('[monitor]\nstale_factor = nan\n', "monitor.stale_factor = nan: expected a finite number"),
    ('[monitor]\nstale_factor = 1e9\n', "monitor.stale_factor = 1000000000.0: expected a number from 1 to 1000"),
    ('[monitor]\nworkflow_interval = 1e20\n', "monitor.workflow_interval = 1e+20: expected at most 365 days"),
    ('[monitor]\nmax_workers = 100000\n', "monitor.max_workers = 100000: expected at most 256"),
    ('[monitor]\nzero_item_runs = 99999999999999999999\n',
     "monitor.zero_item_runs = 99999999999999999999: expected a whole number of at most 64 bits"),
    (FOLDER_SOURCE.format(path="/nonexistent", interval="1e20"), "sources[1].interval = 1e+20: expected at most 365"),
    (FOLDER_SOURCE.format(path="/nonexistent", interval='"400d"'), 'sources[1].interval = "400d": expected at most'),
    (FOLDER_SOURCE.format(path="/nonexistent", interval="nan"), "sources[1].interval = nan: expected a finite number"),
    (FOLDER_SOURCE.format(path="/nonexistent", interval='"1h"') + "jitter = 1e300\n",
     "sources[1].jitter = 1e+300: expected at most 365 days"),
    (FOLDER_SOURCE.format(path="/nonexistent", interval='"1h"') + "settle_seconds = nan\n",
     "sources[1].settle_seconds = nan: expected a finite number"),
    ('[workflow.verify]\ngone_interval = 1e20\n', "workflow.verify.gone_interval = 1e+20: expected at most 365"),
])
def test_non_finite_and_huge_numbers_are_refused_naming_file_and_key(tmp_path: Path, text: str,
                                                                     expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'tracker.toml'}: "), message
    assert expected in message


@pytest.mark.parametrize(("text", "key", "reason"), [
    ('[[sources]]\nname = "c"\nkind = "crawl"\ninterval = "1h"\nstart_urls = ["https://ok.example/", '
     '"http://example.org:99999/"]\n', "sources[1].start_urls[2]", "port"),
    ('[[sources]]\nname = "c"\nkind = "crawl"\ninterval = "1h"\nurl = "http://0177.0.0.1/"\n',
     "sources[1].url", "non-standard form"),
    ('[[sources]]\nname = "c"\nkind = "crawl"\ninterval = "1h"\nurl = "http://0x7f.0.0.1/"\n',
     "sources[1].url", "non-standard form"),
    ('[[sources]]\nname = "g"\nkind = "gists"\ninterval = "1h"\nurl = "http://2130706433/"\n',
     "sources[1].url", "non-standard form"),
    ('[http]\nproxy = "http://proxy.example:99999"\n', "http.proxy", "port"),
    ('[http]\nproxy = "socks5://0177.0.0.1:1080"\n', "http.proxy", "non-standard form"),
    ('[workflow]\nrdap_base = "https://rdap.example:0/"\n', "workflow.rdap_base", "port"),
])
def test_url_settings_go_through_the_http_clients_url_rule(tmp_path: Path, text: str, key: str, reason: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'tracker.toml'}: {key} = "), message
    assert "invalid URL" in message and reason in message


def test_tables_nested_too_deeply_are_a_config_error_naming_the_file(tmp_path: Path, tracker_home: Path) -> None:
    depth = 10_000
    path = write(tmp_path, "a = " + "{b = " * depth + "1" + "}" * depth + "\n")
    with pytest.raises(ConfigError, match="nested too deeply") as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: not valid TOML")
    for args in (["config", "check", "--config", str(path)], ["run", "--once", "--config", str(path)],
                 ["cases", "list", "--config", str(path)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.stderr)
        assert f"error: {path}: not valid TOML" in result.stderr and "internal error" not in result.stderr


def test_run_refuses_an_interval_the_scheduler_cannot_hold(tmp_path: Path, tracker_home: Path) -> None:
    """``interval = 1e20`` used to pass the check and kill ``tracker run`` with an OverflowError."""
    watched = tmp_path / "drop"
    watched.mkdir()
    path = write(tmp_path, FOLDER_SOURCE.format(path=watched, interval="1e20"))
    for args in (["config", "check", "--config", str(path)], ["run", "--config", str(path)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "sources[1].interval = 1e+20: expected at most 365 days" in result.stderr

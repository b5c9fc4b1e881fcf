"""``tracker hits list|show`` and removing a leak that has hits."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import SyntheticLeak

MASKED = re.compile(r"^\S\** \(\d+\)$")


@pytest.fixture
def scanned(cli, synthetic_leak: SyntheticLeak, tmp_path: Path) -> SyntheticLeak:  # type: ignore[no-untyped-def]
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    synthetic_leak.repost_csv(tmp_path / "one.csv", [0, 1])
    synthetic_leak.repost_html(tmp_path / "two.html", [30])
    result = cli("scan", tmp_path / "one.csv", tmp_path / "two.html", "--json")
    assert result.exit_code == 0, result.stderr
    return synthetic_leak


def test_list_and_filters(cli, scanned: SyntheticLeak, db_url: str) -> None:
    hits = [json.loads(line) for line in cli("hits", "list", "--json").stdout.splitlines()]
    assert [Path(h["source"]).name for h in hits] == ["two.html", "one.csv"]  # newest first
    assert {h["leak"] for h in hits} == {"demo"} and {h["status"] for h in hits} == {"new"}
    assert hits[1]["records"] == [1, 2] and hits[1]["n_records"] == 2
    assert "records_detail" not in hits[0]
    assert cli("hits", "list", "--json", "--status", "dismissed").stdout == ""
    assert len(cli("hits", "list", "--json", "--limit", "1").stdout.splitlines()) == 1
    assert cli("hits", "list", "--leak", "nope").exit_code == 2
    table = cli("hits", "list")
    assert table.exit_code == 0 and "two.html" in table.stdout


def test_show_has_masked_evidence_only(cli, scanned: SyntheticLeak) -> None:
    hit_id = json.loads(cli("hits", "list", "--json").stdout.splitlines()[-1])["id"]
    shown = cli("hits", "show", str(hit_id), "--json")
    assert shown.exit_code == 0, shown.stderr
    hit = json.loads(shown.stdout)
    assert [r["id"] for r in hit["records_detail"]] == [1, 2]
    for record in hit["records_detail"]:
        assert record["evidence"], record
        assert all(MASKED.match(v) for v in record["evidence"].values()), record["evidence"]
        assert all(isinstance(v, float | int) for v in record["fields"].values())
    person = scanned.people[0]
    evidence = hit["records_detail"][0]["evidence"]
    assert evidence["Last Name"][0].casefold() == person.last_name[0].casefold()
    assert evidence["Last Name"].endswith(f"({len(person.last_name)})")
    table = cli("hits", "show", str(hit_id))
    assert table.exit_code == 0 and "evidence (masked)" in table.stdout
    assert person.last_name not in table.stdout and person.a_number not in table.stdout


def test_show_unknown_hit(cli, scanned: SyntheticLeak) -> None:
    result = cli("hits", "show", "9999")
    assert result.exit_code == 2 and "no hit with id 9999" in result.stderr


def test_remove_leak_with_hits_needs_force(cli, scanned: SyntheticLeak, tracker_home: Path) -> None:
    refused = cli("leak", "remove", "demo")
    assert refused.exit_code == 2 and "has 2 hit(s)" in refused.stderr and "--force" in refused.stderr
    assert len(cli("hits", "list", "--json").stdout.splitlines()) == 2
    forced = cli("leak", "remove", "demo", "--force")
    assert forced.exit_code == 0 and "and 2 hit(s)" in forced.stdout
    assert cli("hits", "list", "--json").stdout == ""
    assert list((tracker_home / "indexes").iterdir()) == []


def test_show_includes_the_hits_audit_history(cli, scanned: SyntheticLeak) -> None:
    hit_id = json.loads(cli("hits", "list", "--json").stdout.splitlines()[-1])["id"]
    assert json.loads(cli("hits", "show", str(hit_id), "--json").stdout)["history"] == []
    confirmed = cli("hits", "confirm", str(hit_id), "--by", "analyst-a", "--reason", "rows match the list")
    assert confirmed.exit_code == 0, confirmed.stderr
    history = json.loads(cli("hits", "show", str(hit_id), "--json").stdout)["history"]
    assert [(e["actor"], e["action"], e["from"], e["to"], e["reason"]) for e in history] == [
        ("analyst-a", "transition", "new", "confirmed", "rows match the list")]
    table = cli("hits", "show", str(hit_id))
    assert "history" in table.stdout and "analyst-a" in table.stdout and "confirmed" in table.stdout

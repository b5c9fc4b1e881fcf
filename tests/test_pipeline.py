"""The scan pipeline against real leaks, a real database, real files and a local web server."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from conftest import SyntheticLeak, make_synthetic_leak
from fingerprints.keyed import Keyer
from sources.http import HttpSettings
from tracker import leaks, store
from tracker.db import session_scope
from tracker.errors import ConfigError, StorageError
from tracker.fetch import UrlFetcher, is_url
from tracker.models import Document, Hit, Leak, ScanError
from tracker.pipeline import Scanner, _masked, _numbers_only, iter_files
from tracker.settings import Settings

KEY = bytes(range(32))


@pytest.fixture
def settings(tracker_home: Path) -> Settings:
    return Settings.from_env()


def _register(engine: Engine, settings: Settings, leak: SyntheticLeak, name: str = "demo",
              key: bytes = KEY) -> Leak:
    return leaks.add_leak(engine, settings, Keyer(key), leak.path, name).leak


def _scanner(engine: Engine, settings: Settings, names: list[str] | None = None, key: bytes = KEY,
             **kw: object) -> Scanner:
    with session_scope(engine) as s:
        rows = [store.require_leak(s, n) for n in names] if names else store.list_leaks(s)
    return Scanner(engine, rows, Keyer(key), settings=settings, **kw)  # type: ignore[arg-type]


def test_scan_bytes_gives_one_result_per_leak_and_stores_the_hit(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path, db_url: str) -> None:
    _register(engine, settings, synthetic_leak, "demo")
    other = make_synthetic_leak(tmp_path / "other.csv", n=15, seed=3)
    _register(engine, settings, other, "other")
    repost = synthetic_leak.repost_csv(tmp_path / "repost.csv", [0, 4, 7])
    scanner = _scanner(engine, settings)

    results = scanner.scan_bytes("https://paste.example/abc", repost.read_bytes(), "text/plain")

    by_leak = {r.leak: r for r in results}
    assert set(by_leak) == {"demo", "other"}
    assert by_leak["demo"].verdict == "hit" and by_leak["demo"].records == [1, 5, 8]
    assert by_leak["demo"].new_hit and by_leak["demo"].hit_id is not None
    assert by_leak["other"].verdict == "clean" and by_leak["other"].records == []
    with session_scope(engine) as s:
        [(hit, leak, document)] = store.list_hits(s)
    assert leak.name == "demo" and hit.record_ids == [1, 5, 8] and hit.n_records == 3
    assert document.source == "https://paste.example/abc" and document.kind is not None
    assert [d["id"] for d in hit.records_detail] == [1, 5, 8]
    # how sure: far fewer than the 3 records expected by chance, among the rows compared
    assert hit.expected_chance is not None and 0 <= hit.expected_chance < 0.01
    assert hit.rows_compared is not None and hit.rows_compared >= 3
    assert by_leak["demo"].to_json()["expected_chance"] == hit.expected_chance
    for detail in hit.records_detail:
        assert detail["evidence"] and all(_masked(v) == v for v in detail["evidence"].values())
        assert all(isinstance(v, float | int) for v in detail["fields"].values())
        assert detail["namesakes"] == 1  # each row's own ID: no other record fits it


def test_rescan_updates_last_seen_without_duplicates(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path, db_url: str) -> None:
    _register(engine, settings, synthetic_leak)
    repost = synthetic_leak.repost_html(tmp_path / "r.html", [2, 3])
    scanner = _scanner(engine, settings)
    [first] = scanner.scan_file(repost)
    [second] = scanner.scan_file(repost)
    assert first.verdict == second.verdict == "hit"
    assert first.new_hit and not second.new_hit and first.hit_id == second.hit_id
    with session_scope(engine) as s:
        [document] = s.exec(select(Document)).all()
        assert len(s.exec(select(Hit)).all()) == 1
    assert document.last_seen > document.first_seen
    assert document.source == str(repost.absolute())


def test_bad_documents_give_error_results_and_the_run_goes_on(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    _register(engine, settings, synthetic_leak)
    folder = tmp_path / "docs"
    (folder / "b").mkdir(parents=True)
    synthetic_leak.repost_csv(folder / "b" / "hit.csv", [1, 2])
    (folder / "a.bin").write_bytes(b"\x00\x01\x02\x03\xff" * 200)
    (folder / "c.txt").write_text("nothing to see here\n")
    results = list(_scanner(engine, settings).scan_path(folder))
    assert [(Path(r.source).name, r.verdict) for r in results] == [
        ("a.bin", "error"), ("hit.csv", "hit"), ("c.txt", "clean")]
    assert results[0].error and results[0].sha256 is not None
    with session_scope(engine) as s:
        [error] = s.exec(select(ScanError)).all()
        assert error.source.endswith("a.bin")
        # only the document with a hit is stored: errored and clean documents leave no row
        assert [Path(d.source).name for d in s.exec(select(Document)).all()] == ["hit.csv"]


def test_a_container_with_an_unreadable_part_is_an_error_unless_it_hits(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    """What could not be read may hold the records: a zip whose readable member is clean and
    whose other member is an image is an error, never clean; with leaked rows it is a hit."""
    import io
    import zipfile

    _register(engine, settings, synthetic_leak)
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)

    def zipped(csv_bytes: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("rows.csv", csv_bytes)
            z.writestr("screenshot.png", png)
        return buf.getvalue()

    scanner = _scanner(engine, settings)
    [clean] = scanner.scan_bytes("mixed.zip", zipped(b"name,city\nnobody,nowhere\n"))
    assert clean.verdict == "error" and clean.error and "screenshot.png" in clean.error
    leaked = synthetic_leak.repost_csv(tmp_path / "r.csv", [1, 2, 3]).read_bytes()
    [hit] = scanner.scan_bytes("leaked.zip", zipped(leaked))
    assert hit.verdict == "hit" and hit.records == [2, 3, 4]


def test_unreadable_file_is_an_error_result(engine: Engine, settings: Settings,
                                            synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    _register(engine, settings, synthetic_leak)
    [result] = _scanner(engine, settings).scan_file(tmp_path / "missing.txt")
    assert result.verdict == "error" and "cannot read" in (result.error or "") and result.sha256 is None


def test_scan_url_through_the_guarded_client(engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak,
                                             web_root: tuple[Path, str]) -> None:
    root, base = web_root
    _register(engine, settings, synthetic_leak)
    synthetic_leak.repost_html(root / "page.html", [5, 6, 7])
    with UrlFetcher(HttpSettings(allow_private_addresses=True, per_host_delay=0, retries=0)) as fetcher:
        scanner = _scanner(engine, settings, fetcher=fetcher)
        [hit] = scanner.scan_url(f"{base}/page.html")
        [missing] = scanner.scan_url(f"{base}/nothing-here.html")
    assert hit.verdict == "hit" and hit.records == [6, 7, 8] and hit.source == f"{base}/page.html"
    assert missing.verdict == "error" and "404" in (missing.error or "")


def test_private_addresses_are_refused_by_default(engine: Engine, settings: Settings,
                                                  synthetic_leak: SyntheticLeak, web_root: tuple[Path, str]) -> None:
    root, base = web_root
    _register(engine, settings, synthetic_leak)
    (root / "x.txt").write_text("hello")
    with _scanner(engine, settings) as scanner:
        [result] = scanner.scan_url(f"{base}/x.txt")
    assert result.verdict == "error" and "refused" in (result.error or "")


def test_another_key_is_refused(engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak) -> None:
    _register(engine, settings, synthetic_leak)
    with pytest.raises(ConfigError, match="another key"):
        _scanner(engine, settings, key=bytes(32))


def test_damaged_index_is_refused(engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak) -> None:
    leak = _register(engine, settings, synthetic_leak)
    path = settings.home / leak.index_path
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(StorageError, match="damaged"):
        _scanner(engine, settings)


def test_evidence_and_fields_are_sanitized() -> None:
    assert _masked("M****** (7)") == "M****** (7)"
    assert _masked("Mustermann") == "M********* (10)"
    assert _masked("1987-03-02") == "1********* (10)"
    assert _numbers_only({"Last Name": {"records": 2, "similarity": 0.9, "value": "Smith"}, "x": "y",
                          "ids": [1, "a", 2.5]}) == {"Last Name": {"records": 2, "similarity": 0.9},
                                                     "ids": [1, 2.5]}


def test_iter_files_is_sorted_and_recursive(tmp_path: Path) -> None:
    for name in ["b/2.txt", "a/z.txt", "a/y/1.txt", "c.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)] == [
        "a/y/1.txt", "a/z.txt", "b/2.txt", "c.txt"]
    assert list(iter_files(tmp_path / "c.txt")) == [tmp_path / "c.txt"]


def test_is_url() -> None:
    assert is_url("https://example.org/x") and is_url("HTTP://example.org")
    assert not is_url("/tmp/file") and not is_url("ftp://example.org/x") and not is_url("http:/x")


def test_a_crash_inside_extraction_is_an_error_result_without_its_message(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.analysis

    def crash(*args: object, **kwargs: object) -> None:
        raise ValueError("Zvaikvo 02.03.1987")

    _register(engine, settings, synthetic_leak)
    monkeypatch.setattr(tracker.analysis, "extract", crash)
    [result] = _scanner(engine, settings).scan_bytes("doc", b"%PDF-1.4 a document only the extractor reads")
    assert result.verdict == "error" and result.error == "internal error while reading the document (ValueError)"


def test_hits_carry_a_keyed_sketch_that_groups_edited_mirrors(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    """The pipeline keeps a keyed sketch of each hit document; two edited copies land in one incident."""
    from tracker.workflow.incidents import DocumentSketch
    from tracker.workflow.triage import confirm_hit
    from workflow_support import workflow_settings

    _register(engine, settings, synthetic_leak)
    chatter = "\n".join(f"note {i}: the list was copied from the agency site again" for i in range(60))
    first = synthetic_leak.repost_csv(tmp_path / "a.csv", range(0, 12)).read_text(encoding="utf-8") + chatter
    # the mirror drops the first row and adds another: other records, nearly the same text
    edited = synthetic_leak.repost_csv(tmp_path / "b.csv", range(1, 13)).read_text(encoding="utf-8") + chatter
    scanner = _scanner(engine, settings)
    [a] = scanner.scan_bytes("https://paste.example/a", first.encode(), "text/plain")
    [b] = scanner.scan_bytes("https://mirror.example/b", edited.encode(), "text/plain")
    clean = scanner.scan_bytes("https://paste.example/c", chatter.encode(), "text/plain")
    assert a.verdict == b.verdict == "hit" and [r.verdict for r in clean] == ["clean"]
    with session_scope(engine) as s:
        sketched = {row.document_id for row in s.exec(select(DocumentSketch)).all()}
        hits = {h.id: h for h, _, _ in store.list_hits(s)}
        assert sketched == {hits[a.hit_id].document_id, hits[b.hit_id].document_id}
        ra = confirm_hit(s, a.hit_id, actor="ana", settings=workflow_settings())
        rb = confirm_hit(s, b.hit_id, actor="ana", settings=workflow_settings())
        assert ra.incident.id == rb.incident.id and len({ra.location.id, rb.location.id}) == 2
        assert rb.location.linked_by == "near_duplicate"

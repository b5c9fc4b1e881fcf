"""Exceptions are written by structure only: class and position, never a library's message.

A parser's message quotes the document it failed on, so it must not reach a log line, a
traceback, stderr or a stored error. Every "document" here is made of invented values.
"""
from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tracker.errors import ExtractionError
from tracker.extract import extract
from tracker.extract.messages import reason
from tracker.logging import OwnRecords, RedactingFormatter, configure_logging
from tracker.redact import describe, format_exception, is_own, position, summary

SECRET = "ZVAIKOUR KSELAN 1987-04-12 A123456789"


def _raised(action: object) -> BaseException:
    try:
        action()  # type: ignore[operator]
    except BaseException as exc:  # noqa: BLE001 - the test inspects whatever it raised
        return exc
    raise AssertionError("nothing was raised")


def test_a_foreign_exception_is_its_class_and_position() -> None:
    decoded = _raised(lambda: json.loads('{"name": "' + SECRET + '" x}'))
    assert summary(decoded) == "JSONDecodeError at line 1, column 50 (char 49)"
    parsed = _raised(lambda: ElementTree.fromstring(f"<row>\n<{SECRET.split()[0]}></row>"))
    assert summary(parsed) == "ParseError at line 2, column 12"
    assert summary(_raised(lambda: b"ok \xff".decode("utf-8"))) == "UnicodeDecodeError at byte 3"
    assert summary(_raised(lambda: int(SECRET))) == "ValueError"
    assert summary(_raised(lambda: Path(f"/nonexistent/{SECRET}").read_bytes())) == "FileNotFoundError [ENOENT]"
    assert position(ValueError(SECRET)) == ""


def test_our_own_exceptions_keep_their_messages() -> None:
    own = ExtractionError("cannot read PDF (x.pdf): PdfReadError")
    assert is_own(own) and describe(own) == "ExtractionError: cannot read PDF (x.pdf): PdfReadError"
    assert not is_own(ValueError(SECRET)) and describe(ValueError(SECRET)) == "ValueError"
    assert reason(KeyError(SECRET)) == "KeyError"


def _chained() -> BaseException:
    def inner() -> None:
        int(SECRET)

    def outer() -> None:
        try:
            inner()
        except ValueError as exc:
            raise ExtractionError("cannot read PDF (x.pdf): ValueError") from exc

    return _raised(outer)


def test_a_traceback_shows_our_frames_and_no_foreign_message() -> None:
    text = format_exception(_chained())
    assert SECRET not in text and "ZVAIKOUR" not in text
    assert "Traceback (most recent call last):" in text
    assert "ValueError\n\nThe above exception was the direct cause" in text
    assert text.endswith("tracker.errors.ExtractionError: cannot read PDF (x.pdf): ValueError\n")
    damaged = _raised(lambda: extract(b"PK\x03\x04" + SECRET.encode(), "x.zip"))
    text = format_exception(damaged)
    assert 'tracker/extract/detect.py", line' in text and "in zip_kind\n    with zipfile.ZipFile(" in text
    assert SECRET not in text and text.endswith("ExtractionError: corrupt zip archive (x.zip): BadZipFile\n")


def test_library_frames_are_counted_not_shown() -> None:
    text = format_exception(_raised(lambda: zipfile.ZipFile(io.BytesIO(b"PK\x03\x04" + SECRET.encode()))))
    assert "library frame" in text and "zipfile" in text and SECRET not in text
    assert 'File "' not in text.split("library frame")[1]


@pytest.fixture
def records() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose one handler formats and filters the way the tracker's handlers do."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OwnRecords())
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield logging.getLogger("tracker.test"), stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def test_log_records_are_redacted(records: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = records
    exc = _chained()
    log.debug("scan failed", exc_info=exc)
    log.warning("skipped: %s", ValueError(SECRET))
    log.warning("skipped: %(why)s", {"why": KeyError(SECRET)})
    log.info("kept: %s", ExtractionError("unsupported format: image/png (a.png)"))
    written = stream.getvalue()
    assert SECRET not in written and "ZVAIKOUR" not in written
    assert "skipped: ValueError\n" in written and "skipped: KeyError\n" in written
    assert "kept: unsupported format: image/png (a.png)" in written


def test_a_traceback_cached_by_another_handler_is_not_reused(records: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = records
    record = log.makeRecord("tracker.test", logging.ERROR, __file__, 1, "failed", (), (ValueError, ValueError(SECRET),
                                                                                       None))
    record.exc_text = f"ValueError: {SECRET}"  # what a plain Formatter leaves on the record
    logging.getLogger().handle(record)
    assert SECRET not in stream.getvalue() and record.exc_text == f"ValueError: {SECRET}"


def test_third_party_records_are_dropped(records: tuple[logging.Logger, io.StringIO]) -> None:
    _, stream = records
    for name in ("pypdf._reader", "fontTools.ttLib", "charset_normalizer", "openpyxl.reader", "root"):
        logging.getLogger(name).error("document string %s", SECRET)
    logging.getLogger("httpx").warning("HTTP Request: GET https://paste.example/1")
    logging.getLogger("sources").warning("source s: skipped an item")
    written = stream.getvalue()
    assert SECRET not in written
    assert "HTTP Request" in written and "skipped an item" in written


def test_configured_handlers_redact_and_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_file = tmp_path / "scan.log"
    configure_logging(logging.DEBUG, log_file)
    try:
        try:
            extract(b"%PDF-1.4\nstartxref\n" + SECRET.encode() + b"\n%%EOF", "bad.pdf")
        except ExtractionError as exc:
            logging.getLogger("tracker.pipeline").debug("scan failed", exc_info=exc)
        logging.getLogger("fontTools.subset").debug("glyph %s", SECRET)
    finally:
        configure_logging(logging.WARNING)
    assert "scan failed" in log_file.read_text()
    for written in (log_file.read_text(), capsys.readouterr().err):
        assert SECRET not in written and "ZVAIKOUR" not in written


def test_response_headers_a_server_chose_never_reach_the_log(records: tuple[logging.Logger, io.StringIO]) -> None:
    """httpcore's DEBUG trace repeats response headers; a hostile server can put anything there
    (here a leaked-looking value in Content-Disposition and Location). Those records are dropped."""
    import http.server
    import threading

    from sources.http import build_client
    from sources_testserver import test_settings

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = b"nothing here\n"
            self.send_response(200)
            self.send_header("Content-Disposition", f'attachment; filename="{SECRET}.csv"')
            self.send_header("X-Next", f"/people/{SECRET}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        logging.getLogger("httpcore").setLevel(logging.DEBUG)
        with build_client(test_settings()) as client:
            assert client.fetch(f"http://127.0.0.1:{server.server_address[1]}/x").content == b"nothing here\n"
    finally:
        server.shutdown()
    written = records[1].getvalue()
    assert SECRET not in written

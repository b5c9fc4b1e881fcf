"""Every file extension the scanner recognises, walked from detect.py's own table.

For each one, through the real ``Scanner`` (compiled gate on where it is built): a small valid
document of that format holding leaked rows is a hit, and garbled bytes under that extension
are an ``error``, never ``clean``. A format that nothing installed here can write is skipped
with the reason named.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import random
import tarfile
from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape

import openpyxl
import pytest
from fpdf import FPDF

from conftest import TRACKER_ENV, SyntheticLeak, make_synthetic_leak
from extract_support import docx_bytes, mail, ods_bytes, odt_bytes, w_table, zip_bytes
from fingerprints.keyed import Keyer
from tracker import leaks, store
from tracker.db import open_database, session_scope
from tracker.extract import extract
from tracker.extract.detect import BINARY_EXTENSIONS, EXTENSION_KINDS, TEXT_EXTENSIONS, declared_kind, meant_kind
from tracker.pipeline import Scanner
from tracker.settings import Settings

KEY = bytes(range(32))
INDICES = [2, 5, 9]  # leaked rows put in every document: records 3, 6 and 10
CANNOT_WRITE = {
    "xls": "nothing installed here writes the legacy Excel format (no xlwt; openpyxl and calamine cannot)",
    "xlsb": "nothing installed here writes Excel binary workbooks (openpyxl and calamine cannot)",
}

Rows = list[list[str]]


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scanner, SyntheticLeak]]:
    """One registered synthetic leak and a scanner over it, shared by every extension."""
    root = tmp_path_factory.mktemp("formats")
    home = root / "home"
    home.mkdir(mode=0o700)
    with pytest.MonkeyPatch.context() as env:
        for name in TRACKER_ENV:
            env.delenv(name, raising=False)
        env.setenv("TRACKER_HOME", str(home))
        env.setenv("TRACKER_DATABASE_URL", f"sqlite:///{home / 'tracker.sqlite3'}")
        settings = Settings.from_env()
        engine = open_database(os.environ["TRACKER_DATABASE_URL"])
        leak = make_synthetic_leak(root / "leak.csv")
        leaks.add_leak(engine, settings, Keyer(KEY), leak.path, "demo")
        with session_scope(engine) as session:
            registered = store.list_leaks(session)
        try:
            yield Scanner(engine, registered, Keyer(KEY), settings=settings), leak
        finally:
            engine.dispose()


# --- one writer per kind (the extension picks a variant) -------------------------------------

def _delimited(rows: Rows, ext: str) -> bytes:
    delimiter = {"tsv": "\t", "tab": "\t", "psv": "|"}.get(ext, ",")
    return "".join(delimiter.join(row) + "\r\n" for row in rows).encode()


def _csv(rows: Rows) -> bytes:
    return _delimited(rows, "csv")


def _html(rows: Rows, ext: str) -> bytes:
    cells = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    doctype = '<?xml version="1.0"?>\n<!DOCTYPE html>\n' if ext == "xhtml" else "<!DOCTYPE html>\n"
    return f'{doctype}<html><body><h1>list</h1><table>{cells}</table></body></html>'.encode()


def _json(rows: Rows, ext: str) -> bytes:
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    if ext in ("jsonl", "ndjson"):
        return "".join(json.dumps(record) + "\n" for record in records).encode()
    if ext == "geojson":
        return json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": None, "properties": record} for record in records]}).encode()
    return json.dumps(records).encode()


def _xml(rows: Rows, ext: str) -> bytes:
    def fields(row: list[str]) -> str:
        return "".join(f"<f{i}>{escape(cell)}</f{i}>" for i, cell in enumerate(row))

    if ext == "rss":
        items = "".join(f"<item><title>{escape(' '.join(row[:2]))}</title><description>"
                        f"{escape(' '.join(row[2:]))}</description></item>" for row in rows[1:])
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>list</title>{items}</channel></rss>'.encode()
    if ext == "atom":
        entries = "".join(f"<entry><title>{escape(' '.join(row[:2]))}</title><summary>"
                          f"{escape(' '.join(row[2:]))}</summary></entry>" for row in rows[1:])
        return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'.encode()
    return ('<?xml version="1.0" encoding="UTF-8"?><people>'
            + "".join(f"<person>{fields(row)}</person>" for row in rows[1:]) + "</people>").encode()


def _message(rows: Rows, ext: str) -> bytes:
    if ext in ("mht", "mhtml"):
        page = _html(rows, "html").decode()
        return ("From: <Saved by Blink>\nSnapshot-Content-Location: https://example.org/list\nSubject: list\n"
                "MIME-Version: 1.0\nContent-Type: multipart/related; type=\"text/html\"; boundary=\"--B\"\n\n"
                "----B\nContent-Type: text/html\nContent-Location: https://example.org/list\n\n"
                f"{page}\n----B--\n").encode()
    message = mail(attachments=[("export.csv", _csv(rows), "text/csv")]).as_bytes()
    if ext == "emlx":
        return f"{len(message)}\n".encode() + message + b'<?xml version="1.0"?>\n<plist version="1.0"><dict/></plist>\n'
    if ext in ("mbox", "mbx"):
        return (b"From sender@example.org Mon Feb  5 10:00:00 2024\n" + mail(body="first\n").as_bytes()
                + b"\nFrom sender@example.org Mon Feb  5 10:01:00 2024\n" + message + b"\n")
    return message


def _xlsx(rows: Rows, ext: str) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ods(rows: Rows, ext: str) -> bytes:
    return ods_bytes({"People": [list(row) for row in rows]})


def _docx(rows: Rows, ext: str) -> bytes:
    return docx_bytes(w_table(rows))


def _odt(rows: Rows, ext: str) -> bytes:
    cells = "".join("<table:table-row>" + "".join(f"<table:table-cell><text:p>{escape(cell)}</text:p>"
                                                  "</table:table-cell>" for cell in row) + "</table:table-row>"
                    for row in rows)
    return odt_bytes(f'<text:p>list</text:p><table:table table:name="T">{cells}</table:table>')


def _pdf(rows: Rows, ext: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    for row in rows:
        pdf.cell(text="   ".join(row), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for path, content in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _archive(rows: Rows, ext: str) -> bytes:
    members = {"list/people.csv": _csv(rows)}
    packed: dict[str, Callable[[], bytes]] = {
        "zip": lambda: zip_bytes(members),
        "tar": lambda: _tar(members),
        "tgz": lambda: _tar(members, "w:gz"), "tbz": lambda: _tar(members, "w:bz2"),
        "tbz2": lambda: _tar(members, "w:bz2"), "txz": lambda: _tar(members, "w:xz"),
        "gz": lambda: gzip.compress(_csv(rows)), "gzip": lambda: gzip.compress(_csv(rows)),
        "bz2": lambda: bz2.compress(_csv(rows)), "xz": lambda: lzma.compress(_csv(rows)),
    }
    return packed[ext]()


WRITERS: dict[str, Callable[[Rows, str], bytes]] = {
    "csv": _delimited, "html": _html, "json": _json, "xml": _xml, "eml": _message, "mbox": _message,
    "xlsx": _xlsx, "ods": _ods, "docx": _docx, "odt": _odt, "pdf": _pdf,
    "zip": _archive, "tar": _archive, "gzip": _archive, "bz2": _archive, "xz": _archive,
}
EXTENSIONS = sorted(EXTENSION_KINDS)


def test_every_kind_the_table_names_has_a_writer_or_a_reason() -> None:
    unwritable = {EXTENSION_KINDS[ext] for ext in CANNOT_WRITE}
    assert set(EXTENSION_KINDS.values()) - unwritable <= set(WRITERS)
    assert set(CANNOT_WRITE) <= set(EXTENSION_KINDS)


def _rows(leak: SyntheticLeak) -> Rows:
    return [list(leak.header)] + [leak.row(leak.people[i]) for i in INDICES]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_valid_document_with_leaked_rows_is_a_hit(scan: tuple[Scanner, SyntheticLeak], ext: str) -> None:
    if ext in CANNOT_WRITE:
        pytest.skip(CANNOT_WRITE[ext])
    scanner, leak = scan
    kind = EXTENSION_KINDS[ext]
    data = WRITERS[kind](_rows(leak), ext)
    name = f"posted.{ext}"
    assert extract(data, name).kind == kind
    [result] = scanner.scan_bytes(f"https://paste.example/{name}", data, name=name)
    assert (result.verdict, result.records, result.error) == ("hit", [i + 1 for i in INDICES], None)


def _garbled(ext: str, leak: SyntheticLeak, variant: str) -> bytes:
    noise = random.Random(f"{ext}-{variant}").randbytes(3000)
    if variant == "noise":
        return noise
    kind = EXTENSION_KINDS[ext]
    if ext in CANNOT_WRITE:  # their magic bytes, then noise
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise if kind == "xls" else b"PK\x03\x04" + noise
    valid = WRITERS[kind](_rows(leak), ext)
    return valid[:16] + noise  # the format's own opening (magic, header lines), then noise


@pytest.mark.parametrize("variant", ["noise", "valid-start"])
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_garbled_bytes_are_an_error_never_clean(scan: tuple[Scanner, SyntheticLeak], ext: str,
                                                variant: str) -> None:
    scanner, leak = scan
    name = f"broken.{ext}"
    [result] = scanner.scan_bytes(f"/data/{name}", _garbled(ext, leak, variant), name=name)
    assert result.verdict == "error", result
    assert result.error and not any(value in result.error for value in leak.leaked_strings())


def test_the_walk_covers_the_table() -> None:
    """The table this walk reads is the one the extractor uses: every extension in it is declared
    (text kinds and messages) or names the kind a damaged file was meant to be (binary kinds)."""
    assert EXTENSION_KINDS == {**TEXT_EXTENSIONS, **BINARY_EXTENSIONS}
    assert all(declared_kind(f"x.{ext}", None) == kind for ext, kind in TEXT_EXTENSIONS.items())
    assert all(meant_kind(f"x.{ext}") == kind and declared_kind(f"x.{ext}", None) is None
               for ext, kind in BINARY_EXTENSIONS.items())
    assert declared_kind("x.txt", None) is None and meant_kind("x.7z") is None

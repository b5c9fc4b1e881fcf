"""Damaged documents full of leaked values cannot make the tracker write one: not in stdout,
stderr or the debug log.

Parsers quote the input they fail on (pypdf's ``invalid literal for int() with base 10:
b'NAME'``, a calamine error naming a cell, defusedxml naming a DTD), and at DEBUG their own
loggers write document strings. The corpus here is made to provoke exactly that, in every
format the scanner reads: documents built from the leak's rows (``tracker.synth``), broken by
the fuzz mutations (``fuzz_support``: bit flips, truncation, splices, repeated chunks,
nesting) and by hand where a parser is known to quote (a name where a number must be, as a
tag, a cell reference, a DTD, a sheet name). ``tracker -vv --log-file LOG scan DIR`` then runs
as a real subprocess, twice (table and JSON output), and every leaked value
(``fingerprints_support.leaked_strings``: name parts, dates in many formats, IDs) is looked
for in everything it wrote; the shared ``privacy_check.py`` is run over the same output when
it is next to this checkout.

File and member names in the corpus are neutral: sources (paths, URLs) and member paths are
named in messages by design; only document content is under test here.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from fingerprints_support import leaked_strings, plaintext_in_text
from format_writers import WRITERS
from fuzz_support import WRAPS, mutate, mutate_member, nest, random_ops, seed_rows, seeds

from tracker.synth.leak import leak_people, write_leak_csv
from tracker.synth.people import Person

PRIVACY_CHECK = Path(__file__).resolve().parents[2] / "shared" / "bench" / "privacy_check.py"
LEAK_SIZE, LEAK_SEED = 40, 29
SEEDS_PER_KIND, MUTANTS_PER_SEED = 2, 3
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)


def _rezip(data: bytes, edits: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """The zip-based file ``data`` with some members rewritten (deflated, in the same order)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, edits[name](content) if name in edits else content)
    return buffer.getvalue()


def _bait(people: list[Person], rows: list[list[str]]) -> dict[str, bytes]:
    """Documents damaged where a parser's message (or its debug log) quotes what it found there."""
    first, second = people[0], people[1]
    name, other = first.last.encode(), first.first.encode()
    number, born = first.a_number.encode(), first.dob.strftime("%m/%d/%Y").encode()
    pdf = WRITERS["pdf"]([[cell.encode("latin-1", "replace").decode("latin-1") for cell in row] for row in rows], "pdf")
    xlsx = WRITERS["xlsx"](rows, "xlsx")
    docx = WRITERS["docx"](rows, "docx")
    ods = WRITERS["ods"](rows, "ods")
    xls = WRITERS["xls"](rows, "xls")
    mail = WRITERS["eml"](rows, "eml")
    xlsb = WRITERS["xlsb"](rows, "xlsb")
    bait = {
        # pypdf: "invalid literal for int() with base 10: b'NAME'", where startxref's offset should be
        "bait-startxref.pdf": pdf[:pdf.rindex(b"startxref")] + b"startxref\n" + name + b" " + number + b"\n%%EOF\n",
        "bait-xref.pdf": pdf.replace(b"xref\n", b"xref\n" + name + b" " + born + b"\n", 1),
        "bait-object.pdf": pdf.replace(b" 0 obj", b" 0 obj /" + name + b" (" + other + b") " + number, 2),
        "bait-trailer.pdf": pdf.replace(b"trailer", b"trailer << /Root " + name + b" 0 R /Info (" + other + b") >>", 1),
        "bait-cell-value.xlsx": _rezip(xlsx, {"xl/worksheets/sheet1.xml": lambda xml: re.sub(
            rb"<v>\d+</v>", b"<v>" + name + b"</v>", xml, count=3)}),
        "bait-cell-ref.xlsx": _rezip(xlsx, {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
            b'r="A2"', b'r="' + name + b'"', 1).replace(b'r="B2"', b'r="' + number + b'"', 1)}),
        "bait-tags.xlsx": _rezip(xlsx, {"xl/sharedStrings.xml": lambda xml: xml.replace(
            b"</si>", b"</" + name + b"></si>", 1)}),
        "bait-dtd.docx": _rezip(docx, {"word/document.xml": lambda xml: xml.replace(
            b"?>", b"?><!DOCTYPE " + name + b' SYSTEM "' + other + b'.dtd">', 1)}),
        # ElementTree: "unknown encoding: NAME", unquoted
        "bait-encoding.docx": _rezip(docx, {"word/document.xml": lambda xml: xml.replace(
            b'encoding="UTF-8"', b'encoding="' + name + b"-" + number + b'"', 1)}),
        "bait-encoding.odt": _rezip(WRITERS["odt"](rows, "odt"), {"content.xml": lambda xml: xml.replace(
            b'encoding="UTF-8"', b'encoding="' + other + b"-" + born.replace(b"/", b"-") + b'"', 1)}),
        "bait-tags.docx": _rezip(docx, {"word/document.xml": lambda xml: xml.replace(
            b"</w:t>", b"</" + name + b">", 1)}),
        "bait-value.ods": _rezip(ods, {"content.xml": lambda xml: xml.replace(
            b"<table:table-cell", b'<table:table-cell office:value-type="float" office:value="' + name + b'"', 2)}),
        # calamine: "Unrecognized BoundSheet8:dt: xl/NAME/NAME.bin", the sheet's path unquoted
        "bait-sheet-path.xlsb": _rezip(xlsb, {"xl/_rels/workbook.bin.rels": lambda xml: xml.replace(
            b"worksheets/sheet1.bin", name + b"/" + other + b" " + born.replace(b"/", b"-") + b".bin")}),
        "bait-tags.xml": b"<?xml version='1.0'?><people><" + name + b">" + other + b"</" + number + b"></people>",
        "bait-json.json": b'{"' + name + b'": ' + other + b", " + born + b"}",
        "bait-encoded-words.eml": (b"From: =?utf-8?q?" + name + b"?= <x@example.org>\nSubject: =?bogus?b?"
                                   + other + b"?=\nContent-Type: text/plain; charset=" + name
                                   + b"\nContent-Transfer-Encoding: base64\n\n" + name + b"!!" + number + b"\n"),
        "bait-attachment.eml": mail.replace(b"Content-Transfer-Encoding: base64\n", b"Content-Transfer-Encoding: "
                                            + name + b"\nContent-Type: multipart/mixed; boundary=" + other + b"\n"),
        "bait-nul.csv": b"\n".join(b"\x00".join(cell.encode() for cell in row) for row in rows),
        "bait-field.csv": b'"' + name + b" " + number + b" " * 200_000 + b'"\n' + second.last.encode() + b"\n",
        "bait-utf16.xml": "<?xml version='1.0' encoding='ascii'?><p>".encode("utf-16")
                          + (first.last + " " + first.first).encode("utf-8") + b"\xff</p>",
    }
    six = next((p.last for p in people if len(p.last) == 6 and p.last.isascii()), None)
    if six is not None:  # the sheet's name (same length as the writer's) in a workbook cut short
        renamed = xls.replace("People".encode("utf-16-le"), six.encode("utf-16-le"))
        bait["bait-sheet-name.xls"] = renamed[:2600]
        bait["bait-sheet-offset.xls"] = renamed[:1536] + renamed[1540:]  # its first record header cut out
    return bait


def _corpus(folder: Path, people: list[Person]) -> int:
    """Write the corpus; returns how many documents it holds."""
    rows = seed_rows(people[:8])
    rng = random.Random(LEAK_SEED)
    all_seeds = seeds(rows)
    donors = [seed.data for kind_seeds in all_seeds.values() for seed in kind_seeds]
    count = 0
    for kind, kind_seeds in sorted(all_seeds.items()):
        for index, seed in enumerate(kind_seeds[:SEEDS_PER_KIND]):
            for number in range(MUTANTS_PER_SEED):
                ops = random_ops(rng, rng.randint(1, 4))
                broken = (mutate_member(seed.data, ops, donors, rng.randrange(8)) if number % 2
                          else mutate(seed.data, ops, donors))
                wraps = [rng.choice(WRAPS)] if number == MUTANTS_PER_SEED - 1 else []
                data, name = nest(broken, seed.name, wraps)
                suffix = name.rsplit(".", 1)[-1] if "." in name else "txt"
                (folder / f"{kind}-{index}-{number}.{suffix}").write_bytes(data)
                count += 1
    for name, data in _bait(people, rows).items():
        (folder / name).write_bytes(data)
        count += 1
    return count


def _holds(data: bytes, needles: re.Pattern[bytes]) -> bool:
    """Whether ``data`` (as bytes, or read as UTF-16 as xls and xlsb store text), or what a zip,
    gzip, bz2 or xz holds, has a leaked value in it."""
    pieces = [data, *(data[start:].decode("utf-16-le", "ignore").encode() for start in (0, 1))]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pieces += [archive.read(info) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error):
        pass
    for module in (gzip, bz2, lzma):
        try:
            pieces.append(module.decompress(data))  # type: ignore[attr-defined]
        except (OSError, EOFError, ValueError, lzma.LZMAError):
            pass
    return any(needles.search(piece.lower()) for piece in pieces)


def _tracker(home: Path, *args: object) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("tracker", path=str(Path(sys.executable).parent))
    assert exe, "the tracker console script is not installed in the venv"
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACKER_")}
    env.update(TRACKER_HOME=str(home), TRACKER_DATABASE_URL=f"sqlite:///{home / 'tracker.sqlite3'}")
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=300,
                          check=False)


def test_damaged_documents_leave_no_leaked_value_in_output_or_debug_log(tmp_path: Path) -> None:
    home, corpus = tmp_path / "home", tmp_path / "corpus"
    home.mkdir(mode=0o700)
    corpus.mkdir()
    leak_csv = write_leak_csv(tmp_path / "leak.csv", LEAK_SIZE, LEAK_SEED)
    people = leak_people(LEAK_SIZE, LEAK_SEED)
    documents = _corpus(corpus, people)
    needles = leaked_strings(people)

    # The corpus is the test's premise: it really holds the leaked values.
    pattern = re.compile(b"|".join(re.escape(value.lower().encode()) for value in sorted(needles, key=len, reverse=True)))
    holding = [path.name for path in corpus.iterdir() if _holds(path.read_bytes(), pattern)]
    baits = [path.name for path in corpus.iterdir() if path.name.startswith("bait-")]
    assert len(holding) > documents // 2 and set(baits) <= set(holding), (len(holding), documents, set(baits) - set(holding))

    added = _tracker(home, "leak", "add", leak_csv, "--name", "demo")
    assert added.returncode == 0, added.stderr
    outputs: list[str] = []
    for extra in (("--json",), ()):
        scanned = _tracker(home, "-vv", "--log-file", "scan.log", "scan", corpus, *extra)
        assert scanned.returncode in (0, 3), scanned.stderr[-3000:]
        assert "internal error (" not in scanned.stderr
        outputs += [scanned.stdout, scanned.stderr]
    log = (home / "scan.log").read_text(encoding="utf-8")
    # The scans did read the documents: hits, and damage reported by the extractors themselves.
    verdicts = [json.loads(line) for line in outputs[0].splitlines()]
    assert len(verdicts) == documents and sum(v["verdict"] == "hit" for v in verdicts) > documents // 4
    assert sum(v["verdict"] == "error" and v["error"].startswith(("cannot read", "corrupt", "unsupported format"))
               for v in verdicts) > documents // 4
    assert " DEBUG " in log and "cannot scan" in log

    for label, text in (("stdout", outputs[0] + outputs[2]), ("stderr", outputs[1] + outputs[3]), ("log", log)):
        found = plaintext_in_text(_TIMESTAMP.sub("", text), needles)
        assert found == [], f"leaked values in {label}: {found[:10]}"

    if PRIVACY_CHECK.is_file():
        written = tmp_path / "written"
        written.mkdir()
        for number, text in enumerate(outputs):
            (written / f"output-{number}.txt").write_text(text, encoding="utf-8")
        shutil.copy(home / "scan.log", written / "scan.log")
        control = subprocess.run([sys.executable, str(PRIVACY_CHECK), str(leak_csv), str(corpus)],
                                 capture_output=True, text=True, timeout=300, check=False)
        assert control.returncode == 1, control.stdout  # it finds the leak in the corpus itself
        checked = subprocess.run([sys.executable, str(PRIVACY_CHECK), str(leak_csv), str(written)],
                                 capture_output=True, text=True, timeout=300, check=False)
        assert checked.returncode == 0, checked.stdout
        assert "privacy: 0 leaked values found" in checked.stdout

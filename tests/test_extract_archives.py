"""Extraction of archives: members, nesting, compressed streams, and the limits that stop bombs."""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile

import openpyxl
import pytest

from extract_support import mark_encrypted, people, zip_bytes
from tracker.errors import ExtractionError, LimitExceeded, UnsupportedFormat
from tracker.extract import Extracted, Limits, Part, extract

PEOPLE = people(4, seed=11)
CSV = "first,last,dob,id\n" + "\n".join(",".join(person.cells) for person in PEOPLE) + "\n"
CSV_LINES = "\n".join("\t".join(line.split(",")) for line in CSV.strip().split("\n"))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "S1"
    workbook.active.append(["Kalo", "Mire"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], gzipped: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gzipped else "w") as archive:
        for path, content in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def nested_zip(levels: int, content: bytes = CSV.encode()) -> bytes:
    """``levels`` zips, each holding the next as ``l<n>.zip``; the innermost holds data.csv."""
    data = zip_bytes({"data.csv": content})
    for level in range(levels - 1, 0, -1):
        data = zip_bytes({f"l{level + 1}.zip": data})
    return data


def test_zip_members_each_become_parts() -> None:
    data = zip_bytes({
        "dir/people.csv": CSV,
        "page.html": "<p>Posted</p><table><tr><td>Kalo</td><td>Mire</td></tr></table>",
        "book.xlsx": xlsx_bytes(),
        "photo.png": PNG,
        "__MACOSX/dir/._people.csv": b"\x00\x05\x16\x07" + bytes(80),
        "notes.txt": "free text\r\nline two",
    })
    result = extract(data, "https://example.org/leak.zip")
    assert result == Extracted("zip", [
        Part("dir/people.csv", "csv", CSV_LINES),
        Part("page.html", "html", "Posted\nKalo\tMire"),
        Part("book.xlsx/sheet:S1", "xlsx", "Kalo\tMire"),
        Part("notes.txt", "text", "free text\nline two"),
    ], ["unsupported format: image/png (photo.png)"])


def test_nested_zip_names_carry_the_member_path() -> None:
    inner = zip_bytes({"inner/x.csv": CSV, "readme.txt": "hello"})
    result = extract(zip_bytes({"a.zip": inner, "top.txt": "top"}), "outer.zip")
    assert [(part.name, part.kind) for part in result.parts] == [
        ("a.zip/inner/x.csv", "csv"), ("a.zip/readme.txt", "text"), ("top.txt", "text")]
    assert result.parts[0].text == CSV_LINES


def test_depth_limit() -> None:
    assert extract(nested_zip(3)).parts[0].name == "l2.zip/l3.zip/data.csv"
    with pytest.raises(LimitExceeded, match=r"nested more than 3 levels deep \(max_depth\)"):
        extract(nested_zip(4))
    with pytest.raises(LimitExceeded, match="max_depth"):
        extract(nested_zip(2), limits=Limits(max_depth=1))


def test_zip_bomb_trips_the_ratio_limit() -> None:
    bomb = zip_bytes({"fine.csv": CSV, "zeros.txt": bytes(8 * 2**20)})
    assert len(bomb) < 50_000
    with pytest.raises(LimitExceeded, match=r"max_ratio.*\(zeros\.txt\)"):
        extract(bomb, "bomb.zip")
    extract(bomb, limits=Limits(max_ratio=1e9))  # the same archive is fine once the ratio allows it


def test_gzip_bomb_trips_the_ratio_limit() -> None:
    with pytest.raises(LimitExceeded, match="max_ratio"):
        extract(gzip.compress(b"a" * (8 * 2**20)), "x.txt.gz")


def test_total_bytes_limit_counts_all_members() -> None:
    member = (CSV * 2000).encode()  # ~300 kB each, compresses well under the ratio limit
    data = zip_bytes({f"m{i}.csv": member for i in range(4)})
    limits = Limits(max_total_bytes=len(data) + len(member) * 3, max_ratio=1e9)  # the archive counts too
    with pytest.raises(LimitExceeded, match=r"max_total_bytes.*\(m3\.csv\)"):
        extract(data, limits=limits)


def test_member_count_limit() -> None:
    data = zip_bytes({f"f{i}.txt": "x" for i in range(6)})
    assert len(extract(data, limits=Limits(max_members=6)).parts) == 6
    with pytest.raises(LimitExceeded, match="max_members"):
        extract(data, limits=Limits(max_members=5))


def test_bomb_inside_an_xlsx_is_caught_before_calamine() -> None:
    data = zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>",
                      "xl/worksheets/sheet1.xml": b" " * (8 * 2**20)})
    with pytest.raises(LimitExceeded, match="max_ratio"):
        extract(data, "big.xlsx")


def test_archive_with_nothing_readable_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: zip archive with no readable member "
                                                 r"\(2 could not be read\) \(pics\.zip\)$"):
        extract(zip_bytes({"a.png": PNG, "b.png": PNG}), "pics.zip")
    with pytest.raises(UnsupportedFormat, match=r"no readable member \(it holds no files\)"):
        extract(zip_bytes({"dir/": ""}), "empty.zip")
    with pytest.raises(UnsupportedFormat, match=r"\(1 could not be read\)"):
        extract(mark_encrypted(zip_bytes({"secret.csv": CSV}), "secret.csv"))


def test_unreadable_nested_archive_is_reported_and_the_rest_read() -> None:
    data = zip_bytes({"pics.zip": zip_bytes({"a.png": PNG}), "people.csv": CSV})
    result = extract(data)
    assert result.parts == [Part("people.csv", "csv", CSV_LINES)]
    assert result.errors == ["unsupported format: image/png (pics.zip/a.png)",
                             "unsupported format: zip archive with no readable member (1 could not be read) (pics.zip)"]


def test_encrypted_member_is_reported() -> None:
    data = mark_encrypted(zip_bytes({"secret.csv": CSV, "open.csv": CSV}), "secret.csv")
    result = extract(data)
    assert [part.name for part in result.parts] == ["open.csv"]
    assert result.errors == ["cannot read archive member (secret.csv): encrypted, needs a password"]


def test_member_with_bad_crc_is_reported() -> None:
    data = bytearray(zip_bytes({"bad.txt": "A" * 50, "good.txt": "fine"}, compression=zipfile.ZIP_STORED))
    data[data.index(b"A" * 50)] = ord("B")
    result = extract(bytes(data))
    assert [part.name for part in result.parts] == ["good.txt"]
    assert result.errors[0].startswith("cannot read archive member (bad.txt): BadZipFile")


def test_corrupt_zip_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match=r"corrupt zip archive \(broken\.zip\)"):
        extract(b"PK\x03\x04" + bytes(200), "broken.zip")


@pytest.mark.parametrize(("compress", "suffix", "kind"), [
    (gzip.compress, ".gz", "gzip"), (bz2.compress, ".bz2", "bz2"), (lzma.compress, ".xz", "xz")])
def test_compressed_single_file(compress, suffix: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    result = extract(compress(CSV.encode()), f"people.csv{suffix}")
    assert result == Extracted(kind, [Part("people.csv", "csv", CSV_LINES)], [])


def test_gzip_inside_zip_and_without_a_name() -> None:
    result = extract(zip_bytes({"d/people.csv.gz": gzip.compress(CSV.encode())}))
    assert result.parts == [Part("d/people.csv.gz/people.csv", "csv", CSV_LINES)]
    assert extract(gzip.compress(b"just text")).parts == [Part("", "text", "just text")]


def test_truncated_gzip_keeps_what_it_held() -> None:
    big = ("\n".join(f"row {i} Kalo Mire" for i in range(100_000))).encode()
    compressed = gzip.compress(big)
    result = extract(compressed[: len(compressed) // 2], "rows.txt.gz")
    text = result.parts[0].text
    assert text.startswith("row 0 Kalo Mire\nrow 1 Kalo Mire") and 0 < len(text) < len(big)
    assert result.errors == ["gzip stream is truncated, read what it held (rows.txt.gz)"]


def test_tar_and_tar_gz_are_one_level() -> None:
    members = {"list/people.csv": CSV.encode(), "list/readme.txt": b"hello"}
    expected = [Part("list/people.csv", "csv", CSV_LINES), Part("list/readme.txt", "text", "hello")]
    assert extract(tar_bytes(members), "x.tar") == Extracted("tar", expected, [])
    assert extract(tar_bytes(members, gzipped=True), "x.tar.gz") == Extracted("gzip", expected, [])
    in_zip = extract(zip_bytes({"b.tgz": tar_bytes(members, gzipped=True)}))
    assert [part.name for part in in_zip.parts] == ["b.tgz/list/people.csv", "b.tgz/list/readme.txt"]
    assert extract(nested_zip(2, tar_bytes(members, gzipped=True)), limits=Limits(max_depth=3)).parts


def test_corrupt_gzip_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match=r"corrupt gzip stream \(x\.gz\)"):
        extract(b"\x1f\x8b\x08\x00" + bytes(20), "x.gz")

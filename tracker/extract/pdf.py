"""PDF to text with pypdf: every page in order, pages joined by a newline.

Pages are read in pypdf's layout mode, so a table row stays one line with its cells split at
wide gaps (tabs, as everywhere else); where that fails, plain mode gives the text with rows
often split over lines, which the matcher copes with. What it cannot cope with is a PDF that
has no text at all (a scan): that is refused as unsupported rather than returned as an empty,
apparently clean document.
"""
from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PageObject

from tracker.errors import ExtractionError, UnsupportedFormat
from tracker.extract.messages import reason, where
from tracker.extract.text import normalize_newlines

# pypdf logs warnings and errors about a file's defects, and they can quote the file's own
# strings; nothing from a document may reach our logs, and failures are reported by our own
# exceptions, so pypdf's log records stop here.
_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.addHandler(logging.NullHandler())
_PYPDF_LOG.propagate = False


_CELL_GAP = re.compile(r" {3,}")


def _page_text(page: PageObject) -> str:
    """A page's text with table rows kept on one line.

    pypdf's layout mode places text by its position, so a table row stays one line (plain
    mode often gives one cell per line); runs of layout spaces become tabs, the cell separator
    the matcher reads. Plain mode is the fallback when layout mode fails on an odd page.
    """
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except Exception:
        return page.extract_text() or ""
    return "\n".join(_CELL_GAP.sub("\t", line.strip()) for line in text.splitlines() if line.strip())


def pdf_text(data: bytes, name: str = "") -> tuple[str, list[str]]:
    """(text of all pages, problems with single pages that were skipped)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(f"PDF is encrypted with a password{where(name)}")
        pages = list(reader.pages)
    except ExtractionError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ExtractionError(f"cannot read PDF{where(name)}: {reason(exc)}") from exc
    texts, problems = [], []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(normalize_newlines(_page_text(page)))
        except Exception as exc:
            problems.append(f"cannot read page {number} of PDF{where(name)}: {reason(exc)}")
    if pages and not any(text.strip() for text in texts):
        raise UnsupportedFormat(f"unsupported format: PDF without a text layer (scanned images?){where(name)}")
    return "\n".join(texts), problems

"""Document extraction: fetched bytes to the text the matcher reads.

``extract(data, name, content_type, limits)`` finds the format (magic bytes, then the
Content-Type, the extension, and a look at the text), reads it, and returns one ``Part`` per
readable piece: the document, each sheet of a workbook, each member of an archive. Text comes
as lines; a table row is one line with its cells joined by tabs.

Formats: plain text (any encoding), HTML, CSV/TSV (any delimiter), JSON and JSON Lines, XML,
xlsx/xlsb/xls/ods, PDF, docx/odt, and zip/tar/gzip/bz2/xz archives, nested, under ``Limits``.
Anything else raises ``UnsupportedFormat``, never an empty "clean" text.
"""
from tracker.extract.document import extract
from tracker.extract.limits import Limits
from tracker.extract.parts import Extracted, Part

__all__ = ["Extracted", "Limits", "Part", "extract"]

"""How one value of a table cell is written, the same for every format that has cells."""
from __future__ import annotations

_CELL_SPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\x0b": " ", "\x0c": " "})


def clean_cell(text: str) -> str:
    """A cell's text on one line: tabs and line breaks inside it become spaces; stripped."""
    return text.strip() if text.isprintable() else text.translate(_CELL_SPACE).strip()


def float_text(value: float) -> str:
    """``12345.0`` -> ``"12345"`` (IDs and years stored as floats); other floats as Python writes them."""
    return str(int(value)) if value.is_integer() else repr(value)

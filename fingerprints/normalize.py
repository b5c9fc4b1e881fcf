"""Normalization that survives what re-posters do to a table.

Everything here maps the many spellings of one value to one canonical string: case,
accents, Unicode forms, punctuation and spacing for names; every common date format for
dates; prefixes and separators for ID numbers. The canonical strings are only ever fed to
the keyed hash (``fingerprints.keyed``); they are never stored.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into base letter + accent.
_SPECIAL = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
    "þ": "th", "Þ": "th", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ß": "ss",
    "’": "'", "‘": "'", "`": "'", "´": "'",
})

#: Name particles ("DE LA CRUZ", "VAN DER BERG"): set aside when the name they precede follows
#: them, kept when they are the name themselves ("DU", "LE" as a whole surname), joined with a
#: one-letter word that follows them ("DE LA O" -> "delao"). See :func:`name_words`.
PARTICLES = frozenset(
    "de del la las los le les y e da das do dos di du van von der den ter bin ben bint ibn "
    "al el mc st".split()
)
#: The particles that can start or continue a run ("y" and "e" are conjunctions: "PEREZ Y DE LA O").
RUN_PARTICLES = frozenset(p for p in PARTICLES if len(p) >= 2)
#: At most this many particles before a one-letter word are joined with it ("DE LA O" -> "delao").
JOIN_PARTICLES = 4

_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_ALPHA = re.compile(r"[^a-z]+")


def fold(text: str) -> str:
    """Case-, accent- and Unicode-form-insensitive version of ``text``.

    ``"DOMÍNGUEZ"``, ``"Dominguez"`` and ``"DOMI\\u0301NGUEZ"`` all fold to ``"dominguez"``.
    """
    if text.isascii():
        return text.lower()
    return _fold_unicode(text)


@lru_cache(maxsize=200_000)
def _fold_unicode(text: str) -> str:
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_SPECIAL)))
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().translate(_SPECIAL)


def name_tokens(text: str) -> list[str]:
    """Folded name tokens of a cell: "GARCÍA-LÓPEZ, María José" -> garcia lopez maria jose.

    Apostrophes are dropped inside a token (O'Brien -> obrien); other punctuation splits.
    """
    folded = fold(text).replace("'", "")
    return [t for t in _NON_ALPHA.split(folded) if t]


def particle_join(run: list[str], letter: str) -> str:
    """The one token a run of particles and the one-letter word after it make: de la + o -> delao."""
    return "".join(run[-JOIN_PARTICLES:]) + letter


def name_words(parts: list[str]) -> list[str]:
    """The identifying words of one name (a cell, or a part of it between commas).

    Words of two letters or more count. A run of particles is set aside when a word of two
    letters or more follows it (the name it belongs to: "DE LA CRUZ" -> cruz); when nothing
    follows, the particles are the name ("DU", "LE", "VAN DER"); a one-letter word after them
    joins them ("DE LA O" -> delao, "DE LA O MARTÍNEZ" -> delao martinez). Other one-letter
    words are initials and carry no weight.
    """
    out: list[str] = []
    i, n = 0, len(parts)
    while i < n:
        if parts[i] not in RUN_PARTICLES:
            if len(parts[i]) >= 2:
                out.append(parts[i])
            i += 1
            continue
        j = i
        while j < n and parts[j] in RUN_PARTICLES:
            j += 1
        if j < n and len(parts[j]) == 1:
            out.append(particle_join(parts[i:j], parts[j]))
            j += 1
        elif j == n:
            out.extend(parts[i:j])
        i = j
    return out


def particle_joins(parts: list[str]) -> list[str]:
    """The joined tokens a document's name parts make: for every one-letter part that follows a
    run of particles, the token :func:`name_words` makes of them at registration."""
    out: list[str] = []
    for j in range(1, len(parts)):
        if len(parts[j]) != 1 or parts[j - 1] not in RUN_PARTICLES:
            continue
        i = j - 1
        while i > 0 and parts[i - 1] in RUN_PARTICLES:
            i -= 1
        out.append(particle_join(parts[i:j], parts[j]))
    return out


_NAME_SEGMENT = re.compile(r"[,;/()]")


def identifying_name_tokens(text: str) -> list[str]:
    """Name tokens of a leak cell that can identify someone (see :func:`name_words`); a comma
    ends a name ("DU, MARIA": du is the surname, maria the first name)."""
    out: list[str] = []
    for segment in _NAME_SEGMENT.split(text):
        out.extend(name_words(name_tokens(segment)))
    return out


def phrase(text: str) -> str:
    """Canonical form of a short phrase (country, facility, status): folded words, one space."""
    return " ".join(t for t in _NON_ALNUM.split(fold(text).replace("'", "")) if t)


_ID_PREFIX = re.compile(r"^[a-z]{1,3}(?=\d)")


def normalize_id(text: str) -> str | None:
    """Canonical ID number: "A-277-958-520", "a277958520", "277 958 520" -> "277958520".

    A short letter prefix before digits and leading zeros are dropped; anything shorter than
    four characters is not treated as an ID (too easy to hit by chance).
    """
    compact = _NON_ALNUM.sub("", fold(text))
    if not compact:
        return None
    if compact[0].isalpha() and any(c.isdigit() for c in compact):
        stripped = _ID_PREFIX.sub("", compact)
        if stripped.isdigit():
            compact = stripped
    if compact.isdigit():
        compact = compact.lstrip("0")
    return compact if len(compact) >= 4 else None


GENDERS = {
    "m": "m", "male": "m", "man": "m", "masculino": "m", "hombre": "m", "h": "m", "masculin": "m",
    "homme": "m", "mannlich": "m", "f": "f", "female": "f", "woman": "f", "femenino": "f",
    "mujer": "f", "feminin": "f", "femme": "f", "weiblich": "f", "w": "f",
}


def normalize_gender(text: str) -> str:
    """"Male", "M", "masculino" -> "m"; unknown values stay as their folded phrase."""
    p = phrase(text)
    return GENDERS.get(p, p)


# ---------------------------------------------------------------------------------------
# Dates

MONTHS: dict[str, int] = {}
for _num, _names in enumerate([
    "january jan enero ene janvier janv januar janeiro gennaio gen",
    "february feb febrero febr fevrier fev februar fevereiro febbraio",
    "march mar marzo mars marz marco",
    "april apr abril abr avril avr aprile",
    "may mayo mai maio maggio mag",
    "june jun junio juin juni junho giugno giu",
    "july jul julio juillet juil juli julho luglio lug",
    "august aug agosto ago aout august",
    "september sep sept septiembre setiembre septembre setembro settembre set",
    "october oct octubre octobre oktober okt outubro ottobre ott out",
    "november nov noviembre novembre novembro",
    "december dec diciembre dic decembre dezember dez dezembro dicembre",
], start=1):
    for _n in _names.split():
        MONTHS.setdefault(_n, _num)

_MIN_YEAR = 1900
_MAX_YEAR = 2100

_NUMERIC_DATE = re.compile(r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})(?:t.*)?$")
_COMPACT_DATE = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})$")
_ALPHA_DATE = re.compile(r"^(\d{1,2})[-/. ]?([a-z]{3,10})\.?[-/. ]?(\d{2,4})$")
_TEXT_DATE = re.compile(
    r"(?<![0-9a-z])(?:"
    r"(?P<d1>\d{1,2})(?:st|nd|rd|th|er|º)?(?:\s*(?:de|of)\s+|[\s\-/.]+)(?P<m1>[a-z]{3,10})\.?(?:\s*(?:de|del)\s+|[\s,\-/.]+)(?P<y1>\d{4}|\d{2})"
    r"|(?P<m2>[a-z]{3,10})\.?[\s\-/.]+(?P<d2>\d{1,2})(?:st|nd|rd|th)?[\s,\-/.]+(?P<y2>\d{4}|\d{2})"
    r")(?![0-9a-z])"
)


def _years(y: str) -> tuple[int, ...]:
    n = int(y)
    if len(y) == 4:
        return (n,) if _MIN_YEAR <= n <= _MAX_YEAR else ()
    if len(y) == 2:
        return (1900 + n, 2000 + n)
    return ()


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _collect(out: set[dt.date], years: tuple[int, ...], month: int, day: int) -> None:
    for y in years:
        d = _make(y, month, day)
        if d is not None:
            out.add(d)


@lru_cache(maxsize=100_000)
def date_token(token: str) -> frozenset[dt.date]:
    """Dates a single token can mean: "07/24/2002", "2002-07-24", "24.07.2002", "24-jul-2002".

    Ambiguous day/month orders give both readings; two-digit years give both centuries.
    ``token`` should already be folded (lower case, no accents).
    """
    out: set[dt.date] = set()
    m = _NUMERIC_DATE.match(token)
    if m:
        a, b, c = m.groups()
        if len(a) == 4:  # ISO-like: Y-M-D
            _collect(out, _years(a), int(b), int(c))
        elif len(c) in (2, 4) and len(a) <= 2:
            ys = _years(c)
            _collect(out, ys, int(a), int(b))  # US month/day
            _collect(out, ys, int(b), int(a))  # European day/month
        return frozenset(out)
    m = _COMPACT_DATE.match(token)
    if m:
        _collect(out, (int(m.group(1) + m.group(2)),), int(m.group(3)), int(m.group(4)))
        return frozenset(out)
    m = _ALPHA_DATE.match(token)
    if m and m.group(2) in MONTHS:
        _collect(out, _years(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))
    return frozenset(out)


def text_dates(text: str) -> set[dt.date]:
    """Dates written with month names inside running text: "March 14, 1988", "14 de marzo de 1988"."""
    out: set[dt.date] = set()
    for m in _TEXT_DATE.finditer(fold(text)):
        if m.group("m1"):
            month, day, year = m.group("m1"), m.group("d1"), m.group("y1")
        else:
            month, day, year = m.group("m2"), m.group("d2"), m.group("y2")
        if month in MONTHS:
            _collect(out, _years(year), MONTHS[month], int(day))
    return out


def parse_dates(text: str) -> set[dt.date]:
    """Every date a cell or short text can mean, in any common format."""
    folded = fold(text).strip()
    out = set(date_token(folded.replace(" ", "")) if len(folded) <= 12 else ())
    if not out:
        for tok in folded.split():
            out |= date_token(tok.strip(",;()[]"))
        out |= text_dates(folded)
    return out


def parse_leak_date(text: str, day_first: bool | None) -> dt.date | None:
    """The one date a leak cell holds, using the column's known day/month order.

    A leak column has one format; ``day_first`` is decided from the whole column
    (see :func:`column_day_first`), so "03/04/1990" resolves the way its column does.
    """
    folded = fold(text).strip()
    m = _NUMERIC_DATE.match(folded.replace(" ", ""))
    if m:
        a, b, c = m.groups()
        if len(a) == 4:
            return _make(int(a), int(b), int(c))
        ys = _years(c)
        if not ys:
            return None
        year = ys[0] if len(ys) == 1 else (ys[0] if ys[1] > dt.date.today().year else ys[1])
        first, second = int(a), int(b)
        return _make(year, second, first) if day_first else _make(year, first, second)
    dates = parse_dates(folded)
    return min(dates) if len(dates) == 1 else None


#: Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 the 29 February 1900 that never
#: was (Lotus 1-2-3's leap-year bug, kept by Excel), so from serial 61 on a serial counts days from
#: 1899-12-30. The serials read as dates are those of five digits: 10000 (1927-05-18) to 99999,
#: cut at a year from today (no birth or booking date is later). Four-digit numbers are years.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_SERIAL = re.compile(r"([1-9][0-9]{4})(?:\.[0-9]+)?")


def excel_serial_date(text: str) -> dt.date | None:
    """The date an Excel serial number ("33975", "33975.5" with a time of day) stands for in the
    1900 date system, or ``None`` when the cell is not a five-digit serial of a plausible date.

    Only meaningful where a column is known to hold dates (the header says so): on its own a
    five-digit number is as likely a postal code.
    """
    m = _EXCEL_SERIAL.fullmatch(text.strip())
    if m is None:
        return None
    serial = int(m.group(1))
    if serial > (dt.date.today() - _EXCEL_EPOCH).days + 366:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=serial)


def column_day_first(values: list[str]) -> bool | None:
    """Whether a column's numeric dates are day-first (True), month-first (False) or unknown."""
    day_first = month_first = 0
    for v in values:
        m = _NUMERIC_DATE.match(fold(v).strip())
        if not m or len(m.group(1)) == 4:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            day_first += 1
        elif b > 12 >= a:
            month_first += 1
    if day_first > month_first:
        return True
    if month_first > day_first:
        return False
    return None

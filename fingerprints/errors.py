"""The exception tree of the ``fingerprints`` package."""


class FingerprintError(Exception):
    """Base class for every error raised by ``fingerprints``."""


class KeyError_(FingerprintError):
    """The secret key is missing, malformed, or not the one an index was built with."""


class IndexFormatError(FingerprintError):
    """Serialized index bytes are damaged or of an unknown version."""


class ColumnError(FingerprintError):
    """A leak table's columns cannot be understood (no header, unknown role name...)."""

"""The exception tree of the ``tracker`` application.

Every error a user can cause ends up as a ``TrackerError`` with a message that says what
was wrong and what to do; the CLI turns it into a clear line on stderr and an exit code.
"""


class TrackerError(Exception):
    """Base class for every error raised by ``tracker``."""

    exit_code = 1


class UsageError(TrackerError):
    """Bad input from the user: a file that cannot be read, a wrong option value."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration names a wrong key or value."""


class NotFoundError(UsageError):
    """A leak, hit, case, ... named by the user does not exist."""


class ExtractionError(TrackerError):
    """A document could not be turned into text."""


class UnsupportedFormat(ExtractionError):
    """The document's format is not one the extractor reads."""


class LimitExceeded(ExtractionError):
    """An archive or document went over a size, ratio or depth limit."""


class StorageError(TrackerError):
    """The database or the data directory could not be used."""

"""The exception tree of the ``tracker`` application.

Every error a user can cause ends up as a ``TrackerError`` with a message that says what
was wrong and what to do; the CLI turns it into a clear line on stderr and an exit code.
"""
import errno


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


#: Longest path an error message repeats in full; longer ones are cut in the middle.
SHOWN_PATH_MAX = 120


def shown_path(path: object) -> str:
    """A path for an error message: in full when short, else its start and end with the length.

    A hostile or mistyped argument can be thousands of characters long (the system refuses
    it with ENAMETOOLONG); repeating it whole would bury the one line that says what is wrong.
    """
    text = str(path)
    if len(text) <= SHOWN_PATH_MAX:
        return text
    return f"{text[:60]}...{text[-40:]} ({len(text)} characters)"


def path_error(path: object, exc: OSError, what: str = "path") -> UsageError:
    """The usage error for a path the system refuses (too long, not a folder, no access...)."""
    reason = "too long for this system" if exc.errno == errno.ENAMETOOLONG else (exc.strerror or str(exc))
    return UsageError(f"{what} {shown_path(path)}: {reason}")

"""Errors the course raises on purpose, so learners see a sentence instead of a traceback."""


class FtcourseError(Exception):
    """Base class of every error ftcourse raises deliberately."""


class DataError(FtcourseError, ValueError):
    """A data file or dataset is missing, malformed or inconsistent.

    The message always names the file (or dataset), what is wrong and how to fix it.
    """


class ModelNotAvailableError(FtcourseError, RuntimeError):
    """A model cannot be loaded here (offline and not packaged locally)."""


def plain(value):
    """``value`` as a message should show it: numpy scalars print as ``np.int64(7)``; learners should read 7."""
    return value.item() if hasattr(value, "item") else value

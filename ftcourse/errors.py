"""Errors the course raises on purpose, so learners see a sentence instead of a traceback.

The policy: :class:`DataError` when the data is wrong (a file, a column, a value), :class:`UsageError`
when the way the package or a command was called is wrong (an option, a path, a config file, an
unknown name), :class:`ModelNotAvailableError` when a model cannot be had here. Each message names
what is wrong and the fix. The command line prints any of them as one line and exits with status 2.
Both subclass ``ValueError``, so code written against plain ``ValueError`` keeps working.
"""


class FtcourseError(Exception):
    """Base class of every error ftcourse raises deliberately."""


class DataError(FtcourseError, ValueError):
    """A data file or dataset is missing, malformed or inconsistent.

    The message always names the file (or dataset), what is wrong and how to fix it.
    """


class UsageError(FtcourseError, ValueError):
    """An option, a path, a config file or a name (loss, profile, dataset) is not one the package accepts.

    The message names the option and the accepted values or the fix.
    """


class ModelNotAvailableError(FtcourseError, RuntimeError):
    """A model cannot be loaded here (offline and not packaged locally)."""


def plain(value):
    """``value`` as a message should show it: numpy scalars print as ``np.int64(7)``; learners should read 7."""
    return value.item() if hasattr(value, "item") else value

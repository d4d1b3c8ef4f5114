"""The package's own warning class."""


class MMMEWarning(UserWarning):
    """Warning emitted by mmme-analysis (recoverable data problems, fallbacks)."""

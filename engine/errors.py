"""Errors the engine raises for users: each carries one clear, user-facing line."""


class EngineError(Exception):
    """A problem to show to the user as-is (no traceback)."""


class InputError(EngineError):
    """A bad input file or bad settings; the message names the file and the problem."""


class Cancelled(EngineError):
    """The caller asked the work to stop."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)

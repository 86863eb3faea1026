"""Argument types for the command line: whole numbers in a range, fractions. A bad value
is argparse's one-line error (exit code 2), naming the range."""

from __future__ import annotations

import argparse
from collections.abc import Callable

# The headless commands (main.py tells them from a clip to open without loading numpy).
SUBCOMMANDS = ("generate", "retarget", "inpaint", "analogy", "sketch", "bench")


def whole(lo: int, hi: int | None = None, span: str | None = None) -> Callable[[str], int]:
    """A whole number from `lo` (to `hi`); `span` says the range in words."""
    span = span or (f"at least {lo}" if hi is None else f"from {lo} to {hi}")

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if v < lo or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"must be {span} (got {v})")
        return v

    return parse


def fraction(text: str) -> float:
    """A number from 0 to 1 (NaN refused)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= v <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a fraction from 0 to 1 (got {text})")
    return v


def path_name(text: str) -> str:
    """A file or folder name; an empty one (a script's unset variable) is refused, not
    read as "." or, for generate's input, as the bundled sample."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the name is empty")
    return text


class OneLineParser(argparse.ArgumentParser):
    """A usage mistake is one `error:` line naming the command and its --help (exit code
    2), as every other bad input is, not the usage block first."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        command = self.prog.removeprefix("python main.py").strip()
        self.exit(2, f"error: {command + ': ' if command else ''}{message} (see {self.prog} "
                     "--help)\n")

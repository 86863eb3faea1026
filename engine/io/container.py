"""Opening media for reading, across PyAV versions."""

from __future__ import annotations

import os

import av


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """av.open for reading, with badly encoded metadata ignored where this PyAV has that
    option (PyAV 19, the first release on Python 3.12 only, dropped `metadata_errors`)."""
    try:
        return av.open(os.fspath(path), metadata_errors="ignore")
    except TypeError:
        return av.open(os.fspath(path))

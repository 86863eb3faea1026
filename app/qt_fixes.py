"""Work around a reference-count bug of the PySide6 6.12 wheels on Python 3.11.

Their void methods (QLabel.setText, QObject.setObjectName, processEvents, ...) return None
without taking a new reference to it, and every signal emit drops one reference to True.
On Python 3.12+ these singletons are immortal and this is harmless; on 3.11 every call
lowers a count by one until the interpreter aborts with "Fatal Python error: none_dealloc"
or "bool_dealloc" (after some thousands of calls: seconds of playback or painting).

The fix makes None immortal the way 3.12 does: give it a reference count no program can
use up. It is applied only where the leak is measured, so a fixed PySide6 needs nothing.
"""

from __future__ import annotations

import ctypes
import sys

_IMMORTAL_REFS = 1 << 48
_applied: bool | None = None  # the first call's answer; later calls change nothing


def void_calls_leak_none() -> bool:
    """True when a void PySide6 method call drops a reference to None."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 8


def emit_leaks_true() -> bool:
    """True when emitting a Python-side signal drops a reference to True (same bug)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal(int)

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(16):
        probe.ping.emit(1)
    return sys.getrefcount(True) < before - 8


def protect_none() -> bool:
    """Apply the fix where needed: None (void method calls) and True/False (signal emits,
    "bool_dealloc" at exit or after a few thousand emits). True when anything was fixed.
    Each Qt package of the editor calls it on import; only the first call does anything."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    fixed = False
    # ob_refcnt is the first field of every CPython object (non-debug builds).
    if void_calls_leak_none():
        ctypes.c_ssize_t.from_address(id(None)).value += _IMMORTAL_REFS
        fixed = True
    if emit_leaks_true():
        for singleton in (True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += _IMMORTAL_REFS
        fixed = True
    _applied = fixed
    return fixed

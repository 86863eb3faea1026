"""The desktop editor (PySide6 + pyqtgraph). The engine does the numerics; this package
builds requests, runs them on worker threads and draws what comes back."""

from app.qt_fixes import protect_none

protect_none()  # before any other Qt call: see app/qt_fixes.py

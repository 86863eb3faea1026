"""Background work on QThreads: jobs, generation runs, the seed browser's queue, export."""

from app.qt_fixes import protect_none

protect_none()  # before other Qt calls: see app/qt_fixes.py

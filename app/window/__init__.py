"""The main window and the controllers that carry out its commands."""

from app.qt_fixes import protect_none

protect_none()  # before other Qt calls: see app/qt_fixes.py

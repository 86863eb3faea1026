"""Qt widgets of the editor: they show state and report what the user does."""

from app.qt_fixes import protect_none

protect_none()  # before other Qt calls: see app/qt_fixes.py

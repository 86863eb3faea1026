"""Kept for `main.py` (`from app.main_window import launch`) until it imports
app.window.launch directly; the window itself lives in app/window/."""

from app.window.launch import launch

__all__ = ["launch"]

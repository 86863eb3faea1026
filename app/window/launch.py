"""`launch()`: the entry point `python main.py [VIDEO]` calls."""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

from app.widgets.style import apply_style
from app.window.main_window import APP_NAME, MainWindow
from app.workers import jobs


def launch(path: str | None = None) -> int:
    """Open the editor on `path` (or the bundled sample clip) and run until it closes."""
    from engine.io import SAMPLE_CLIP

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("vgpnn")
    apply_style(app)
    window = MainWindow()
    window.show()
    if path:
        window.open_path(path)
    elif SAMPLE_CLIP.exists():
        window.open_path(SAMPLE_CLIP)
    code = app.exec()
    if not jobs.stop_all(timeout_ms=jobs.EXIT_WAIT_MS):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # a QThread destroyed while running would abort the interpreter
    return code

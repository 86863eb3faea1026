"""`launch()`: the entry point `python main.py [VIDEO | PROJECT.vgpnn]` calls."""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

from app.widgets.style import apply_style
from app.window.main_window import APP_NAME, MainWindow
from app.workers import jobs


def launch(path: str | None = None) -> int:
    """Open the editor on `path` (a clip or a project; else the bundled sample clip, unless
    a crashed session is recovered) and run until it closes."""
    from engine.io import SAMPLE_CLIP

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("vgpnn")
    apply_style(app)
    window = MainWindow()
    window.show()
    # Work a crash left behind comes first; a recovered session replaces the start clip.
    if not window.autosave.offer_recovery():
        if path:
            window.projects.open_path(path)
        elif SAMPLE_CLIP.exists():
            window.projects.open_path(SAMPLE_CLIP)
    code = app.exec()
    if not jobs.stop_all(timeout_ms=jobs.EXIT_WAIT_MS):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # a QThread destroyed while running would abort the interpreter
    return code

"""Waiting on the real editor from a script (README screenshots): run Qt's event loop until
a condition holds or for a while, so the window's workers deliver their results."""

from __future__ import annotations

from collections.abc import Callable


def arguments(doc: str, least: int, most: int | None = None) -> list[str]:
    """The script's arguments, or its docstring as the usage and exit code 2 when they are
    too few or too many, or --help (they ended in an IndexError, or started the editor)."""
    import sys

    args = sys.argv[1:]
    if "-h" in args or "--help" in args:
        print(doc.strip())
        raise SystemExit(0)
    plain = [a for a in args if not a.startswith("--")]
    if len(plain) < least or (most is not None and len(plain) > most):
        print(doc.strip(), file=sys.stderr)
        raise SystemExit(2)
    return args


def wait_until(condition: Callable[[], bool], ms: int = 120_000) -> None:
    """Run the event loop until `condition()` is true (checked every 100 ms) or `ms` pass."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer(interval=100)
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start()
    # A timer of its own, stopped on return: QTimer.singleShot stayed pending for the whole
    # `ms` (10 minutes in shoot_editor), holding the loop and a timer per call.
    deadline = QTimer(singleShot=True, interval=ms)
    deadline.timeout.connect(loop.quit)
    deadline.start()
    loop.exec()
    timer.stop()
    deadline.stop()


def pause(ms: int) -> None:
    """Run the event loop for `ms` milliseconds."""
    wait_until(lambda: False, ms)


def shooting_window(out):
    """(the QApplication, a shown MainWindow) for README screenshots: the editor's style and
    default settings (a fresh settings file in `out`), at 1400×860 from (20, 20)."""
    import sys

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.widgets.style import apply_style
    from app.window.main_window import MainWindow

    apply_style(app)  # as the editor starts (launch)
    (out / ".shoot.ini").unlink(missing_ok=True)  # the editor's defaults, not a last run's
    settings = QSettings(str(out / ".shoot.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, data_folder=out / ".shoot-data")
    win.projects.ask_to_save = False
    win.resize(1400, 860)
    win.move(20, 20)
    win.show()
    return app, win


def shoot(out, name: str, size: str = "1420x880") -> None:
    """The screen's top left `size` (from (20, 20)) into out/name, once the window settled."""
    import subprocess

    pause(800)
    subprocess.run(["import", "-window", "root", "-crop", f"{size}+20+20", str(out / name)],
                   check=True)

"""The editor's look: pyqtgraph options and the dark stylesheet in resources/style.qss."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QDir
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = Path(__file__).resolve().parents[2] / "resources" / "style.qss"

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, foreground="#b8b8b8")


def dark_palette() -> QPalette:
    p = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#232323",
        QPalette.ColorRole.WindowText: "#dddddd",
        QPalette.ColorRole.Base: "#1a1a1a",
        QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#dddddd",
        QPalette.ColorRole.Button: "#2e2e2e",
        QPalette.ColorRole.ButtonText: "#dddddd",
        QPalette.ColorRole.Highlight: "#ff9f1c",
        QPalette.ColorRole.HighlightedText: "#111111",
        QPalette.ColorRole.ToolTipBase: "#333333",
        QPalette.ColorRole.ToolTipText: "#eeeeee",
        QPalette.ColorRole.PlaceholderText: "#777777",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#666666"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#666666"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#666666"))
    return p


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    # The stylesheet names its pictures (spin arrows, the check mark) as icons:NAME.svg.
    QDir.addSearchPath("icons", str(STYLE_SHEET.parent / "icons"))
    if STYLE_SHEET.exists():
        app.setStyleSheet(style_sheet(app.font().pointSizeF()))


def style_sheet(desktop_pt: float) -> str:
    """The stylesheet at the desktop's font size where it is larger than the sheet's 10 pt
    (a large font chosen for reading was held at 10 pt; the panel scrolls sideways where
    it must)."""
    size = max(10.0, desktop_pt)
    return STYLE_SHEET.read_text(encoding="utf-8").replace(
        "QWidget { font-size: 10pt; }", f"QWidget {{ font-size: {size:g}pt; }}", 1)

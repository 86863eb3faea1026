"""A clip slot of the Analogy page: which clip fills it (Open… or drop a file on it) and a
small moving picture of the clip tinted by its quantised motion (the structure overlay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.widgets.drops import accept_local_files, dropped_files, ignored_text, pick_openable
from app.widgets.elided_label import ElidedLabel
from app.widgets.frames import fit_size, to_pixmap

PREVIEW_H = 120


class ClipSlot(QGroupBox):
    open_requested = Signal()
    file_dropped = Signal(str)
    files_ignored = Signal(str)  # what else a drop of several files held, said in the status bar

    def __init__(self, title: str, empty_text: str, about: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setAcceptDrops(True)
        self.setToolTip(about)
        self.empty_text = empty_text
        # Elided in the middle, whole in its tooltip: a camera's name without spaces
        # (DJI_20240601_143512_…) could not wrap and pushed Open… out of the panel.
        self.name = ElidedLabel(empty_text, elide=Qt.TextElideMode.ElideMiddle)
        self.details = ElidedLabel("")  # size and length, on a line of their own
        self.details.setVisible(False)
        self.open = QPushButton("Open…")
        self.open.setToolTip("Choose a video, an image folder or a GIF (or drop one here).")
        self.open.clicked.connect(self.open_requested)
        self.preview = QLabel()
        self.preview.setObjectName("slotPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(PREVIEW_H)
        self.preview.setToolTip("The clip tinted by its quantised motion: dark blue is still, "
                                "then green, yellow and red for faster and faster levels.")
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        lines = QVBoxLayout()
        lines.setSpacing(0)
        lines.addWidget(self.name)
        lines.addWidget(self.details)
        row.addLayout(lines, 1)
        row.addWidget(self.open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.preview)
        self.preview.setVisible(False)  # until there is an overlay to show
        layout.addWidget(self.status)
        self._frames: np.ndarray | None = None
        self._frame = 0

    def set_clip_text(self, text: str | None) -> None:
        """"name — details": the name on one line (elided), the details below it."""
        # The last " — ": a file's own name may hold one ("Interview — take 2.mp4").
        name, _, details = (text or self.empty_text).rpartition(" — ")
        if not name:
            name, details = details, ""
        self.name.setText(name)
        self.details.setText(details)
        self.details.setVisible(bool(details))

    def set_overlay(self, frames: np.ndarray | None, status: str = "") -> None:
        """Thumbnail frames (T, h, w, 3) of the structure overlay, or None to clear."""
        self._frames = frames
        self.status.setText(status)
        # No empty picture box: on a small screen it took room the panel needs.
        self.preview.setVisible(frames is not None)
        if frames is None:
            self.preview.clear()
        else:
            self.show_frame(self._frame)
            # Again once the box just shown has its width from the layout.
            QTimer.singleShot(0, self, lambda: self.show_frame(self._frame))

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def has_overlay(self) -> bool:
        return self._frames is not None

    def show_frame(self, index: int) -> None:
        """Show overlay frame `index` (looping over the clip's length)."""
        self._frame = index
        if self._frames is None or not self.isVisible():
            return
        frame = self._frames[index % len(self._frames)]
        box_w = max(40, self.preview.width() - 4)
        w, h = fit_size(frame.shape[1], frame.shape[0], box_w, PREVIEW_H)
        # At the screen's pixels (a high-DPI screen magnified a logical-size pixmap).
        self.preview.setPixmap(to_pixmap(frame, w, h, self.preview.devicePixelRatioF()))

    def showEvent(self, event):  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.show_frame(self._frame)

    # -- drops ---------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802
        accept_local_files(event)

    dragMoveEvent = dragEnterEvent  # noqa: N815

    def dropEvent(self, event):  # noqa: N802
        files = dropped_files(event)
        if files:  # one clip: the first that can be opened (a lone file is tried, and says why)
            path, unopenable, extra = pick_openable(files, projects=False)
            self.file_dropped.emit(path)
            ignored = ignored_text(unopenable, extra, projects=False)
            if ignored:
                self.files_ignored.emit(f"{Path(path).name} dropped; {ignored}")

"""The export options dialog (format, quality, target) and the progress dialog that runs
an export job with Cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QSlider,
    QWidget,
)

from app.state.media import Selection
from app.workers import jobs
from app.workers.exporter import (
    DEFAULT_CRF,
    FORMATS,
    ExportItem,
    ExportProgress,
    export_job,
    output_name,
)


class ExportDialog(QDialog):
    """Choose a format, an H.264 quality and where to write.

    single: one result to a file (or PNG folder); otherwise favourites into a folder, each
    named with its seed.
    """

    def __init__(self, stem: str, seeds: list[int], folder: Path, single: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export result" if single else f"Export {len(seeds)} favourites")
        self._stem, self._seeds, self._single = stem, seeds, single
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.format.setToolTip("MP4 (H.264) keeps the sound when the duration is unchanged; "
                               "GIF loops in browsers; PNG frames are lossless.")
        self.crf = QSlider(Qt.Orientation.Horizontal)
        self.crf.setRange(12, 35)
        self.crf.setValue(DEFAULT_CRF)
        self.crf.setInvertedAppearance(True)  # right = better quality = lower CRF
        self.crf.setToolTip("H.264 quality (CRF): lower numbers are better and make bigger "
                            "files; 18 is visually lossless.")
        self.crf_label = QLabel()
        self.target = QLineEdit()
        self.target.setToolTip("The file to write." if single else "The folder to write into.")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.names = QLabel()
        self.names.setObjectName("hint")
        self.names.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        crf_row = QHBoxLayout()
        crf_row.addWidget(self.crf, 1)
        crf_row.addWidget(self.crf_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("Quality", crf_row)
        form.addRow("File" if single else "Folder", row)
        form.addRow("", self.names)
        form.addRow(buttons)
        self.resize(520, self.sizeHint().height())
        self._folder = folder
        self.format.currentIndexChanged.connect(self._refresh)
        self.crf.valueChanged.connect(self._refresh)
        self._refresh()

    @property
    def kind(self) -> str:
        return FORMATS[self.format.currentText()][0]

    def targets(self) -> list[Path]:
        """Where each seed goes."""
        text = self.target.text().strip()
        if self._single:
            return [Path(text).expanduser()] if text else []
        folder = Path(text).expanduser() if text else self._folder
        return [folder / output_name(self._stem, s, self.kind) for s in self._seeds]

    def _refresh(self) -> None:
        self.crf_label.setText(f"CRF {self.crf.value()}")
        self.crf.setEnabled(self.kind == "mp4")
        if self._single:
            current = self.target.text().strip()
            if current:  # keep the chosen name, switch its suffix to the format's
                p = Path(current)
                stem = p.stem if p.suffix.lower() in (".mp4", ".gif") else p.name
                self.target.setText(str(p.parent / (stem + FORMATS[self.format.currentText()][1])))
            else:
                name = output_name(self._stem, self._seeds[0], self.kind)
                self.target.setText(str(self._folder / name))
            self.names.setText("PNG frames go into a new (or empty) folder of that name."
                               if self.kind == "png" else "")
        else:
            if not self.target.text().strip():
                self.target.setText(str(self._folder))
            names = [t.name for t in self.targets()]
            more = f" … ({len(names)} in all)" if len(names) > 3 else ""
            self.names.setText("Files: " + ", ".join(names[:3]) + more)

    def _browse(self) -> None:
        start = self.target.text().strip() or str(self._folder)
        if self._single and self.kind != "png":
            suffix = FORMATS[self.format.currentText()][1]
            path, _ = QFileDialog.getSaveFileName(self, "Export to", start,
                                                  f"{self.format.currentText()} (*{suffix})")
        else:
            path = QFileDialog.getExistingDirectory(self, "Export into folder", start)
            if path and self._single:
                path = str(Path(path) / output_name(self._stem, self._seeds[0], "png"))
        if path:
            self.target.setText(path)
            self._refresh()


class ExportRunner(QObject):
    """Runs one export job behind a progress dialog with Cancel."""

    finished = Signal(list)  # written paths
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._job: jobs.Job | None = None
        self._dialog: QProgressDialog | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def start(self, items: list[ExportItem], targets: list[Path], selection: Selection,
              crf: int) -> jobs.Job:
        job = export_job(items, targets, selection, crf)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.done.connect(self._on_done)
        dialog = QProgressDialog("Exporting…", "Cancel", 0, 1000, self._parent)
        dialog.setWindowTitle("Export")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self._job, self._dialog = job, dialog
        jobs.start(job)
        return job

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            if self._dialog is not None:
                self._dialog.setLabelText("Cancelling…")

    @Slot(object, object)
    def _on_progress(self, job: jobs.Job, value: ExportProgress) -> None:
        dialog = self._dialog  # setValue may run the event loop (and _on_done) itself
        if job is self._job and dialog is not None:
            dialog.setLabelText(value.text)
            dialog.setValue(int(value.fraction * 1000))

    @Slot(object, object)
    def _on_succeeded(self, job: jobs.Job, paths: list) -> None:
        self.finished.emit(list(paths))

    @Slot(object, str)
    def _on_failed(self, job: jobs.Job, message: str) -> None:
        self.failed.emit(message)

    @Slot(object)
    def _on_cancelled(self, job: jobs.Job) -> None:
        self.cancelled.emit()

    @Slot(object)
    def _on_done(self, job: jobs.Job) -> None:
        self._job = None
        if self._dialog is not None:
            dialog, self._dialog = self._dialog, None
            dialog.canceled.disconnect(self.cancel)
            dialog.close()
            dialog.deleteLater()

"""Runs one export job behind a progress dialog with Cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressBar, QProgressDialog, QWidget

from app.state.media import Selection
from app.workers import jobs
from app.workers.exporter import ExportItem, ExportProgress, export_job

MIN_WIDTH = 420  # room for "Writing name_seed0007.mp4 (12/40) · 30%" without growing at once


class ExportRunner(QObject):
    """Runs one export job behind a progress dialog with Cancel."""

    finished = Signal(list, list)  # written paths, notes for the user (a sound left out)
    failed = Signal(str, list)  # the message, the files written before the failure
    cancelled = Signal(list)  # the files written before the cancel (they are kept)
    computed = Signal(object)  # (item, selection, final LevelResult) of a favourite made
    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._job: jobs.Job | None = None
        self._dialog: QProgressDialog | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def start(self, items: list[ExportItem], targets: list[Path], selection: Selection,
              crf: int, protect: tuple[Path, ...] = ()) -> jobs.Job:
        job = export_job(items, targets, selection, crf, protect)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.done.connect(self._on_done)
        dialog = QProgressDialog("Exporting…", "Cancel", 0, 1000, self._parent)
        dialog.setWindowTitle("Export")
        # The percentage is said in the label: drawn in the bar, it did not fit the thin
        # bar of the editor's style (style.qss) and overlapped it.
        bar = QProgressBar(dialog)
        bar.setTextVisible(False)
        dialog.setBar(bar)
        dialog.setRange(0, 1000)  # the new bar's: it came with 0..100
        dialog.setMinimumWidth(MIN_WIDTH)
        # Not modal: the editor stays usable while the file is written (the job has its
        # own frames), and closing the window can ask about the export.
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel)
        # Esc reaching the window when it is not the active one rejects (hides) it without
        # `canceled`: an export must never go on out of sight.
        dialog.rejected.connect(self.cancel)
        dialog.show()
        self._job, self._dialog = job, dialog
        jobs.start(job)
        self.busy_changed.emit(True)
        return job

    def raise_progress(self) -> None:
        """Put the progress window over the editor's others (a seed browser opened over it
        hid it and its Cancel)."""
        if self._dialog is not None:
            self._dialog.raise_()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            if self._dialog is not None:
                self._dialog.setLabelText("Cancelling…")

    @Slot(object, object)
    def _on_progress(self, job: jobs.Job, value: ExportProgress) -> None:
        if job is self._job and value.made is not None:
            self.computed.emit(value.made)
        dialog = self._dialog  # setValue may run the event loop (and _on_done) itself
        if job is self._job and dialog is not None:
            if not job.is_cancelled():  # "Cancelling…" stays until it has stopped
                dialog.setLabelText(f"{value.text} · {int(value.fraction * 100)}%")
            dialog.setValue(int(value.fraction * 1000))

    # The outcome's signals come after the runner is free: a listener may start the next
    # export at once (it was refused as "already running" until the job's `done`).
    @Slot(object, object)
    def _on_succeeded(self, job: jobs.Job, outcome: tuple) -> None:
        self._on_done(job)
        paths, notes = outcome
        self.finished.emit(list(paths), list(notes))

    @Slot(object, str)
    def _on_failed(self, job: jobs.Job, message: str) -> None:
        self._on_done(job)
        self.failed.emit(message, list(job.kept))

    @Slot(object)
    def _on_cancelled(self, job: jobs.Job) -> None:
        self._on_done(job)
        self.cancelled.emit(list(job.kept))

    @Slot(object)
    def _on_done(self, job: jobs.Job) -> None:
        if job is not self._job:
            return  # released already (its outcome came first), or an earlier export's
        self._job = None
        if self._dialog is not None:
            dialog, self._dialog = self._dialog, None
            dialog.canceled.disconnect(self.cancel)
            dialog.rejected.disconnect(self.cancel)
            dialog.close()
            dialog.deleteLater()
        self.busy_changed.emit(False)

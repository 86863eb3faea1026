"""The main window's commands that open dialogs: open a file (dialog or drop), browse
seeds, export, help. Kept apart from main_window.py, which wires models and widgets."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog

from app.state.result_clip import ResultClip
from app.widgets.export_dialog import ExportDialog
from app.widgets.seed_browser import SeedBrowser
from app.window.menus import SHORTCUT_HELP
from app.workers.exporter import ExportItem, normalize_target

VIDEO_FILTER = ("Videos and images (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.gif *.png *.jpg "
                "*.jpeg *.bmp *.tif *.tiff);;All files (*)")


class MainActionsMixin:
    # -- opening -----------------------------------------------------------------------
    def choose_file(self) -> None:
        start = self.settings.value("openDir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open video", str(start), VIDEO_FILTER)
        if path:
            self.settings.setValue("openDir", str(Path(path).parent))
            self.open_path(path)

    def dragEnterEvent(self, event):  # noqa: N802
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event):  # noqa: N802
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # -- seed browser ------------------------------------------------------------------
    def browse_seeds(self) -> SeedBrowser | None:
        if self.source is None:
            self.report_error("No clip", "Open a video first (File ▸ Open or drop a file).")
            return None
        if self.browser is None:
            self.browser = SeedBrowser(self.cache, self)
            self.browser.use_clip.connect(self.use_clip)
            self.browser.export_favourites.connect(self.export_favourites)
        self.browser.show()
        self.browser.raise_()
        self.browser.browse(self.current_selection(), self.current_request(),
                            self.panel.browse_count.value())
        return self.browser

    def use_clip(self, clip: ResultClip) -> None:
        """A tile's "Use": its video becomes the result, its seed the current seed."""
        self.generation.cancel()
        self.panel.seed.blockSignals(True)
        self.panel.seed.setValue(clip.seed)
        self.panel.seed.blockSignals(False)
        self.show_result(clip)
        self.statusBar().showMessage(f"Using seed {clip.seed}", 5000)

    # -- export ------------------------------------------------------------------------
    def _export_folder(self) -> Path:
        saved = self.settings.value("exportDir", "")
        if saved and Path(str(saved)).is_dir():
            return Path(str(saved))
        src = self.source.path if self.source is not None else None
        if src is not None and os.access(src.parent, os.W_OK):
            return src.parent
        return Path.home()

    def export_result(self) -> None:
        if self.result is None or not self.result.final:
            self.report_error("Nothing to export", "Generate a result first and wait until it "
                              "is finished (the status shows “Done”).")
            return
        stem = self.current_selection().stem
        dialog = ExportDialog(stem, [self.result.seed], self._export_folder(), single=True,
                              parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        targets = [normalize_target(t, dialog.kind) for t in dialog.targets()]
        if not targets:
            self.report_error("Export", "Choose a file to export to.")
            return
        item = ExportItem(self.result.seed, self.result.request, self.result.frames)
        self.start_export([item], targets, dialog.crf.value())

    def export_favourites(self) -> None:
        favs = self.browser.favourites() if self.browser is not None else []
        if not favs:
            self.show_info("No favourites", "Star variations in the seed browser (Generate ▸ "
                           "Browse Seeds, or B) to export them together.")
            return
        seeds = [seed for seed, _, _ in favs]
        dialog = ExportDialog(self.current_selection().stem, seeds, self._export_folder(),
                              single=False, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        items = [ExportItem(seed, request, clip.frames if clip is not None else None)
                 for seed, request, clip in favs]
        self.start_export(items, dialog.targets(), dialog.crf.value(),
                          selection=self.browser.selection)

    def start_export(self, items: list[ExportItem], targets: list[Path], crf: int,
                     selection=None) -> bool:
        """Write items to targets on a worker with a progress dialog (no file dialogs)."""
        if self.exporter.busy:
            self.report_error("Export", "An export is already running.")
            return False
        selection = selection or self.current_selection()
        source = selection.path.resolve() if selection.path else None
        for target in targets:
            if source is not None and Path(target).expanduser().resolve() == source:
                self.report_error("Export", f"{Path(target).name}: the output cannot be the "
                                  "source file; choose another name.")
                return False
        self.exporter.start(items, [Path(t) for t in targets], selection, crf)
        return True

    def _on_exported(self, paths: list) -> None:
        if paths:
            self.settings.setValue("exportDir", str(Path(paths[0]).parent))
            names = ", ".join(Path(p).name for p in paths[:3])
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            self.statusBar().showMessage(f"Exported {names}{more} to {Path(paths[0]).parent}",
                                         10000)
        self.exported_paths = list(paths)

    # -- help --------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        self.show_info("Keyboard shortcuts", SHORTCUT_HELP)

    def show_about(self) -> None:
        self.show_info("About", "<b>VGPNN Editor</b><br>New videos from a single video: every "
                       "space-time patch of the result comes from the input (VGPNN, patch "
                       "nearest neighbours in a coarse-to-fine pyramid).")

"""Export Result and Export Favourites: the options dialog (starting from the session's
export preset), then a job with a progress dialog; the source file is never a target."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QDialog, QWidget

from app.state.media import Selection
from app.state.result_cache import ResultCache
from app.state.result_clip import ResultClip
from app.state.session import SessionModel
from app.state.settings import ExportPreset
from app.widgets.export_dialog import ExportDialog
from app.window import prompts
from app.window.messages import Messages
from app.window.runs import RunController
from app.window.view import ViewController
from app.workers.export_runner import ExportRunner
from app.workers.exporter import ExportItem, normalize_target
from app.workers.generation import cache_key
from engine.errors import InputError
from engine.io import SAMPLE_CLIP, check_target


class ExportController(QObject):
    def __init__(self, session: SessionModel, runs: RunController, cache: ResultCache,
                 view: ViewController, settings: QSettings, messages: Messages,
                 window: QWidget) -> None:
        super().__init__(window)
        self.session, self.runs, self.cache, self.view = session, runs, cache, view
        self.settings, self.messages, self._window = settings, messages, window
        self.runner = ExportRunner(window)
        self.exported_paths: list[Path] = []
        self.export_notes: list[str] = []  # what the last export left out (a sound), and why
        self.runner.finished.connect(self._on_exported)
        self.runner.failed.connect(lambda msg: messages.error("Export failed", msg))
        self.runner.cancelled.connect(
            lambda: messages.status("Export cancelled; nothing was written.", 8000))

    def export_folder(self) -> Path:
        """The project's last export folder, else the editor's, else the clip's."""
        for saved in (self.session.export.folder, self.settings.value("exportDir", "")):
            if saved and Path(str(saved)).is_dir():
                return Path(str(saved))
        clip = self.session.clip
        if clip is not None and clip.path is not None and os.access(clip.path.parent, os.W_OK) \
                and clip.path.resolve() != SAMPLE_CLIP.resolve():  # not into the program's own folder
            return clip.path.parent
        return Path.home()

    def export_result(self) -> None:
        result = self.view.result
        if result is None or not result.final:
            self.messages.error("Nothing to export", "Generate a result first and wait until "
                                "it is finished (the status shows “Done”).")
            return
        dialog = self._dialog([result.seed], single=True, still=len(result.frames) == 1)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        targets = [normalize_target(t, dialog.kind) for t in dialog.targets()]
        if not targets:
            self.messages.error("Export", "Choose a file to export to.")
            return
        if not self._may_replace(targets):
            return
        self._remember(dialog)
        item = ExportItem(result.seed, result.request, result.frames)
        self.start_export([item], targets, dialog.crf.value(), self._made_from(result))

    def _made_from(self, result: ResultClip) -> Selection | None:
        """The in/out range the result was made from (for its sound), while the same clip
        is open; None: the range set now."""
        source, made = self.session.clip, result.source_range
        if source is None or made is None or made[0] != source.serial or made[2] >= source.length:
            return None
        return source.selection(made[1], made[2])

    def _may_replace(self, targets: list[Path]) -> bool:
        """Refuse now what the writer would refuse (a folder holding other files, a
        missing folder), then ask before writing over files (or PNG-frame folders) that
        are there already; an empty folder is not asked about."""
        for target in targets:
            try:
                check_target(target)
            except InputError as exc:
                self.messages.error("Export", str(exc))
                return False
        there = [t for t in targets if t.exists() and not (t.is_dir() and not any(t.iterdir()))]
        return not there or prompts.ask_replace(self._window, there)

    def favourite_items(self) -> list[ExportItem]:
        """Every favourite with its own settings and range; finished ones from the cache."""
        items, length = [], self.session.clip.length
        for fav in self.session.favourites:
            if fav.in_out[1] >= length:
                continue  # made on a longer version of the clip
            selection = self.runs.selection_for(fav.settings, fav.in_out)
            request = self.runs.request_for(fav.settings, fav.in_out)
            done = self.cache.get(cache_key(selection, request))
            items.append(ExportItem(fav.seed, request, done.frames if done else None,
                                    selection))
        return items

    def export_favourites(self) -> None:
        items = self.favourite_items() if self.session.clip is not None else []
        if not items:
            self.messages.info("No favourites", "Star variations in the seed browser "
                               "(Generate ▸ Browse Seeds, or B) to export them together.")
            return
        if not all(item.frames is not None or self.runs.size_allowed(item.selection,
                                                                      item.request)
                   for item in items):
            return  # one of them would be computed over the limits: said in a dialog
        dialog = self._dialog([item.seed for item in items], single=False)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        targets = dialog.targets()
        if not self._may_replace(targets):
            return
        self._remember(dialog)
        self.start_export(items, targets, dialog.crf.value())

    def start_export(self, items: list[ExportItem], targets: list[Path], crf: int,
                     selection: Selection | None = None) -> bool:
        """Write items to targets on a worker with a progress dialog (no file dialogs)."""
        if self.runner.busy:
            self.messages.error("Export", "An export is already running.")
            return False
        selection = selection or self.runs.current_selection()
        source = selection.path.resolve() if selection.path else None
        for target in targets:
            if source is not None and Path(target).expanduser().resolve() == source:
                self.messages.error("Export", f"{Path(target).name}: the output cannot be "
                                    "the source file; choose another name.")
                return False
        self.runner.start(items, [Path(t) for t in targets], selection, crf)
        return True

    def _dialog(self, seeds: list[int], single: bool, still: bool = False) -> ExportDialog:
        preset = self.session.export
        stem = self.session.clip.path.stem if self.session.clip.path else "result"
        return ExportDialog(stem, seeds, self.export_folder(), single=single,
                            parent=self._window, kind=preset.format, crf=preset.crf, still=still)

    def _remember(self, dialog: ExportDialog) -> None:
        # A still's PNG image is not a format for the next (moving) result.
        kind = self.session.export.format if dialog.kind == "still" else dialog.kind
        folder = os.path.normpath(dialog.folder())  # "out/../out" is remembered as "out"
        self.session.set_export(ExportPreset(kind, dialog.crf.value(), folder))

    def _on_exported(self, paths: list, notes: list) -> None:
        if paths:
            self.settings.setValue("exportDir", str(Path(paths[0]).parent))
            names = ", ".join(Path(p).name for p in paths[:3])
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            said = f" ({'; '.join(notes)})" if notes else ""
            self.messages.status(f"Exported {names}{more} to {Path(paths[0]).parent}{said}",
                                 15000 if notes else 10000)
        self.exported_paths = list(paths)
        self.export_notes = list(notes)

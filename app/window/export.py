"""Export Result and Export Favourites: the options dialog (starting from the session's
export preset), then a job with a progress dialog; the source file is never a target."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.state.export_journal import ExportJournal
from app.state.media import Selection
from app.state.result_cache import ResultCache
from app.state.result_clip import ResultClip
from app.state.session import SessionModel
from app.state.settings import ExportPreset
from app.widgets.export_dialog import ExportDialog
from app.window import preferences, prompts
from app.window.messages import Messages
from app.window.runs import RunController
from app.window.view import ViewController
from app.workers.export_runner import ExportRunner
from app.workers.exporter import ExportItem, normalize_target, writer_target
from app.workers.generation import cache_key, made_as, to_result
from engine.errors import InputError
from engine.io import SAMPLE_CLIP, check_target
from engine.request import Request


class ExportController(QObject):
    # (selection token, request) of each favourite the export has to compute, as it starts.
    making = Signal(list)
    kept = Signal(object)  # ResultClip: a favourite the export computed, now in the cache

    def __init__(self, session: SessionModel, runs: RunController, cache: ResultCache,
                 view: ViewController, settings: QSettings, messages: Messages,
                 window: QWidget) -> None:
        super().__init__(window)
        self.session, self.runs, self.cache, self.view = session, runs, cache, view
        self.settings, self.messages, self._window = settings, messages, window
        self.runner = ExportRunner(window)
        self.exported_paths: list[Path] = []
        self.left_out: list[int] = []  # favourites the last export could not write (seeds)
        self.export_notes: list[str] = []  # what the last export left out (a sound), and why
        self.making_now: list[tuple[tuple, Request]] = []  # of `making` still to be computed
        self.runner.busy_changed.connect(lambda busy: busy or self.making_now.clear())
        # The targets of a running export, noted for the next start should this editor be
        # killed mid-write (set by the window once its recovery folder is known).
        self.journal: ExportJournal | None = None
        for outcome in (self.runner.finished, self.runner.failed, self.runner.cancelled):
            outcome.connect(self._end_journal)
        self.runner.finished.connect(self._on_exported)
        self.runner.computed.connect(self._keep_computed)
        self.runner.failed.connect(  # over the window in use (a seed browser hid it)
            lambda msg, written: messages.error("Export failed", msg + _kept(written, "failed"),
                                                over=QApplication.activeWindow()))
        self.runner.cancelled.connect(
            lambda written: messages.status("Export cancelled; " + (
                _kept(written, "was cancelled").lstrip() or "nothing was written."), 15000))

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
        if self._busy():
            return
        result = self.view.result
        if result is None or not result.final:
            # A run in progress replaced a finished result on screen: say how to get it back.
            earlier = self.view.finished
            self.messages.error("Nothing to export", (
                f"A new run is in progress; its result is not finished yet. To export the "
                f"finished one (seed {earlier.seed}), cancel the run (Esc): it comes back on "
                "screen." if earlier is not None and result is not None else
                "Generate a result first and wait until it is finished (the status shows “Done”)."))
            return
        made = self._made_from(result) or self.runs.current_selection()
        dialog = self._dialog([result.seed], single=True, still=len(result.frames) == 1,
                              sound=sound_line(made, len(result.frames) / result.fps))
        targets = self._chosen(dialog, lambda: [normalize_target(t, dialog.kind)
                                                for t in dialog.targets()])
        if targets is None:
            return
        item = ExportItem(result.seed, result.request, result.frames)
        made = replace(made, out_fps=result.fps)  # an analogy's: its clip A's rate
        if self.start_export([item], targets, dialog.crf.value(), made):
            self._remember(dialog)

    def _chosen(self, dialog: ExportDialog, targets: Callable[[], list[Path]]
                ) -> list[Path] | None:
        """The files the dialog names, once the user may write them; None when the dialog
        was cancelled. A refusal or a "no" to replacing a file goes back to the dialog as
        it was filled in (Cancel on "Replace?" closed it, and the export began again)."""
        while dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = targets()
            if not chosen:
                self.messages.error("Export", "Choose a file to export to.", over=dialog)
            elif self._may_replace(chosen, dialog):
                return chosen
        return None

    def _made_from(self, result: ResultClip) -> Selection | None:
        """The in/out range the result was made from (for its sound), while the same clip
        is open; None: the range set now."""
        source, made = self.session.clip, result.source_range
        if source is None or made is None or made[0] != source.serial or made[2] >= source.length:
            return None
        return source.selection(made[1], made[2])

    def _busy(self) -> bool:
        """One export at a time: said before its dialog is filled in, not after."""
        if self.runner.busy:
            self.messages.error("Export", "An export is already running; wait until it is "
                                "written, or cancel it.")
        return self.runner.busy

    def _inputs(self, selection: Selection | None = None) -> tuple[Path, ...]:
        """What an export must never write over: the source, and an analogy's clip A."""
        selection = selection or self.runs.current_selection()
        motion = self.session.motion
        return tuple(p for p in (selection.path, motion.path if motion else None) if p)

    def _may_replace(self, targets: list[Path], dialog: ExportDialog | None = None) -> bool:
        """Refuse now what the writer would refuse (an input, a folder holding other
        files), then ask before writing over files (or PNG-frame folders) that are there
        already; an empty folder is not asked about. A folder typed that does not exist yet
        (a new folder for the favourites) is made, once asked."""
        missing = sorted({t.parent for t in targets if not t.parent.exists()})
        for folder in missing:
            blocker = _file_above(folder)
            if blocker is not None:  # no folder can be made there: said now, not asked
                self.messages.error("Export", f"Cannot export into {folder}: {blocker} is a "
                                    "file, not a folder.", over=dialog)
                return False
            if not prompts.ask_create_folder(self._window, folder):
                return False
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.messages.error("Export", f"Cannot create the folder {folder}: "
                                    f"{(exc.strerror or str(exc)).lower()}", over=dialog)
                return False
        for target in targets:
            try:
                check_target(writer_target(target), protect=self._inputs())
            except InputError as exc:
                self.messages.error("Export", str(exc), over=dialog)
                return False
        there = [t for t in targets if t.exists() and not (t.is_dir() and not any(t.iterdir()))]
        return not there or prompts.ask_replace(self._window, there)

    def favourite_items(self) -> list[ExportItem]:
        """Every favourite with its own settings and range; finished ones from the cache.
        One made with a mask, sketch or clip A that has changed since comes from the cache
        only (the engine would make another video); if it is gone, it is left out, and
        `left_out` names it."""
        items, length = [], self.session.clip.length
        makers: dict[tuple, Callable] = {}  # a sketch's frames, a mask's arrays: once per range
        self.left_out = []  # see export_favourites: (seed, why)
        for fav in self.session.favourites:
            if fav.in_out[1] >= length:
                self.left_out.append((fav.seed, f"made on frames {fav.in_out[0] + 1}–"
                                      f"{fav.in_out[1] + 1} of a longer version of the clip"))
                continue
            selection = self.runs.selection_for(fav.settings, fav.in_out)
            # A sketch's frames and a mask's arrays: made on the export's worker.
            layered = fav.settings.task in ("sketch", "inpaint")
            request = self.runs.request_for(fav.settings, fav.in_out, arrays=not layered)
            # An analogy's clip A still being read is not the one it will be made with.
            own = self.session.makes(fav) and not (fav.settings.task == "analogy"
                                                   and self.runs.guided.loading)
            if own:
                done = self.cache.get(cache_key(selection, request)) \
                    if request.guide is not None or request.task != "analogy" else None
            else:  # made with other layers: their video, from the cache only
                selection = replace(selection, token=(*selection.token[:3], *fav.layers))
                done = self.cache.find(made_as(selection.token, request))
            if done is None and not own:
                self.left_out.append((fav.seed, "made with a mask, sketch or clip A other than "
                                      "the current one, and not in this session's memory"))
                continue
            if done is not None:  # made with another clip A: at that one's rate
                selection = replace(selection, out_fps=done.fps)
            prepare = None
            if layered and done is None:
                made = (fav.settings.task, fav.in_out)
                if made not in makers:  # a mask's arrays read now: a stroke may come later
                    makers[made] = (self.runs.inpaint.arrays_maker(*fav.in_out, now=True)
                                    if fav.settings.task == "inpaint" else
                                    self.runs.request_and_maker(fav.settings, fav.in_out)[1])
                prepare = makers[made]
            items.append(ExportItem(fav.seed, done.request if done else request,
                                    done.frames if done else None, selection, prepare))
        return items

    def export_favourites(self) -> None:
        if self._busy():
            return
        items = self.favourite_items() if self.session.clip is not None else []
        if self.left_out:
            lines = [f"Seed {seed}: {why}." for seed, why in self.left_out]
            self.messages.info("Favourites left out", "Left out of this export:\n" +
                               "\n".join(lines) + "\n\nGenerate ▸ Favourites makes one with the "
                               "current mask, sketch and clip (an analogy's with its own clip "
                               "A); Generate ▸ Favourites ▸ Remove forgets one.")
        if not items:
            if not self.left_out:
                self.messages.info("No favourites", "Star variations in the seed browser "
                                   "(Generate ▸ Browse Seeds, or B) to export them together.")
            return
        if not all(item.frames is not None or self.runs.size_allowed(item.selection,
                                                                      item.request)
                   for item in items):
            return  # one of them would be computed over the limits: said in a dialog
        selection = self.runs.current_selection()
        dialog = self._dialog([item.seed for item in items], single=False,
                              sound=FAVOURITES_SOUND if selection.has_audio else "")
        targets = self._chosen(dialog, dialog.targets)
        if targets is None:
            return
        if self.start_export(items, targets, dialog.crf.value()):
            self._remember(dialog)

    def start_export(self, items: list[ExportItem], targets: list[Path], crf: int,
                     selection: Selection | None = None) -> bool:
        """Write items to targets on a worker with a progress dialog (no file dialogs)."""
        if self._busy():
            return False
        selection = selection or self.runs.current_selection()
        inputs = self._inputs(selection)
        for target in targets:
            if any(Path(target).expanduser().resolve() == p.resolve() for p in inputs):
                self.messages.error("Export", f"{Path(target).name}: the output cannot be "
                                    "an input (the source or clip A); choose another name.")
                return False
        if self.journal is not None:
            self.journal.begin([writer_target(Path(t)) for t in targets])
        self.runner.start(items, [Path(t) for t in targets], selection, crf, inputs)
        self.making_now = [(item.selection.token, item.request) for item in items
                           if item.frames is None]
        if self.making_now:
            self.making.emit(list(self.making_now))
        return True

    def _end_journal(self, *_outcome) -> None:
        if self.journal is not None:
            self.journal.end()

    def _dialog(self, seeds: list[int], single: bool, still: bool = False,
                sound: str = "") -> ExportDialog:
        preset = self.session.export
        stem = self.session.clip.path.stem if self.session.clip.path else "result"
        return ExportDialog(stem, seeds, self.export_folder(), single=single,
                            parent=self._window, kind=preset.format, crf=preset.crf, still=still,
                            sound=sound)

    def _remember(self, dialog: ExportDialog) -> None:
        # A still's PNG image is not a format for the next (moving) result.
        kind = self.session.export.format if dialog.kind == "still" else dialog.kind
        folder = os.path.abspath(dialog.folder())  # "out/../out" is remembered as "out"
        preset = ExportPreset(kind, dialog.crf.value(), folder)
        self.session.set_export(preset)  # the project's (not an unsaved edit: an export)
        preferences.remember_export(self.settings, preset,  # the editor's, kept at once
                                    self.session.project_path)

    def _keep_computed(self, made: tuple) -> None:
        """A favourite the export computed goes into the session's cache, as the seed
        browser's videos do: a later export (or the browser) takes it from there instead of
        computing it again. Its realism is scored where it is shown (a cached clip's)."""
        item, selection, level = made
        clip = to_result(level, item.request, selection)
        self.cache.put(cache_key(selection, item.request), clip)
        made_now = (item.selection.token, item.request)
        if made_now in self.making_now:
            self.making_now.remove(made_now)
        self.kept.emit(clip)  # a grid's tile of the same seed and setup takes it

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


def _kept(written: list, what: str) -> str:
    """Which files an export wrote before it stopped: they stay, each is complete."""
    if not written:
        return ""
    names = ", ".join(Path(p).name for p in written[:3])
    more = f" and {len(written) - 3} more" if len(written) > 3 else ""
    return (f" {len(written)} file{'s' if len(written) != 1 else ''} written before it {what} "
            f"{'were' if len(written) != 1 else 'was'} kept: {names}{more} in {Path(written[0]).parent}.")


def _file_above(folder: Path) -> Path | None:
    """The file standing where `folder` or a folder above it would be made, if any."""
    for place in (folder, *folder.parents):
        if place.exists():
            return None if place.is_dir() else place
    return None


FAVOURITES_SOUND = ("Sound: each video keeps the clip's when it lasts as long as its in/out "
                    "range; a longer or shorter one is written without.")


def sound_line(selection: Selection, seconds: float) -> str:
    """What the export dialog says of a result's sound ("" for a clip without): kept when
    the result lasts as long as the range it was made from (the writer's rule, within half a
    frame), left out otherwise, and left out when the file is no longer the one read (the
    writer's check: the dialog said "kept" and the file was written silent)."""
    if not selection.has_audio:
        return ""
    gone = selection.sound_gone()
    if gone:
        return f"Sound: left out: {gone}."
    if abs(seconds - selection.duration) <= 0.5 / float(selection.output_fps):
        return "Sound: the clip's, kept."
    return (f"Sound: left out: the result lasts {seconds:.2f} s, the range it was made from "
            f"{selection.duration:.2f} s.")

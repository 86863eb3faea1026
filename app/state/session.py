"""The editing session: everything a user would lose if the editor closed, in one plain
Python model (no Qt) that a project file stores and autosave writes to a recovery file.

It holds the source (path, size, sampled hash), the in/out range, every control-panel
setting, the mask and hint layers, the favourites and the export preset, plus the opened
frames (not saved: they are read again from the source). For analogies and sketches it also
holds the motion clip A (its path is a setting; the frames are read again) and the sketch
layers (ink and tones on the clip's frames, saved as the mask is). Controllers of the window write
through its methods and views subscribe to its events (napari's model/view split).
Every change bumps a revision; `dirty` means "changed since the last save or open".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.inpaint.mask_model import MaskModel
from app.state.events import Event
from app.state.fingerprint import SourceInfo
from app.state.in_out import InOutRange
from app.state.project_file import SUFFIX, LaterLayers, PaintLayers, ProjectData
from app.state.settings import EARLIER_LAYERS, ExportPreset, Favourite, PanelSettings

if TYPE_CHECKING:
    from app.state.media import Source


class SessionModel:
    def __init__(self) -> None:
        self.in_out = InOutRange()
        self.mask = MaskModel((1, 1, 1))
        self.sketch = MaskModel((1, 1, 1))
        self.motion: Source | None = None  # the analogy's motion clip (A)
        self.settings = PanelSettings()
        self.favourites: list[Favourite] = []
        self.export = ExportPreset()
        self.source: SourceInfo | None = None
        self.clip: Source | None = None  # the frames as read for editing (never saved)
        self.project_path: Path | None = None

        self.clip_changed = Event()  # (clip): a clip or a project replaced the session
        self.motion_changed = Event()  # (Source | None): the analogy's motion clip
        self.settings_changed = Event()  # (PanelSettings)
        self.favourites_changed = Event()  # (list[Favourite])
        self.export_changed = Event()  # (ExportPreset)
        self.dirty_changed = Event()  # (bool)
        self.project_changed = Event()  # (Path | None): opened, saved as, or new
        self.edited = Event()  # (what: str): an unsaved change ("mask", "settings", ...)

        self._revision = 0
        self._saved_revision = 0
        self._edit_revision = 0  # the last revision that was an edit, not export choices
        self._replacing = False  # set_clip / restore: their own resets are not edits
        self.in_out.changed.connect(lambda first, last: self._touch("in_out"))
        self.mask.edited.connect(lambda: self._touch("mask"))
        self.sketch.edited.connect(lambda: self._touch("sketch"))

    # -- state ---------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._revision != self._saved_revision

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def name(self) -> str:
        """The project's name ("Untitled" until it is saved)."""
        return self.project_path.stem if self.project_path else "Untitled"

    def layers_token(self, settings: PanelSettings, in_out: tuple[int, int]) -> tuple:
        """What names the painted layers or clip A a result of `settings` over `in_out` is
        made with, in this session: the mask's state over the range (strokes elsewhere do
        not change the result), the sketch's state, clip A's serial; () for other tasks."""
        if settings.task == "inpaint":
            return ("mask", self.mask.range_state(*in_out))
        if settings.task == "sketch":
            return ("sketch", self.sketch.state)
        if settings.task == "analogy":
            return ("motion", None if self.motion is None else self.motion.serial)
        return ()

    def makes(self, favourite: Favourite) -> bool:
        """Whether the open mask, sketch and clip A make this favourite's video (an
        analogy's: the clip A it names is the one open)."""
        if not favourite.made_with(self.layers_token(favourite.settings, favourite.in_out)):
            return False
        return favourite.settings.task != "analogy" or (
            self.motion is not None and str(self.motion.path) == favourite.settings.motion_path)

    def is_favourite(self, favourite: Favourite) -> bool:
        return any(f.matches(favourite) for f in self.favourites)

    # -- changes -------------------------------------------------------------------------
    def set_clip(self, clip: Source, source: SourceInfo) -> None:
        """A newly opened clip starts a new session: the whole range, an empty mask, no
        favourites and no project file. Settings stay, except sizes (the source's)."""
        self._replacing = True
        try:
            self.clip, self.source = clip, source
            self.project_path = None
            self.favourites = []
            self.settings = self.settings.with_(width=clip.width, height=clip.height,
                                                frames=clip.length)
            self.mask.reset(clip.frames.shape[:3])
            self.sketch.reset(clip.frames.shape[:3])
            self.in_out.reset(clip.length)
        finally:
            self._replacing = False
        self._announce_new()

    def set_settings(self, settings: PanelSettings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.settings_changed.emit(settings)
            self._touch("settings")

    def set_motion(self, motion: Source | None) -> None:
        """The analogy's motion clip (A), or None. Its path is a panel setting (the Analogy
        page shows it and commits it as any other setting)."""
        self.motion = motion
        self.motion_changed.emit(motion)

    def set_favourite(self, favourite: Favourite, on: bool) -> None:
        """Star or unstar a variation (matched by seed, range and result settings)."""
        if on == self.is_favourite(favourite):
            return
        if on:
            self.favourites.append(favourite)
        else:
            self.favourites = [f for f in self.favourites if not f.matches(favourite)]
        self.favourites_changed.emit(list(self.favourites))
        self._touch("favourites")

    def remove_favourite(self, favourite: Favourite) -> None:
        """Forget this one favourite (unstarring in a grid removes those that match it)."""
        kept = [f for f in self.favourites if f is not favourite]
        if len(kept) != len(self.favourites):
            self.favourites = kept
            self.favourites_changed.emit(list(self.favourites))
            self._touch("favourites")

    def set_export(self, preset: ExportPreset) -> None:
        """The export dialog's last choices. An export is not an edit: a project saved and
        then exported has nothing unsaved (closing does not ask). The preset is saved with
        the project's next save, and goes into the recovery file with unsaved changes."""
        if preset != self.export:
            self.export = preset
            self.export_changed.emit(preset)
            if self.dirty:
                self._touch("export")  # a new revision: autosave writes it with the rest

    def mark_saved(self, path: Path | None = None, revision: int | None = None) -> None:
        """The session was written to `path` (a project file): no unsaved changes, or only
        those made after `revision` (what a save on another thread wrote)."""
        if path is not None and path != self.project_path:
            self.project_path = Path(path)
            self.project_changed.emit(self.project_path)
        was = self.dirty
        if revision is None or self._edit_revision <= revision:
            # Export choices made while the file was written are no edit (set_export): the
            # preset goes with the next save, as after any export.
            revision = self._revision
        self._saved_revision = revision
        if was and not self.dirty:
            self.dirty_changed.emit(False)

    # -- projects ------------------------------------------------------------------------
    def snapshot(self, project_path: Any = None, later: bool = False) -> ProjectData:
        """A copy of the session for a project or recovery file (safe to write on another
        thread while painting goes on). later: the painted layers are copied by the thread
        that writes the file (LaterLayers; it writes nothing if they change before)."""
        if self.source is None:
            raise ValueError("no clip is open")
        layers = _later if later else _painted
        return ProjectData(
            source=self.source, in_out=(self.in_out.in_point, self.in_out.out_point),
            settings=self.settings, favourites=[self._as_saved(f) for f in self.favourites],
            export=self.export, inpaint=layers(self.mask), sketch=layers(self.sketch),
            project_path=None if project_path is None else str(project_path))

    def restore(self, data: ProjectData, clip: Source, source: SourceInfo,
                project_path: Path | None, dirty: bool = False,
                take: bool = False) -> list[str]:
        """Take a project's (or a recovery file's) state for `clip`, read from `source`.
        Returns notes for the user about what could not be taken as it was.

        take: `data` is handed over (read for this restore, nothing else holds it): its
        painted layers become the session's as they are, and leave `data` (its inpaint and
        sketch are None after), so nothing sees them change with the strokes that follow.
        Otherwise they are copied and `data` stays as it was."""
        self._replacing = True
        try:
            notes = self._take(data, clip, source, project_path, take)
        finally:
            self._replacing = False
        self._announce_new()
        if dirty:
            self._touch("restore")
        return notes

    def _take(self, data: ProjectData, clip: Source, source: SourceInfo,
              project_path: Path | None, take: bool) -> list[str]:
        notes = []
        self.clip, self.source = clip, source
        self.project_path = Path(project_path) if project_path else None
        self.settings = data.settings
        self.favourites = list(data.favourites)
        self.export = data.export
        shape = tuple(clip.frames.shape[:3])
        dropped = set()  # the tasks whose layers could not be loaded
        for model, kind, what, task in (
                (self.mask, "inpaint", "The mask was painted", "inpaint"),
                (self.sketch, "sketch", "The sketch was drawn", "sketch")):
            model.reset(shape)
            layers = getattr(data, kind)
            if layers is None:
                continue
            if take:
                setattr(data, kind, None)  # the model's from now on
            if layers.mask.shape == shape:  # no all-zero hints made: 4x the mask's size
                # A file's reader found the frames with a hole (masked) and whether the
                # hints hold a colour (hints_saved): not looked for again on this thread.
                known = layers.masked is not None
                model.load(layers.mask, layers.hints if layers.hints_saved else None,
                           layers.box, masked=layers.masked,
                           hinted=layers.hints_saved if known else None, take=take)
            else:
                was = "×".join(map(str, layers.mask.shape))
                notes.append(f"{what} on a clip of {was} (frames × height × width); this "
                             f"clip is {'×'.join(map(str, shape))}, so it was not loaded.")
                dropped.add(task)
        # A file's favourites were made with the layers it holds: named by them now, so a
        # later edit makes them "earlier" as for a favourite starred in this session.
        self.favourites = [replace(f, layers=EARLIER_LAYERS) if f.settings.task in dropped
                           else self._stamped(f) for f in self.favourites]
        self.in_out.reset(clip.length)
        self.in_out.set_range(*data.in_out)
        if data.in_out[1] >= clip.length:
            notes.append(f"The in/out range was cut to the clip's {clip.length} frames.")
        return notes

    def project_file_for(self, folder: Path) -> Path:
        """A default project file name: the clip's name in `folder`."""
        stem = Path(self.source.path).stem if self.source else "untitled"
        return folder / (stem + SUFFIX)

    # -- internals -----------------------------------------------------------------------
    def _stamped(self, favourite: Favourite) -> Favourite:
        """A favourite of the mask or sketch just loaded, named by their state (clip A is
        read later: an analogy's favourite stays unknown, made with the clip A it names)."""
        if (favourite.layers or favourite.settings.task not in ("inpaint", "sketch")
                or favourite.in_out[1] >= self.mask.shape[0]):
            return favourite
        return replace(favourite, layers=self.layers_token(favourite.settings, favourite.in_out))

    def _as_saved(self, favourite: Favourite) -> Favourite:
        """A favourite as a file keeps it: made with the layers saved beside it, or with
        earlier ones (the same seed with these layers would make another video). One made
        on a longer version of the clip stays as it is (no range of this clip names it)."""
        if favourite.in_out[1] >= self.mask.shape[0]:
            return favourite
        same = favourite.made_with(self.layers_token(favourite.settings, favourite.in_out))
        return replace(favourite, layers=() if same else EARLIER_LAYERS)

    def _announce_new(self) -> None:
        self._saved_revision = self._revision = self._edit_revision = self._revision + 1
        self.project_changed.emit(self.project_path)
        self.clip_changed.emit(self.clip)
        self.settings_changed.emit(self.settings)
        self.favourites_changed.emit(list(self.favourites))
        self.export_changed.emit(self.export)
        self.dirty_changed.emit(False)

    def _touch(self, what: str) -> None:
        if self._replacing or self.source is None:
            return  # resets while replacing are no edits; without a clip nothing can be saved
        was = self.dirty
        self._revision += 1
        if what != "export":
            self._edit_revision = self._revision
        if not was:
            self.dirty_changed.emit(True)
        self.edited.emit(what)


def _painted(model: MaskModel) -> PaintLayers | None:
    """A copy of the model's painted box only, not the whole clip (None: nothing painted)."""
    box = model.tight_extent()
    if box is None:
        return None
    # No hint colour ever painted: no copy of the all-zero hints, four times the mask's size
    # (after an Invert of a Full-HD clip, 133 MB at every autosave).
    return PaintLayers(model.mask[box].copy(), model.hints[box].copy() if model.hinted else None,
                       tuple(s.start for s in box))


def _later(model: MaskModel) -> LaterLayers | None:
    """_painted, copied on the thread that writes the file (None: nothing ever painted)."""
    return None if model.extent() is None else LaterLayers(model.copy_later())

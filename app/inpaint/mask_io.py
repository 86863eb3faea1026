"""Masks and hint colours to and from numbered PNG frames, through the engine's I/O.

Mask frames: white = hole. Hint frames: the painted colour, black where nothing is painted.
A single image (or one frame) is used for every frame; a scaled copy is resized (nearest).
Reading is the engine's (engine/io/masks.py), so the editor accepts what the CLI accepts.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from fractions import Fraction
from os import PathLike
from pathlib import Path

import numpy as np

from app.state.media import MEDIA_PATTERNS, project_not_clip
from app.state.project_file import SUFFIX
from engine.errors import InputError
from engine.io.clip import IMAGE_EXTS
from engine.io.masks import load_hints as load_layer_hints
from engine.io.masks import load_mask as load_layer_mask
from engine.io.probe import sequence_kind
from engine.io.writer import FRAMES_MARK, written_frames_folder

PNG_FPS = Fraction(25)  # PNG frames carry no rate; any will do


def load_mask(path: str | PathLike[str], shape: tuple[int, int, int],
              cancel: Callable[[], bool] | None = None,
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(T, H, W) uint8 coverage, 255 where the picture is bright (any channel > 127). Read and
    checked as the engine reads a run's mask (one frame or one per frame, the clip's aspect
    ratio), except that a blank layer is accepted: painting goes on from it. cancel() is
    asked at every frame read (Cancelled); progress(read, expected) told after each."""
    _not_a_project(path)
    return load_layer_mask(path, shape, source_frames=shape[0], allow_blank=True,
                           cancel=cancel, progress=progress).astype(np.uint8) * 255


def load_hints(path: str | PathLike[str], shape: tuple[int, int, int],
               cancel: Callable[[], bool] | None = None,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(T, H, W, 4) RGBA: the colour with alpha 255 where not (nearly) black, 0 elsewhere."""
    _not_a_project(path)
    return load_layer_hints(path, shape, source_frames=shape[0], allow_blank=True, cancel=cancel,
                            progress=progress)


def _not_a_project(path: str | PathLike[str]) -> None:
    if Path(path).suffix.lower() == SUFFIX:  # the engine's message names the command line
        raise InputError(project_not_clip(path, "Import masks takes mask frames: a folder of "
                                          "numbered images, one image or a video."))


MASK_FILTER = f"Masks: PNG frames, images, videos ({MEDIA_PATTERNS});;All files (*)"


def import_target(path: str | PathLike[str]) -> Path:
    """What a picked file stands for: one frame of a numbered image sequence (a name that
    ends in digits, beside other images of the same kind) stands for its whole folder, as a
    compositing tool imports a sequence from any of its frames, and so does the hidden mark
    in a folder the editor exported (a dialog showing hidden files offers it); any other
    file for itself
    (an image used for every frame, or a video)."""
    p = Path(path).expanduser()
    if p.name == FRAMES_MARK and p.is_file():  # the hidden mark of a folder an export wrote
        return p.parent
    if not (p.is_file() and p.suffix.lower() in IMAGE_EXTS and p.stem[-1:].isdigit()):
        return p
    # A frame of a folder an export wrote stands for it even alone: a still's export is one
    # frame, and picked as itself its "_hints" folder was not read (the colours were lost).
    if written_frames_folder(p.parent):
        return p.parent
    try:
        return p.parent if len(numbered_like(p)) > 1 else p
    except OSError:
        return p


def numbered_like(image: Path) -> list[Path]:
    """The images beside `image` (itself included) of its numbered sequence: named alike but
    for their numbers, as the engine groups a folder's frames (beach_mask1.png beside one
    beach_2024.png is an image alone, not a folder of two sequences)."""
    kind = sequence_kind(image)
    return [q for q in image.parent.iterdir()
            if q.stem[-1:].isdigit() and not q.name.startswith(".") and sequence_kind(q) == kind]


HINT_DARKEST = 9  # the darkest grey a hints file can hold as painted


def hints_folder_for(folder: str | PathLike[str]) -> Path:
    """Where hint colours go beside a mask folder: "<name>_hints"."""
    p = Path(folder).expanduser()
    return p.with_name(p.name + "_hints")


def check_export(folder: str | PathLike[str], hints: bool,
                 hints_folder: str | PathLike[str] | None = None) -> list[Path]:
    """Before masks are written to `folder` (with hint colours to `hints_folder`, default
    "<folder>_hints", when `hints`): raise InputError for a target that would not be
    written (no such parent folder, read-only, a file, or a folder that is not an earlier
    export: other files in it, or frames this editor did not write). Returns the folders of
    an earlier export that the new one replaces (its colours too: removed when the new
    export has none), to ask about first."""
    from engine.io import check_target

    beside = Path(hints_folder or hints_folder_for(folder)).expanduser()
    targets = [Path(folder).expanduser()] + ([beside] if hints else [])
    for target in targets:
        check_target(str(target).rstrip("/\\") + "/")  # as a folder of frames
    return [p for p in (targets[0], beside) if p.is_dir() and earlier_export(p)]


def earlier_export(folder: Path) -> bool:
    """Whether `folder` holds frames an earlier export wrote (marked by the writer)."""
    from engine.io.writer import written_frames_folder

    return written_frames_folder(folder)


def save_png(mask: np.ndarray, hints: np.ndarray | None, folder: str | PathLike[str],
             hints_folder: str | PathLike[str] | None = None, *,
             progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> list[Path]:
    """Write mask (T, H, W) bool as white-on-black PNG frames, and hints (T, H, W, 4) RGBA as
    RGB frames (black where unpainted) when given. Each folder appears complete or not at
    all; a target that is not an earlier export is refused before either is written.
    progress(done, total) and cancel() are called at every frame (Cancelled: nothing left)."""
    from engine.io import write_video
    from engine.io.writer import written_frames_folder

    check_export(folder, hints is not None, hints_folder)
    # White as a view of one grey layer, three channels made a frame at a time by the
    # writer: np.repeat over the clip held the GIL and froze the editor 0.8 s (64 Full-HD
    # frames).
    grey = np.multiply(mask, 255, dtype=np.uint8)
    white = np.broadcast_to(grey[..., None], (*grey.shape, 3))
    written = [_write(write_video, white, folder, progress, cancel)]
    beside = Path(hints_folder or hints_folder_for(folder)).expanduser()
    if hints is not None:
        painted = hints[..., 3:] > 0
        rgb = hints[..., :3].astype(np.int16)
        # Black is "not painted" in the files (engine.io.masks.load_hints: every channel at
        # most 8): a painted black (the default hint colour) is lifted to a grey of 9, or
        # Import and the CLI read it as no hint at all, a plain hole.
        lift = np.clip(HINT_DARKEST - rgb.max(axis=-1, keepdims=True), 0, None)
        rgb = np.where(painted, rgb + lift, 0).astype(np.uint8)
        written.append(_write(write_video, rgb, beside, progress, cancel))
    elif written_frames_folder(beside):
        # An earlier export's colours, now erased: Import would bring them back as holes.
        shutil.rmtree(beside)
    return written


def save_frames(frames: np.ndarray, folder: str | PathLike[str]) -> Path:
    """Write (T, H, W, 3) uint8 frames (a sketch) as numbered PNG frames into `folder`,
    which appears complete or not at all; refused as save_png refuses."""
    from engine.io import write_video

    check_export(folder, False)
    return _write(write_video, frames, folder)


def _write(write_video, frames: np.ndarray, folder: str | PathLike[str],
           progress: Callable[[int, int], None] | None = None,
           cancel: Callable[[], bool] | None = None) -> Path:
    text = str(Path(folder).expanduser())
    # A trailing separator tells the writer "a folder of frames", even if it does not exist.
    return write_video(frames, text.rstrip("/\\") + "/", fps=PNG_FPS, progress=progress,
                       cancel=cancel)

"""The `.vgpnn` project file: one zip holding `project.json` (a versioned, human-readable
document: source, in/out, settings, favourites, export preset) and the painted layers as
numpy arrays, each cropped to the box that holds paint: the inpainting mask and its hint
colours (`layers/mask.npy`, `layers/hints.npy`) and the sketch's ink and tones
(`layers/sketch_mask.npy`, `layers/sketch_hints.npy`). Results are not stored: seed and
settings remake them exactly.

Writing is atomic (app.state.atomic). Reading checks everything (a project file may be
damaged, hostile or from a newer editor) and raises ProjectError with one clear line.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.inpaint.ops import HOLE, rgba_words, true_box, zeros
from app.state.atomic import write_atomic
from app.state.fingerprint import SourceInfo
from app.state.settings import (
    ExportPreset,
    Favourite,
    PanelSettings,
    SettingsError,
    parse_range,
)

FORMAT = "vgpnn-project"
# Raise when a reader of this version would misread a newer file. 2 (2026-12-07):
# settings.blend_seams is "off", "auto" or "on" (version 1 wrote true or false, read as
# "on" or "off"), which a version-1 reader refused as a damaged setting.
VERSION = 2
SUFFIX = ".vgpnn"
MAX_JSON_BYTES = 16 * 2**20
# Above any clip the editor opens (engine.io.clip.MAX_VOXELS, 64 Full-HD frames), and small
# enough that a hand-edited size cannot ask for terabytes.
MAX_LAYER_VOXELS = 4 * 1920 * 1080 * 64


# What a damaged or unsupported zip (or member) raises while it is read.
# (A member name that is not UTF-8 makes ZipFile() raise UnicodeDecodeError.)
_DAMAGED_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error,
                NotImplementedError, RuntimeError, UnicodeDecodeError)


class ProjectError(Exception):
    """A project file that cannot be read; the message is for the user, as is."""


class SnapshotStale(Exception):
    """Deferred layers (LaterLayers) changed before the writing thread copied them: the
    file is not written (a later snapshot is)."""


@dataclass
class PaintLayers:
    """One painted layer pair: mask (T, H, W) uint8 and hints (T, H, W, 4) uint8 RGBA (None:
    no colour painted). Read from a file they are full size; to save, they may be a crop
    whose first voxel lies at `at` (t, y, x) in the clip."""

    mask: np.ndarray
    hints: np.ndarray | None = None
    at: tuple[int, int, int] = (0, 0, 0)
    # Read from a file: the (t, y, x) box of the clip holding every painted voxel (the
    # layers are 0 outside it, and their pages were never written: reading them faults
    # each in), whether the file held hint colours (False: hints is all 0), and (T,) bool
    # the frames with a hole (>= HOLE). The last two are found on the reading thread: the
    # scans of a whole-clip Full-HD mask and its hints took 13 + 50 ms of the GUI thread.
    box: tuple[slice, slice, slice] | None = None
    hints_saved: bool = True
    masked: np.ndarray | None = None


@dataclass(frozen=True)
class LaterLayers:
    """Layers that the thread writing the file copies (an autosave's: the copy of a big
    mask would block the GUI thread). copy(): (box, mask, hints) as MaskModel.copy_later
    gives them, None when nothing is painted; raises SnapshotStale."""

    copy: Callable[[], tuple | None]

    def take(self) -> PaintLayers | None:
        got = self.copy()
        if got is None:
            return None
        box, mask, hints = got
        return PaintLayers(mask, hints, tuple(s.start for s in box))


# The document's key and the zip members of each layer ("layers" predates the sketch's).
_LAYER_FILES = {"inpaint": ("layers", "layers/mask.npy", "layers/hints.npy"),
                "sketch": ("sketch_layers", "layers/sketch_mask.npy", "layers/sketch_hints.npy")}


@dataclass
class ProjectData:
    """Everything a project (or a recovery file) holds. inpaint: the inpainting mask and
    hint colours; sketch: the sketch's ink and tones; each None when nothing is painted."""

    source: SourceInfo
    in_out: tuple[int, int]
    settings: PanelSettings
    favourites: list[Favourite] = field(default_factory=list)
    export: ExportPreset = field(default_factory=ExportPreset)
    inpaint: PaintLayers | LaterLayers | None = None
    sketch: PaintLayers | LaterLayers | None = None
    saved_at: str = ""  # ISO 8601, set when written
    project_path: str | None = None  # recovery files: the project the session belonged to


def save_project(data: ProjectData, path: str | os.PathLike[str]) -> Path:
    """Write `data` to `path` atomically; returns the path written."""
    data.saved_at = datetime.now().astimezone().isoformat(timespec="seconds")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "saved_at": data.saved_at,
        "source": data.source.to_dict(),
        "in_out": list(data.in_out),
        "settings": data.settings.to_dict(),
        "favourites": [f.to_dict() for f in data.favourites],
        "export": data.export.to_dict(),
        "project_path": data.project_path,
    }
    members: dict[str, np.ndarray] = {}
    for kind, (key, mask_name, hints_name) in _LAYER_FILES.items():
        doc[key] = None
        layers = getattr(data, kind)
        if isinstance(layers, LaterLayers):  # copied now, on this thread, before writing
            layers = layers.take()
        cropped = _crop_layers(layers)
        if cropped is not None:
            box, mask, hints = cropped
            doc[key] = {"shape": list(data.source.shape), "box": box, "mask": mask_name,
                        "hints": None if hints is None else hints_name}
            members[mask_name] = mask
            if hints is not None:
                members[hints_name] = hints

    def write(f) -> None:
        # Level 1: masks are mostly flat areas, which compress well even at the fastest level.
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("project.json", json.dumps(doc, indent=2, ensure_ascii=False))
            for name, array in members.items():
                _write_array(zf, name, array)

    return write_atomic(path, write)


def load_project(path: str | os.PathLike[str]) -> ProjectData:
    """Read and check a project file; ProjectError (one line for the user) when it cannot."""
    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as zf:
            doc = _read_doc(zf, name)
            try:
                data = _from_doc(doc)
                for kind, (key, _, _) in _LAYER_FILES.items():
                    setattr(data, kind, _read_layers(zf, doc.get(key), key, data.source.shape))
            except SettingsError as exc:
                raise ProjectError(f"{name} is damaged: {exc}.") from None
    except FileNotFoundError:
        raise ProjectError(f"{name}: the file was not found.") from None
    except _DAMAGED_ZIP:
        raise ProjectError(f"{name} is not a VGPNN project, or the file is damaged "
                           "(it is not a readable zip file).") from None
    except OSError as exc:
        raise ProjectError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None
    return data


def read_summary(path: str | os.PathLike[str]) -> dict:
    """The JSON document alone (fast: no layers), for the recovery prompt."""
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_doc(zf, Path(path).name)
    except _DAMAGED_ZIP + (OSError,) as exc:
        raise ProjectError(f"{Path(path).name}: unreadable ({exc})") from None


# -- internals ------------------------------------------------------------------------------
def _read_doc(zf: zipfile.ZipFile, name: str) -> dict:
    try:
        info = zf.getinfo("project.json")
    except KeyError:
        raise ProjectError(f"{name} is not a VGPNN project (it holds no project.json).") from None
    if info.file_size > MAX_JSON_BYTES:
        raise ProjectError(f"{name} is damaged: project.json is implausibly large.")
    try:
        doc = json.loads(zf.read(info).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile, RecursionError) as exc:
        # (RecursionError: JSON nested deeper than Python's stack; a RuntimeError, which the
        # zip's handler would call "not a readable zip file".)
        raise ProjectError(f"{name} is damaged: project.json cannot be read ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProjectError(f"{name} is not a VGPNN project.")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise ProjectError(f"{name} is damaged: it has no valid format version.")
    if version > VERSION:
        raise ProjectError(f"{name} was saved by a newer version of the editor (project "
                           f"format {version}; this one reads up to {VERSION}). Update the "
                           "editor to open it.")
    return doc


def _from_doc(doc: dict) -> ProjectData:
    source = SourceInfo.from_dict(doc.get("source"))
    in_out = parse_range(doc.get("in_out"), "in_out")
    if in_out[1] >= source.frames:
        raise SettingsError(f"in_out: {list(in_out)} lies outside the clip's "
                            f"{source.frames} frames")
    favourites = doc.get("favourites", [])
    if not isinstance(favourites, list):
        raise SettingsError("favourites: expected a list")
    project_path = doc.get("project_path")
    return ProjectData(
        source=source, in_out=in_out, settings=PanelSettings.from_dict(doc.get("settings")),
        favourites=[Favourite.from_dict(f) for f in favourites],
        export=ExportPreset.from_dict(doc.get("export", {})),
        saved_at=str(doc.get("saved_at", "")),
        project_path=project_path if isinstance(project_path, str) else None)


def _crop_layers(layers: PaintLayers | None):
    """(box [t0, t1, y0, y1, x0, x1] in the clip, mask crop, hints crop or None) of the
    painted voxels, or None if there are none."""
    if layers is None:
        return None
    mask, hints, at = layers.mask, layers.hints, layers.at
    painted = mask > 0
    has_hints = hints is not None and bool(hints[..., 3].any())
    if has_hints:
        painted = painted | (hints[..., 3] > 0)
    if not painted.any():
        return None
    crop, box = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(painted.any(axis=other))
        crop.append(slice(int(hit[0]), int(hit[-1]) + 1))
        box += [at[axis] + int(hit[0]), at[axis] + int(hit[-1]) + 1]
    crop = tuple(crop)
    return box, mask[crop], (hints[crop] if has_hints else None)


def _write_array(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with zf.open(name, "w", force_zip64=True) as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)


def _read_layers(zf: zipfile.ZipFile, layers: Any, key: str,
                 source_shape: tuple[int, int, int]) -> PaintLayers | None:
    """The full-size layers described by the document's `key` entry, or None."""
    if layers is None:
        return None
    if not isinstance(layers, dict):
        raise SettingsError(f"{key}: expected an object")
    shape = layers.get("shape")
    shape = tuple(shape) if isinstance(shape, list) else None
    if shape != source_shape:
        raise SettingsError(f"{key}: shape {layers.get('shape')} does not match the source "
                            f"{list(source_shape)}")
    if math.prod(shape) > MAX_LAYER_VOXELS:
        raise SettingsError(f"{key}: implausibly large")
    box = layers.get("box")
    if not (isinstance(box, list) and len(box) == 6 and all(isinstance(v, int) for v in box)):
        raise SettingsError(f"{key}.box: expected six whole numbers")
    t0, t1, y0, y1, x0, x1 = box
    if not (0 <= t0 < t1 <= shape[0] and 0 <= y0 < y1 <= shape[1] and 0 <= x0 < x1 <= shape[2]):
        raise SettingsError(f"{key}.box: {box} lies outside the clip")
    crop = (t1 - t0, y1 - y0, x1 - x0)
    box = (slice(t0, t1), slice(y0, y1), slice(x0, x1))
    # Zero until written (ops.zeros): only the crop takes memory (np.zeros cleared the whole
    # clip's layers, 1.2 GB for 120 Full-HD frames, on the GUI thread of an open).
    mask = zeros(shape, np.uint8)
    read = _read_array(zf, layers.get("mask"), crop)
    mask[box] = read
    masked = np.zeros(shape[0], bool)
    masked[box[0]] = read.max(axis=(1, 2)) >= HOLE
    hints = zeros((*shape, 4), np.uint8)
    found = None
    if layers.get("hints") is not None:
        read = _read_array(zf, layers["hints"], (*crop, 4))
        found = true_box(rgba_words(read))
        if found is not None:  # the colours' own box alone: the rest of the crop is 0, and
            # its pages stay unwritten (a small hint beside an Inverted mask: 1 GB resident)
            hints[tuple(slice(b.start + f.start, b.start + f.stop)
                        for b, f in zip(box, found, strict=True))] = read[found]
    return PaintLayers(mask, hints, box=box, hints_saved=found is not None, masked=masked)


def _read_array(zf: zipfile.ZipFile, name: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A uint8 array of exactly `shape`; the header is checked before any data is read."""
    if not isinstance(name, str) or name not in zf.namelist():
        raise SettingsError(f"layers: the member {name!r} is missing")
    if int(np.prod(shape)) > MAX_LAYER_VOXELS:
        raise SettingsError("layers: implausibly large")
    with zf.open(name) as f:
        try:
            version = np.lib.format.read_magic(f)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)(f)
        except ValueError as exc:
            raise SettingsError(f"{name}: not a numpy array ({exc})") from None
        got_shape, fortran, dtype = header
        if tuple(got_shape) != shape or dtype != np.uint8 or fortran:
            raise SettingsError(f"{name}: expected {list(shape)} uint8, found "
                                f"{list(got_shape)} {dtype}")
        raw = f.read(int(np.prod(shape)))
    if len(raw) != int(np.prod(shape)):
        raise SettingsError(f"{name}: the data is truncated")
    return np.frombuffer(raw, np.uint8).reshape(shape)

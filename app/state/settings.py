"""What the side panel is set to, a favourite variation, and the export preset: frozen
values that the session holds and a project file stores as JSON.

`from_dict` accepts only well-formed values (a project file may be damaged or hostile) and
raises SettingsError naming the field; keys it does not know are ignored.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from app.state.request_builder import (
    DEFAULT_GUIDE_UNTIL,
    DEFAULT_NOISE,
    GUIDED_TASKS,
    QUALITIES,
    TASKS,
    WHOLE_TASKS,
    Choices,
)
from engine.config import BLEND_SEAMS
from engine.request import SEAM_TASKS

MAX_SEED = 2**31 - 1
EXPORT_FORMATS = ("mp4", "gif", "png")


class SettingsError(ValueError):
    """A stored value is missing or out of range; the message names the field."""


@dataclass(frozen=True)
class PanelSettings:
    """Every setting of the control panel. Sizes 0 mean "the source's own"."""

    task: str = "generate"
    quality: str = "normal"
    seed: int = 0
    noise: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NOISE))  # per task
    width: int = 0
    height: int = 0
    frames: int = 0
    aspect_lock: bool = True
    auto_update: bool = True
    browse_count: int = 8
    # Analogy and sketch (the sketch's drawing is saved beside the mask, not as a setting).
    guide_levels: int = 4
    look_levels: int = 8
    guide_until: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_GUIDE_UNTIL))
    motion_path: str = ""  # the analogy's motion clip (A); "" = none chosen
    blend_seams: str = "auto"  # variations and retargets: off, auto or on (Settings.blend_seams)
    keep_whole: bool = False  # variations
    keep_edges: bool = True  # variations and retargets: bars and blurred sides kept out

    def choices(self) -> Choices:
        """The snapshot a request is built from (app.state.request_builder)."""
        return Choices(task=self.task, width=self.width, height=self.height,
                       frames=self.frames, seed=self.seed, noise=self.noise[self.task],
                       quality=self.quality, guide_levels=self.guide_levels,
                       look_levels=self.look_levels,
                       guide_until=self.guide_until.get(self.task, 1.0),
                       blend_seams=self.blend_seams if self.task in SEAM_TASKS else "off",
                       keep_whole=self.keep_whole and self.task in WHOLE_TASKS,
                       keep_edges=self.keep_edges or self.task not in SEAM_TASKS)

    def same_result(self, other: PanelSettings) -> bool:
        """Whether both make the same video for a seed (panel preferences aside, and the
        settings of other tasks: the Analogy page's levels for a variation, the output
        size for an inpainting, which took a favourite's star away and starred it twice)."""
        return (self._result_choices() == other._result_choices()
                and (self.task != "analogy" or self.motion_path == other.motion_path))

    def _result_choices(self) -> Choices:
        """The choices the task's request is made of (build_request), seed aside."""
        c = replace(self.choices(), seed=0)
        if self.task not in GUIDED_TASKS:
            c = replace(c, guide_levels=0, look_levels=0, guide_until=0.0)
        if self.task == "inpaint" or self.task in GUIDED_TASKS:  # the clip's or the layout's size
            c = replace(c, width=0, height=0, frames=0)
        return c

    def with_(self, **changes: Any) -> PanelSettings:
        return replace(self, **changes)

    def taken_over(self, current: PanelSettings) -> PanelSettings:
        """These settings (a favourite's, a seed tile's) made the panel's: the panel's own
        preferences stay, and so does clip A unless they are an analogy's (a Variations
        favourite must not close the analogy's clip A)."""
        kept = {"auto_update": current.auto_update, "browse_count": current.browse_count}
        if self.task != "analogy":
            kept["motion_path"] = current.motion_path
        return replace(self, **kept)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PanelSettings:
        d = _mapping(data, "settings")
        default = cls()
        noise = dict(default.noise)
        for task, value in _mapping(d.get("noise", {}), "settings.noise").items():
            if task in noise:
                noise[task] = _number(value, f"settings.noise.{task}", 0.0, 100.0)
        until = dict(default.guide_until)
        for task, value in _mapping(d.get("guide_until", {}), "settings.guide_until").items():
            if task in until:
                until[task] = _number(value, f"settings.guide_until.{task}", 0.0, 1.0)
        motion_path = d.get("motion_path", "")
        if not isinstance(motion_path, str):
            raise SettingsError("settings.motion_path: expected text")
        return cls(
            task=_choice(d.get("task", default.task), "settings.task", TASKS.values()),
            quality=_choice(d.get("quality", default.quality), "settings.quality",
                            QUALITIES.values()),
            seed=_integer(d.get("seed", 0), "settings.seed", 0, MAX_SEED),
            noise=noise,
            width=_integer(d.get("width", 0), "settings.width", 0, 1 << 20),
            height=_integer(d.get("height", 0), "settings.height", 0, 1 << 20),
            frames=_integer(d.get("frames", 0), "settings.frames", 0, 1 << 24),
            aspect_lock=_boolean(d.get("aspect_lock", True), "settings.aspect_lock"),
            auto_update=_boolean(d.get("auto_update", True), "settings.auto_update"),
            browse_count=_integer(d.get("browse_count", 8), "settings.browse_count", 2, 32),
            guide_levels=_integer(d.get("guide_levels", 4), "settings.guide_levels", 2, 16),
            look_levels=_integer(d.get("look_levels", 8), "settings.look_levels", 2, 16),
            guide_until=until, motion_path=motion_path,
            blend_seams=_seams_mode(d.get("blend_seams", "off")),
            keep_whole=_boolean(d.get("keep_whole", False), "settings.keep_whole"),
            keep_edges=_boolean(d.get("keep_edges", True), "settings.keep_edges"),
        )


# A saved favourite made with a mask, sketch or clip A that was changed before the project
# was saved: no layers of this session are these.
EARLIER_LAYERS = ("earlier",)


@dataclass(frozen=True)
class Favourite:
    """A starred variation: its seed with the full settings and in/out range it was made
    with. The video is not stored: the engine remakes it exactly from these."""

    seed: int
    settings: PanelSettings
    in_out: tuple[int, int]
    # What named the mask, sketch or clip A it was made with, in this session (the result
    # cache's token). () when not known: a project's favourites were made with the layers
    # opened with them, or with EARLIER_LAYERS (the file says so).
    layers: tuple = field(default=(), compare=False)  # matches() weighs it, not ==

    def __post_init__(self) -> None:
        if self.settings.seed != self.seed:  # one seed, whichever way it was given
            object.__setattr__(self, "settings", self.settings.with_(seed=self.seed))

    def matches(self, other: Favourite) -> bool:
        """The same variation: seed, range and result-relevant settings."""
        return (self.seed == other.seed and self.in_out == other.in_out
                and self.settings.same_result(other.settings)
                and (not self.layers or not other.layers or self.layers == other.layers))

    def made_with(self, layers: tuple) -> bool:
        """Whether it was made with these layers (or is not known to be otherwise)."""
        return not self.layers or self.layers == layers

    def label(self) -> str:
        s = self.settings
        task = next(k for k, v in TASKS.items() if v == s.task)
        size = "" if s.task in ("inpaint", "analogy", "sketch") else f" · {s.width}×{s.height}×{s.frames}"
        return (f"Seed {self.seed} · {task}{size} · {s.quality.title()} · frames "
                f"{self.in_out[0] + 1}–{self.in_out[1] + 1}")

    def to_dict(self) -> dict:
        d = {"seed": self.seed, "in_out": list(self.in_out), "settings": self.settings.to_dict()}
        if self.layers == EARLIER_LAYERS:
            d["earlier_layers"] = True
        return d

    @classmethod
    def from_dict(cls, data: Any) -> Favourite:
        d = _mapping(data, "favourite")
        earlier = _boolean(d.get("earlier_layers", False), "favourite.earlier_layers")
        return cls(seed=_integer(d.get("seed"), "favourite.seed", 0, MAX_SEED),
                   settings=PanelSettings.from_dict(d.get("settings", {})),
                   in_out=parse_range(d.get("in_out"), "favourite.in_out"),
                   layers=EARLIER_LAYERS if earlier else ())


@dataclass(frozen=True)
class ExportPreset:
    """The export dialog's last choices: format, H.264 quality (CRF) and folder."""

    format: str = "mp4"
    crf: int = 18
    folder: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ExportPreset:
        d = _mapping(data, "export")
        folder = d.get("folder", "")
        if not isinstance(folder, str):
            raise SettingsError("export.folder: expected text")
        return cls(format=_choice(d.get("format", "mp4"), "export.format", EXPORT_FORMATS),
                   crf=_integer(d.get("crf", 18), "export.crf", 0, 51), folder=folder)


# -- validation -----------------------------------------------------------------------------
def _mapping(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise SettingsError(f"{name}: expected an object")
    return value


def _choice(value: Any, name: str, allowed) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise SettingsError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _integer(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SettingsError(f"{name}: expected a whole number from {lo} to {hi}, got {value!r}")
    return value


def _number(value: Any, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and lo <= value <= hi):
        raise SettingsError(f"{name}: expected a number from {lo} to {hi}, got {value!r}")
    return float(value)


def _seams_mode(value: Any) -> str:
    """settings.blend_seams: "off", "auto" or "on"; true or false as projects saved it before
    "auto" (a project with none, or false, was made without a blend, and opens so: its
    favourites are remade frame for frame)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return _choice(value, "settings.blend_seams", BLEND_SEAMS)


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{name}: expected true or false")
    return value


def parse_range(value: Any, name: str) -> tuple[int, int]:
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise SettingsError(f"{name}: expected [in, out]")
    first, last = (_integer(v, name, 0, 1 << 24) for v in value)
    if first > last:
        raise SettingsError(f"{name}: the in point {first} is after the out point {last}")
    return first, last


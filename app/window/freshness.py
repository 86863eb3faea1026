"""Whether the result on screen is still what Generate would make now. A result stays on
screen when the panel changes (another seed, task or in/out range, an undone mask, a new
sketch or clip A), so the result pane says when it no longer matches, and why; Generate
makes the current one, Export still writes the result shown (its title says what made it)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, QTimer

from app.state.media import frames_text
from app.state.request_builder import (
    BLEND_SEAMS_NAMES,
    GUIDED_TASKS,
    RELATIVE_NOISE_TASKS,
    quality_of,
)
from app.state.result_clip import TASK_TITLES, ResultClip
from app.state.session import SessionModel
from app.widgets.viewer import FramePane
from app.window.runs import RunController
from app.window.view import ViewController
from engine.request import Request

BADGE = "Out of date"
_DEVICES = {"auto": "the device chosen automatically", "cpu": "the CPU", "cuda": "the GPU"}
_LAYOUTS = {"inpaint": "the mask", "analogy": "clip A", "sketch": "the sketch"}


def differences(made: ResultClip, token: tuple, request) -> list[str]:
    """What differs between what made `made` and the (token, request) the panel gives now,
    in words; empty when Generate would bring back the same result."""
    was = made.request
    if was.task != request.task:
        return [f"it was made in {TASK_TITLES.get(was.task, was.task)}"]
    reasons = []
    if tuple(made.token[:3]) != tuple(token[:3]):
        first, last = made.token[1], made.token[2]
        reasons.append(f"it was made from frames {first + 1}–{last + 1} "
                       f"({frames_text(last - first + 1)})")
    elif tuple(made.token[3:]) != tuple(token[3:]):
        reasons.append(f"{_LAYOUTS.get(was.task, 'its layout')} has changed since")
    if was.seed != request.seed:
        reasons.append(f"it was made with seed {was.seed}")
    elif _settings_of(was, request) != request:
        reasons += _settings_differences(was, request) or ["it was made with other settings"]
    return reasons


def _settings_of(was: Request, now: Request) -> Request:
    """`was` with what is not the panel's own: a guided task's size and duration are its
    layout's (clip A's, the sketch's), named by the layout's own reason."""
    if was.task not in GUIDED_TASKS:
        return was
    return replace(was, frames=now.frames, height=now.height, width=now.width)


def _settings_differences(was: Request, now: Request) -> list[str]:
    """The panel's settings that differ between two requests of one task and seed, named
    as the panel names them; empty when none of those does."""
    reasons = []
    if was.frames != now.frames and was.task not in GUIDED_TASKS:  # a guided one's is its layout's
        reasons.append(f"it was made {frames_text(was.frames)} long" if was.frames
                       else "it was made at the clip's duration")
    if (was.height, was.width) != (now.height, now.width) and was.task not in GUIDED_TASKS:
        if was.width and was.height:
            reasons.append(f"it was made at {was.width}×{was.height} px")
        else:
            reasons.append("it was made at the clip's size" if not (was.width or was.height)
                           else "it was made at another size")
    ws, ns = was.settings, now.settings
    if was.task in RELATIVE_NOISE_TASKS and ws.noise_scale != ns.noise_scale:
        reasons.append(f"it was made with Variation {ws.noise_scale:g}")
    elif was.noise != now.noise:
        reasons.append(f"it was made with Variation {was.noise:g}" if was.noise is not None
                       else "it was made with the task's default Variation")
    quality = quality_of(ws)
    if quality != quality_of(ns):
        reasons.append(f"it was made at {quality} quality" if quality
                       else "it was made at another Quality")
    if ws.blend_seams != ns.blend_seams:
        reasons.append(f"it was made with Blend seams: {BLEND_SEAMS_NAMES[ws.blend_seams]}")
    if (ws.coarse_completeness_alpha is None) != (ns.coarse_completeness_alpha is None):
        whole = ws.coarse_completeness_alpha is not None
        reasons.append(f"it was made {'with' if whole else 'without'} Keep subjects whole")
    if ws.keep_edges != ns.keep_edges:
        reasons.append(f"it was made {'with' if ws.keep_edges else 'without'} Keep bars")
    if ws.device != ns.device:
        reasons.append(f"it was made on {_DEVICES.get(ws.device, ws.device)}")
    if (was.guide_levels, was.look_levels) != (now.guide_levels, now.look_levels):
        reasons.append(f"it was made with {was.guide_levels} speed levels of A and "
                       f"{was.look_levels} of B")
    if was.guide_until != now.guide_until:
        reasons.append("it was made following the layout "
                       + (f"up to {was.guide_until:g}" if was.guide_until is not None
                          else "as far as the task's default"))
    return reasons


class ResultFreshness(QObject):
    """Marks the result pane "Out of date" (the reasons in its tooltip) while the result
    shown differs from what the panel would make. Checked a moment after each change, since
    a slider or a stroke sends many changes (nothing here makes a mask or a sketch: their
    states name them)."""

    def __init__(self, session: SessionModel, runs: RunController, view: ViewController,
                 pane: FramePane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.runs, self.view, self.pane = session, runs, view, pane
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.check)
        session.settings_changed.connect(lambda settings: self._timer.start())
        session.in_out.changed.connect(lambda first, last: self._timer.start())
        session.mask.edited.connect(self._timer.start)
        session.sketch.edited.connect(self._timer.start)
        session.motion_changed.connect(lambda motion: self._timer.start())
        view.result_shown.connect(lambda clip: self.check())
        view.result_cleared.connect(lambda: self.pane.set_badge(""))

    def check(self) -> list[str]:
        """Show or hide the badge now; the reasons it is shown (empty: up to date)."""
        self._timer.stop()
        made, clip = self.view.result, self.session.clip
        reasons = []
        if made is not None and clip is not None and made.token:
            settings = self.session.settings
            in_out = (self.session.in_out.in_point, self.session.in_out.out_point)
            token = self.runs.selection_for(settings, in_out).token
            request = self.runs.request_for(settings, in_out, arrays=False)
            reasons = differences(made, token, request)
        if reasons:
            text = "; ".join(reasons)
            self.pane.set_badge(BADGE, f"Not what Generate makes now: {text}. Generate (G) "
                                       "makes the result of the panel's settings; Export "
                                       "writes the result shown.")
        else:
            self.pane.set_badge("")
        return reasons

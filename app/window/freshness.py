"""Whether the result on screen is still what Generate would make now. A result stays on
screen when the panel changes (another seed, task or in/out range, an undone mask, a new
sketch or clip A), so the result pane says when it no longer matches, and why; Generate
makes the current one, Export still writes the result shown (its title says what made it)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from app.state.media import frames_text
from app.state.result_clip import TASK_TITLES, ResultClip
from app.state.session import SessionModel
from app.widgets.viewer import FramePane
from app.window.runs import RunController
from app.window.view import ViewController

BADGE = "Out of date"
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
    elif was != request:
        reasons.append("it was made with other settings")
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

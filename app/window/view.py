"""What the viewer shows: the source, the result or both side by side, the frame under the
playhead, the result on screen, and the in/out points on the timeline."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.inpaint.controller import InpaintController
from app.sketch.controller import SketchController
from app.state.result_clip import ResultClip, result_index_for_source
from app.state.session import SessionModel
from app.widgets.playback import Playback
from app.widgets.size_controls import OutputSizeGroup
from app.widgets.timeline import Timeline
from app.widgets.transport import TransportBar
from app.widgets.viewer import VideoViewer
from engine.request import summarise_notes

NO_RESULT = "No result yet.\nPress Generate (G) to make one."


class ViewController(QObject):
    result_shown = Signal(object)  # ResultClip (each preview level and the final)
    result_cleared = Signal()  # no result on screen any more (a new clip)

    def __init__(self, session: SessionModel, playback: Playback, viewer: VideoViewer,
                 timeline: Timeline, transport: TransportBar, output: OutputSizeGroup,
                 inpaint: InpaintController, sketch: SketchController,
                 status: Callable[[str, int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.playback, self.viewer = session, playback, viewer
        self.timeline, self.transport, self.output = timeline, transport, output
        self.inpaint, self.sketch, self.status = inpaint, sketch, status
        self.mode = "source"
        self.result: ResultClip | None = None
        self._finished: ResultClip | None = None  # the last finished result shown
        self._left_source = (0, 0)  # (source frame, result frame) when Result mode began
        playback.frame_changed.connect(self.show_frame)
        timeline.frame_scrubbed.connect(playback.seek)
        timeline.in_out_dragged.connect(session.in_out.set_range)
        transport.mode_chosen.connect(self.set_view_mode)
        transport.fit_requested.connect(viewer.fit)
        session.in_out.changed.connect(self._on_in_out)

    @property
    def clip(self):
        return self.session.clip

    # -- a new clip ------------------------------------------------------------------------
    def show_clip(self) -> None:
        """Show the session's (new) clip from its first frame, with no result."""
        clip, in_out = self.clip, self.session.in_out
        self._forget_result()
        self.mode = "source"
        self.viewer.set_mode("source")
        self.transport.set_mode("source")
        self.timeline.set_clip(clip.frames, clip.fps)
        self.timeline.set_in_out(in_out.in_point, in_out.out_point)
        self.timeline.show_in_out(True)
        self.playback.set_clip(clip.length, clip.fps, in_out.in_point)
        self.show_frame(self.playback.frame)
        self.viewer.source.fit()
        self.viewer.focus_view()

    def _forget_result(self) -> None:
        """No result, none to bring back, and the pane says so under a plain title."""
        self.result = self._finished = None
        self.viewer.result.show_message(NO_RESULT)
        self.viewer.result.set_counter("")
        if self.mode == "result" and self.clip is not None:  # the stopped run's strip goes
            self.timeline.show_nothing()
            self.playback.set_clip(1, self.clip.fps, 0)
        self.viewer.result.title.setText("Result")
        self.result_cleared.emit()

    def scored(self, clip: ResultClip) -> None:
        """The result on screen got its realism score: keep the scored copy (a result
        brought back after a cancel shows its figures too)."""
        for name in ("result", "_finished"):
            held = getattr(self, name)
            if held is not None and held.final and held.request == clip.request \
                    and held.frames is clip.frames:
                setattr(self, name, clip)

    @property
    def finished(self) -> ResultClip | None:
        """The last finished result shown (a run's preview may be on screen in its place)."""
        return self._finished

    def restore_finished(self) -> ResultClip | None:
        """After a cancelled or failed run: the last finished result comes back in place of
        the run's coarse preview (returned), so a cancel never loses a finished video. With
        none to bring back, the preview goes too: a stopped run left no result."""
        if self.result is None or self.result.final:
            return None
        if self._finished is None:
            self._forget_result()
            return None
        self.show_result(self._finished)
        return self._finished

    # -- display ---------------------------------------------------------------------------
    def show_frame(self, frame: int) -> None:
        self.timeline.set_frame(frame)
        clip = self.clip
        if clip is None:
            return
        if self.mode == "result":
            self.viewer.result.set_counter("")  # the transport counts the result's frames
            if self.result is not None:
                self.viewer.result.show_frame(self.result.frame_at(frame),
                                              self.result.display_size)
            return
        if self.sketch.active:  # the Source pane is the sketch's canvas
            self.sketch.show_frame(frame)
        else:
            self.viewer.source.show_frame(clip.frames[frame])
            self.inpaint.show_frame(frame, clip.frames[frame])
        if self.mode == "side" and self.result is not None:
            # A result longer than the clip plays on over the clip's loops (a longer
            # retarget); one as long or shorter starts again at the in point each loop.
            first, rate = self._result_sync()
            longer = self.result.length > self.playback.length * rate
            index = result_index_for_source(self.playback.unwrapped if longer else frame,
                                            first, self.result.length, rate)
            self.viewer.result.show_frame(self.result.frame_at(index), self.result.display_size)
            self.viewer.result.set_counter(
                f"{index + 1} / {self.result.length}",
                "The result's frame shown beside the source's (the transport counts the "
                "source's)" + (": the result is longer and plays on over the clip's loops."
                               if longer else "."))

    def set_view_mode(self, mode: str) -> None:
        """"source", "result" or "side". In Result mode the timeline is the result's own."""
        clip = self.clip
        if clip is None:
            self.transport.set_mode(self.mode)
            return
        old, pos, in_out = self.mode, self.playback.frame, self.session.in_out
        self.mode = mode
        self.viewer.set_mode(mode)
        self.transport.set_mode(mode)
        self.sketch.set_canvas_shown(mode != "result")
        if mode == "result" and old != "result":
            length = self.result.length if self.result is not None else 1
            fps = self._result_fps()
            first, rate = self._result_sync()
            start = result_index_for_source(pos, first, length, rate)
            self._left_source = (pos, start)  # back where it was, unless the result moved
            self.timeline.show_in_out(False)
            if self.result is None:
                self.timeline.show_nothing()
            else:
                self.timeline.set_clip(self.result.frames, fps, length)
            self.playback.set_clip(length, fps, start)
        elif mode != "result" and old == "result":
            left, at = self._left_source
            first, rate = self._result_sync()
            start = left if pos == at else min(first + int(pos / rate + 1e-6), clip.length - 1)
            start = min(start, clip.length - 1)
            self.timeline.set_clip(clip.frames, clip.fps)
            self.timeline.set_in_out(in_out.in_point, in_out.out_point)
            self.timeline.show_in_out(True)
            self.playback.set_clip(clip.length, clip.fps, start)
        else:
            self.show_frame(self.playback.frame)

    def _result_sync(self) -> tuple[int, float]:
        """How the result lines up with the source: the in point it was made from (while
        its clip is open; else the one set now: an out-of-date result moved with a new in
        point), and result frames per source frame: 1 for a range's own result, a
        variable-rate range's included (its rate is the range's own, not the clip's
        average: frames were skipped beside it); an analogy's clip A rate over the range's."""
        clip, result, in_out = self.clip, self.result, self.session.in_out
        first, last = in_out.in_point, in_out.out_point
        made = None if result is None else result.source_range
        if made is not None and made[0] == clip.serial and made[2] < clip.length:
            first, last = made[1], made[2]
        if result is None or not result.fps:
            return first, 1.0
        return first, float(result.fps) / float(clip.clip.rate_of(first, last))

    def _result_fps(self) -> float:
        """The result's frame rate (an analogy's is its clip A's), else the clip's."""
        result = self.result
        return float(result.fps) if result is not None and result.fps else self.clip.fps

    def toggle_source_result(self) -> None:
        self.set_view_mode("source" if self.mode == "result" else "result")

    def toggle_side_by_side(self) -> None:
        self.set_view_mode("source" if self.mode == "side" else "side")

    def show_result(self, clip: ResultClip) -> None:
        """Make `clip` the result on screen (a preview level or a finished video)."""
        first = self.result is None or self.result.request != clip.request
        self.result = clip
        if clip.final:
            self._finished = clip
        title = self.viewer.result.title
        title.setText(clip.label())  # elided where narrow: the whole label is its tooltip
        if clip.notes:
            title.setToolTip("\n".join([clip.label(), *summarise_notes(clip.notes)]))
        fps = self._result_fps()
        if self.mode == "source":
            # Inpaint and Sketch keep the painted Source in view: the result comes beside it.
            self.set_view_mode("side" if self.inpaint.active or self.sketch.active else "result")
        elif self.mode == "result":
            if self.playback.length != clip.length or first or self.playback.fps != fps:
                self.timeline.set_clip(clip.frames, fps, clip.length)
                self.playback.set_clip(clip.length, fps, self.playback.frame)
            else:
                self.timeline.set_clip(clip.frames, fps, clip.length)
        self.show_frame(self.playback.frame)
        self.result_shown.emit(clip)

    def on_task_changed(self, task: str) -> None:
        """Inpaint and Sketch paint on the Source pane (Sketch on a blank canvas): show it
        (beside the result)."""
        painting = task in ("inpaint", "sketch")
        self.inpaint.set_active(task == "inpaint")
        self.sketch.set_active(task == "sketch")
        self.viewer.source.title.setText("Sketch (draw here)" if task == "sketch" else "Source")
        if painting and self.clip is not None and self.mode == "result":
            self.set_view_mode("side")
        elif self.clip is not None:
            self.show_frame(self.playback.frame)

    # -- in / out --------------------------------------------------------------------------
    def set_in_point(self) -> None:
        if self._on_source():
            self.session.in_out.set_in(self.playback.frame)

    def set_out_point(self) -> None:
        if self._on_source():
            self.session.in_out.set_out(self.playback.frame)

    def _on_source(self) -> bool:
        """In and out points are source frames: the Result view's playhead is not one."""
        if self.clip is not None and self.mode == "result":
            self.status("In and out points are set on the source: switch to Source (Tab) or "
                        "Side by side (\\) first", 6000)
        return self.clip is not None and self.mode != "result"

    def clear_in_out(self) -> None:
        if self.clip is not None:
            self.session.in_out.reset(self.clip.length)

    def _on_in_out(self, first: int, last: int) -> None:
        if self.mode != "result":
            self.timeline.set_in_out(first, last)
        self.output.set_range_length(last - first + 1)
        self.inpaint.set_in_out(first, last)
        self.sketch.set_in_out(first, last)
        # The result beside follows (an out-of-date one's range); not while another clip is
        # handed over, its range set before the playhead is (a shorter clip: out of range).
        if self.mode == "side" and self.clip is not None and self.playback.frame < self.clip.length:
            self.show_frame(self.playback.frame)
        if self.clip is not None:
            count = last - first + 1
            self.status(f"In {first + 1}, out {last + 1}: {count} frame{'s' if count > 1 else ''} "
                        "used as input", 4000)

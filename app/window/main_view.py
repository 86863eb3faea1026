"""The main window's display: which frame and panes the viewer shows (source, result,
side by side), the result on screen, and the in/out points. Kept apart from
main_window.py, which builds and wires the widgets."""

from __future__ import annotations

from PySide6.QtCore import Slot

from app.state.result_clip import ResultClip, result_index_for_source


class ViewMixin:
    # -- display -----------------------------------------------------------------------
    @Slot(int)
    def _show_frame(self, frame: int) -> None:
        self.timeline.set_frame(frame)
        if self.source is None:
            return
        if self.mode == "result":
            if self.result is not None:
                self.viewer.result.show_frame(self.result.frame_at(frame),
                                              self.result.display_size)
            return
        self.viewer.source.show_frame(self.source.frames[frame])
        self.inpaint.show_frame(frame, self.source.frames[frame])
        if self.mode == "side" and self.result is not None:
            index = result_index_for_source(frame, self.in_out.in_point, self.result.length)
            self.viewer.result.show_frame(self.result.frame_at(index), self.result.display_size)

    def set_view_mode(self, mode: str) -> None:
        """"source", "result" or "side". In Result mode the timeline is the result's own."""
        if self.source is None:
            self.transport.set_mode(self.mode)
            return
        old, pos = self.mode, self.playback.frame
        self.mode = mode
        self.viewer.set_mode(mode)
        self.transport.set_mode(mode)
        fps = self.source.fps
        if mode == "result" and old != "result":
            length = self.result.length if self.result is not None else 1
            start = result_index_for_source(pos, self.in_out.in_point, length)
            self.timeline.show_in_out(False)
            self.timeline.set_clip(self.result.frames if self.result else None, fps, length)
            self.playback.set_clip(length, fps, start)
        elif mode != "result" and old == "result":
            start = min(self.in_out.in_point + pos, self.source.length - 1)
            self.timeline.set_clip(self.source.frames, fps)
            self.timeline.set_in_out(self.in_out.in_point, self.in_out.out_point)
            self.timeline.show_in_out(True)
            self.playback.set_clip(self.source.length, fps, start)
        else:
            self._show_frame(self.playback.frame)

    def toggle_source_result(self) -> None:
        self.set_view_mode("source" if self.mode == "result" else "result")

    def toggle_side_by_side(self) -> None:
        self.set_view_mode("source" if self.mode == "side" else "side")

    def show_result(self, clip: ResultClip) -> None:
        """Make `clip` the result on screen (a preview level or a finished video)."""
        first = self.result is None or self.result.request != clip.request
        self.result = clip
        if clip.notes:
            self.viewer.result.title.setToolTip("\n".join(clip.notes))
        self.viewer.result.title.setText(clip.label())
        if self.mode == "source":
            # Inpaint keeps the painted Source in view: the result comes beside it.
            self.set_view_mode("side" if self.inpaint.active else "result")
        elif self.mode == "result":
            if self.playback.length != clip.length or first:
                self.timeline.set_clip(clip.frames, self.source.fps, clip.length)
                self.playback.set_clip(clip.length, self.source.fps, self.playback.frame)
            else:
                self.timeline.set_clip(clip.frames, self.source.fps, clip.length)
        self._show_frame(self.playback.frame)
        self.result_shown.emit(clip)

    # -- in / out ----------------------------------------------------------------------
    def set_in_point(self) -> None:
        if self.source is not None and self.mode != "result":
            self.in_out.set_in(self.playback.frame)

    def set_out_point(self) -> None:
        if self.source is not None and self.mode != "result":
            self.in_out.set_out(self.playback.frame)

    def clear_in_out(self) -> None:
        if self.source is not None:
            self.in_out.reset(self.source.length)

    @Slot(int, int)
    def _on_in_out(self, first: int, last: int) -> None:
        if self.mode != "result":
            self.timeline.set_in_out(first, last)
        self.panel.output.set_range_length(last - first + 1)
        self.inpaint.set_in_out(first, last)
        self.statusBar().showMessage(
            f"In {first + 1}, out {last + 1}: {last - first + 1} frames used as input", 4000)

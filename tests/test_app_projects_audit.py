"""Audit of the painted layers' round trips after layers were made lazily zeroed and the
autosave's copy moved to its writing thread (2026-12-06): a project saved and opened again
holds the same mask, hints and sketch, with an empty history and edits that work as on the
layers saved; every write to the layers counts (MaskModel.writes), so an autosave copied
while painting goes on is skipped or whole, never torn."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor

from app.inpaint import ops
from app.inpaint.mask_model import MaskModel
from app.state.project_file import LaterLayers, SnapshotStale, load_project, save_project
from app.state.recovery import RecoveryStore
from app.state.session import SessionModel
from app.window import prompts
from tests.test_app_long_clips import session_for
from tests.test_app_support import close_and_check_threads, drag_on_view, make_window

ROOT = Path(__file__).resolve().parents[1]


def same_layers(a: SessionModel, b: SessionModel, whole: bool = True) -> None:
    """The same layers (whole=False: the hints compared inside the extents alone, where
    check_reopened keeps them; a long clip's are four times its mask)."""
    for name in ("mask", "sketch"):
        ma, mb = getattr(a, name), getattr(b, name)
        assert np.array_equal(ma.mask, mb.mask), name
        box = ops.union_box(ma.extent(), mb.extent())
        if whole or box is None:
            assert np.array_equal(ma.hints, mb.hints), name
        else:
            assert np.array_equal(ma.hints[box], mb.hints[box]), name
        assert ma.masked_frames().tolist() == mb.masked_frames().tolist()
        assert ma.has_hints() == mb.has_hints()


def inside_extent(m: MaskModel) -> bool:
    """Whether every painted value lies inside the model's extent."""
    box = m.extent()
    if box is None:
        return not m.mask.any() and not m.hints.any()
    mask, hints = m.mask.copy(), m.hints.copy()
    mask[box], hints[box] = 0, 0
    return not mask.any() and not hints.any()


# The same edits on the layers saved and on those opened again give the same layers.
EDITS = [lambda m: m.grow(3), lambda m: m.shrink(2), lambda m: m.clear("frame", 2),
         lambda m: m.invert("all"), lambda m: m.undo(), lambda m: m.undo(),
         lambda m: m.redo(), lambda m: m.clear("all"), lambda m: m.undo()]


def check_reopened(saved: SessionModel, opened: SessionModel, whole: bool = True) -> None:
    same_layers(opened, saved)
    for m in (opened.mask, opened.sketch):
        assert not m.can_undo() and not m.can_redo() and inside_extent(m)
    for edit in EDITS:
        for m in (saved.mask, opened.mask):
            edit(m)
        same_layers(opened, saved, whole)
        assert not whole or inside_extent(opened.mask)
    same_layers(opened, saved)
    assert inside_extent(opened.mask) and inside_extent(saved.mask)
    while opened.mask.can_undo():
        opened.mask.undo()
    assert not opened.mask.undo()


# -- in the editor -------------------------------------------------------------------------------
def paint(window, points) -> None:
    pane = window.viewer.source
    drag_on_view(pane.view, pane.box, points)


def paint_both(window, w: int, h: int) -> None:
    """A mask with a hint colour over a range, and a sketch with ink and a tone."""
    window.panel.set_task("Inpaint")
    panel = window.inpaint.panel
    panel.scope.setCurrentIndex(panel.scope.findData("range"))
    window.inpaint.overlay.set_radius(max(3, w // 40))
    paint(window, [(w * 0.2, h * 0.3), (w * 0.6, h * 0.5)])
    panel.hint_kind.setChecked(True)
    panel.hint_color.set_color(QColor(200, 30, 40))
    paint(window, [(w * 0.4, h * 0.4)])
    window.panel.set_task("Sketch")
    sketch = window.sketch.panel
    sketch.scope.setCurrentIndex(sketch.scope.findData("frame"))
    window.playback.seek(2)
    paint(window, [(w * 0.1, h * 0.1), (w * 0.8, h * 0.7)])
    sketch.hint_kind.setChecked(True)
    sketch.hint_color.set_color(QColor(90, 90, 90))
    paint(window, [(w * 0.3, h * 0.8), (w * 0.5, h * 0.2)])
    window.sync.commit()


@pytest.mark.parametrize("sample", [False, True], ids=["tiny", "sample"])
def test_a_saved_project_opens_with_the_same_layers_and_edits(qtbot, tmp_path, clip,
                                                              monkeypatch, sample):
    if sample:
        clip = ROOT / "resources" / "sample.mp4"
    window = make_window(qtbot, tmp_path / "a", clip)
    other = None
    try:
        s = window.session
        _, h, w = s.mask.shape
        paint_both(window, w, h)
        assert s.mask.has_hints() and s.sketch.hints[..., 3].any()
        target = tmp_path / "p.vgpnn"
        monkeypatch.setattr(prompts, "choose_project_to_save",
                            lambda parent, suggested, caption="": target)
        window.actions_by_name["save"].trigger()
        assert window.projects.wait()  # written on a worker
        assert not s.dirty
        other = make_window(qtbot, tmp_path / "b")
        with qtbot.waitSignal(other.source_loaded, timeout=30_000):
            other.projects.open_project(target)
        qtbot.waitUntil(lambda: not other.clips.loading, timeout=5000)
        o = other.session
        assert not o.dirty
        other.panel.set_task("Inpaint")
        assert other.timeline.marks().tolist() == s.mask.masked_frames().tolist()
        check_reopened(s, o)
        assert o.dirty
    finally:
        if other is not None:
            close_and_check_threads(qtbot, other)
        close_and_check_threads(qtbot, window)


# -- a long clip, without the editor ------------------------------------------------------------
def test_a_long_720p_clip_round_trips_through_a_project_file(tmp_path):
    """120 frames of 1280×720: a disc crossing the frame with a hint colour, a sketch with
    a tone, a soft stroke (coverage below a hole): saved, read and taken back exactly."""
    shape = (120, 720, 1280)
    s = session_for(shape)
    m = s.mask
    m.begin_stroke(0, "remove", 40, 0.5, scope="all")
    for x in range(200, 1000, 100):
        m.stroke_to(x, 300 + x // 10)
    m.end_stroke()
    m.begin_stroke(30, "hint", 12, 1.0, (200, 30, 40), scope="range", in_out=(30, 90))
    m.stroke_to(500, 350)
    m.end_stroke()
    m.begin_stroke(100, "remove", 3, 0.0)  # soft: below a hole
    m.stroke_to(40, 600)
    m.end_stroke()
    k = s.sketch
    k.begin_stroke(5, "remove", 4, 1.0)
    k.stroke_to(100, 100)
    k.stroke_to(900, 500)
    k.end_stroke()
    k.begin_stroke(5, "hint", 6, 1.0, (90, 90, 90))
    k.stroke_to(300, 200)
    k.end_stroke()
    save_project(s.snapshot(), tmp_path / "long.vgpnn")
    data = load_project(tmp_path / "long.vgpnn")
    opened = session_for(shape)
    opened.restore(data, opened.clip, opened.source, tmp_path / "long.vgpnn")
    assert not opened.dirty and opened.mask.masked_frames().sum() == 120
    check_reopened(s, opened, whole=False)


# -- every write counts -------------------------------------------------------------------------
def random_edit(rng, m: MaskModel) -> None:
    t, h, w = m.shape
    op = rng.integers(9)
    scope = str(rng.choice(["frame", "range", "all"]))
    frame, in_out = int(rng.integers(t)), tuple(sorted(int(v) for v in rng.integers(0, t, 2)))
    if op < 3:
        m.begin_stroke(frame, str(rng.choice(["remove", "hint", "erase"])),
                       float(rng.uniform(1, 8)), float(rng.uniform(0, 1)),
                       tuple(int(c) for c in rng.integers(0, 256, 3)), scope, in_out)
        for _ in range(rng.integers(1, 4)):
            m.stroke_to(float(rng.uniform(-4, w + 4)), float(rng.uniform(-4, h + 4)))
        m.end_stroke()
    elif op == 3:
        getattr(m, str(rng.choice(["invert", "clear"])))(scope, frame, in_out)
    elif op == 4:
        getattr(m, str(rng.choice(["grow", "shrink"])))(int(rng.integers(1, 5)), scope,
                                                       frame, in_out)
    elif op == 5:
        hints = None
        if rng.integers(2):
            hints = np.zeros((*m.shape, 4), np.uint8)
            hints[frame, 2:6, 3:9] = (10, 200, 30, 255)
        m.set_arrays(rng.random(m.shape) < 0.05, hints)
    elif op == 6:
        hints = m.hints[frame, 4:12, 6:20].copy()
        hints[:3] = (1, 2, 3, 255)
        m.set_box(frame, slice(4, 12), slice(6, 20),
                  rng.choice([0, 90, 255], (8, 14)).astype(np.uint8),
                  hints if rng.integers(2) else None, "box")
    else:
        (m.undo if op == 7 else m.redo)()


@pytest.mark.parametrize("seed", range(8))
def test_every_change_of_the_layers_is_counted_before_it_is_made(seed):
    """A copy taken on another thread is known whole only while MaskModel.writes stays, so
    an edit must count a write before its first change of the layers' values (a copy that
    ends between an uncounted change and a later count would pass as whole)."""
    rng = np.random.default_rng(seed)
    m = MaskModel((5, 24, 40))
    at_first: list[tuple] = []  # the layers when the edit first counted a write
    count = m._wrote

    def wrote() -> None:
        if not at_first:
            at_first.append((m.mask.copy(), m.hints.copy()))
        count()

    m._wrote = wrote
    for _ in range(60):
        before = m.mask.copy(), m.hints.copy()
        at_first.clear()
        random_edit(rng, m)
        seen = at_first[0] if at_first else (m.mask, m.hints)
        assert np.array_equal(seen[0], before[0]) and np.array_equal(seen[1], before[1])


# -- autosave while painting goes on ------------------------------------------------------------
def test_autosaves_while_painting_are_whole_and_catch_up_after(qtbot, tmp_path, monkeypatch):
    """Strokes every few ms from a timer while the autosave writes every few ms on its own
    thread (after an Invert: a copy of the whole clip): every recovery file written holds
    the layers as they were when it was asked for, and after a pause the file holds the
    layers painted."""
    from PySide6.QtWidgets import QWidget

    from app.window.autosave import AutosaveController

    shape = (12, 240, 320)
    s = session_for(shape)
    asked: dict[int, tuple] = {}  # the copy's id -> the layers when it was asked for
    taken = MaskModel.copy_later

    def copy_later(model: MaskModel):
        copy = taken(model)
        asked[id(copy)] = (model.mask.copy(), model.hints.copy())
        return copy

    monkeypatch.setattr(MaskModel, "copy_later", copy_later)
    store = RecoveryStore(tmp_path)
    written, wrong = [], []
    write = RecoveryStore._write

    def checked(self, data) -> None:
        self.path.unlink(missing_ok=True)
        write(self, data)
        if not self.path.exists():
            return  # stale: skipped
        got = load_project(self.path)
        for kind in ("inpaint", "sketch"):
            later = getattr(data, kind)
            if later is None:
                continue
            if not isinstance(later, LaterLayers):  # copied on the GUI thread (after a drop)
                written.append(kind)
                continue
            mask, hints = asked[id(later.copy)]
            layers = getattr(got, kind)
            if layers is None:
                ok = not mask.any() and not hints.any()
            else:
                ok = np.array_equal(layers.mask, mask) and np.array_equal(
                    layers.hints if layers.hints_saved else np.zeros_like(hints), hints)
            (written if ok else wrong).append(kind)

    monkeypatch.setattr(RecoveryStore, "_write", checked)
    window = QWidget()
    qtbot.addWidget(window)
    sync = type("Sync", (), {"commit": lambda self: None})()
    messages = type("Messages", (), {"status": lambda self, *a: None})()
    autosave = AutosaveController(s, sync, store, None, messages, window)
    autosave._timer.setInterval(7)
    autosave._batch.setInterval(5)
    rng = np.random.default_rng(3)
    s.mask.invert("all")
    t, h, w = shape

    def stroke() -> None:
        m = s.mask if rng.integers(3) else s.sketch
        m.begin_stroke(int(rng.integers(t)), str(rng.choice(["remove", "hint", "erase"])),
                       float(rng.uniform(2, 16)), 0.7, (200, 30, 40),
                       str(rng.choice(["frame", "all"])))
        for _ in range(3):
            m.stroke_to(float(rng.uniform(0, w)), float(rng.uniform(0, h)))
        m.end_stroke()
        if rng.random() < 0.02:
            s.mask.invert("all")

    painting = QTimer(interval=2)
    painting.timeout.connect(stroke)
    painting.start()
    qtbot.wait(int(os.environ.get("AUDIT_PAINT_MS", "2500")))
    painting.stop()
    deadline = time.monotonic() + 30
    while True:
        store.wait()  # then nothing is being written (checked() deletes the file first)
        if store.path.exists() and autosave._written == s.revision:
            break
        assert time.monotonic() < deadline, "the autosave did not catch up after a pause"
        qtbot.wait(20)
    got = load_project(store.path)
    autosave.shutdown()
    assert not wrong and written
    assert np.array_equal(got.inpaint.mask, s.mask.mask)  # caught up: the layers painted
    assert np.array_equal(got.sketch.mask, s.sketch.mask)


def test_painting_without_a_pause_cannot_put_the_recovery_file_off(qtbot, tmp_path,
                                                                     monkeypatch):
    """Each copy made on the writing thread is dropped when a stroke lands during it, and
    strokes restart the batch timer: painting without a pause dropped 131 of 133 writes
    over 20 s. After a dropped copy the next one is made on the GUI thread, and written."""
    from PySide6.QtWidgets import QWidget

    from app.window.autosave import AutosaveController

    def always_stale(model: MaskModel):
        def copy():
            raise SnapshotStale("a stroke landed during the copy")
        return copy

    monkeypatch.setattr(MaskModel, "copy_later", always_stale)
    s = session_for((4, 40, 60))
    store = RecoveryStore(tmp_path)
    window = QWidget()
    qtbot.addWidget(window)
    sync = type("Sync", (), {"commit": lambda self: None})()
    messages = type("Messages", (), {"status": lambda self, *a: None})()
    autosave = AutosaveController(s, sync, store, None, messages, window)
    autosave._timer.stop()
    autosave._batch.setInterval(10_000)  # strokes keep restarting it
    for tick in range(2):
        s.mask.begin_stroke(tick, "remove", 5)
        s.mask.stroke_to(20, 20)
        s.mask.end_stroke()
        assert autosave.write_now()
        store.wait()
        assert store.path.exists() == (tick == 1), tick
    got = load_project(store.path)
    autosave.shutdown()
    assert np.array_equal(got.inpaint.mask, s.mask.mask)

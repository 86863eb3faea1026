"""The editor's Qt-free state: settings, the session model, the project file (round trip,
damaged and hostile files, atomic writes), source fingerprints and recovery files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from app.state import fingerprint as fp
from app.state.media import Source
from app.state.project_file import (
    VERSION,
    ProjectError,
    load_project,
    save_project,
)
from app.state.recovery import RecoveryStore
from app.state.session import SessionModel
from app.state.settings import (
    EARLIER_LAYERS,
    ExportPreset,
    Favourite,
    PanelSettings,
    SettingsError,
)
from engine.io.clip import VideoClip

T, H, W = 6, 20, 30


def make_clip(tmp_path: Path, name: str = "clip.mp4", t: int = T) -> tuple[Source, Path]:
    path = tmp_path / name
    path.write_bytes(os.urandom(5000))  # a stand-in file: only its bytes are hashed here
    frames = np.zeros((t, H, W, 3), np.uint8)
    return Source(VideoClip(frames, Fraction(10), path)), path


def session_with_work(tmp_path: Path) -> SessionModel:
    session = SessionModel()
    clip, path = make_clip(tmp_path)
    session.set_clip(clip, fp.describe(path, clip.frames.shape[:3]))
    session.in_out.set_range(1, 4)
    session.mask.begin_stroke(2, "remove", 3.5, 0.6, scope="range", in_out=(1, 4))
    session.mask.stroke_to(5, 5)
    session.mask.stroke_to(12, 9)
    session.mask.end_stroke()
    session.mask.begin_stroke(3, "hint", 2, 1.0, color=(250, 10, 20))
    session.mask.stroke_to(20, 12)
    session.mask.end_stroke()
    session.sketch.begin_stroke(1, "remove", 2, 1.0, scope="frame")  # a key frame of ink
    session.sketch.stroke_to(8, 3)
    session.sketch.end_stroke()
    session.sketch.begin_stroke(4, "hint", 3, 1.0, scope="frame", color=(128, 128, 128))
    session.sketch.stroke_to(15, 10)  # and one of a grey tone
    session.sketch.end_stroke()
    settings = session.settings.with_(task="inpaint", quality="draft", seed=77,
                                      noise={"generate": 4.5, "retarget": 0.5, "inpaint": 2.0,
                                             "analogy": 1.0, "sketch": 0.0},
                                      aspect_lock=False, auto_update=False, browse_count=5,
                                      guide_levels=3, look_levels=6, motion_path="/clips/a.mp4",
                                      guide_until={"analogy": 0.3, "sketch": 0.9})
    session.set_settings(settings)
    session.set_favourite(Favourite(3, settings, (1, 4)), True)
    session.set_favourite(Favourite(9, settings.with_(task="generate", width=40), (0, 5)), True)
    session.set_export(ExportPreset("gif", 23, str(tmp_path)))
    return session


def test_state_imports_no_qt():
    code = ("import sys, app.state.session, app.state.project_file, app.state.recovery, "
            "app.inpaint.mask_model; sys.exit(any(m.startswith(('PySide6', 'pyqtgraph', "
            "'shiboken')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_session_tracks_unsaved_changes(tmp_path):
    session = SessionModel()
    seen = []
    session.dirty_changed.connect(seen.append)
    session.set_settings(session.settings.with_(seed=5))  # no clip: nothing to save
    assert not session.dirty
    clip, path = make_clip(tmp_path)
    session.set_clip(clip, fp.describe(path, clip.frames.shape[:3]))
    assert not session.dirty and session.name == "Untitled"
    assert session.settings.seed == 5 and session.settings.width == W  # sizes follow the clip
    session.in_out.set_out(3)
    assert session.dirty and seen[-1] is True
    session.mark_saved(tmp_path / "walk.vgpnn")
    assert not session.dirty and session.name == "walk" and seen[-1] is False
    session.mask.begin_stroke(0, "remove", 3)
    session.mask.stroke_to(4, 4)
    assert not session.dirty  # a stroke counts once it is finished
    session.mask.end_stroke()
    assert session.dirty


def test_a_snapshot_of_layers_without_hint_colours_copies_no_hints(tmp_path):
    """Layers never given a hint colour have all-zero hints: a snapshot (every autosave)
    copies the mask's box only, not the hints four times its size (after an Invert of a
    16-frame Full-HD clip: 133 MB, 350-480 ms on the GUI thread at every autosave)."""
    session = SessionModel()
    clip, path = make_clip(tmp_path)
    session.set_clip(clip, fp.describe(path, clip.frames.shape[:3]))
    session.mask.begin_stroke(2, "remove", 3.5, 0.6)
    session.mask.stroke_to(5, 5)
    session.mask.end_stroke()
    session.mask.invert()
    snapshot = session.snapshot()
    assert snapshot.inpaint.hints is None and snapshot.inpaint.mask.any()
    save_project(snapshot, tmp_path / "p.vgpnn")
    data = load_project(tmp_path / "p.vgpnn")
    np.testing.assert_array_equal(data.inpaint.mask, session.mask.mask)
    assert not data.inpaint.hints[..., 3].any()
    session.mask.begin_stroke(3, "hint", 2, 1.0, color=(250, 10, 20))  # a colour: copied
    session.mask.stroke_to(20, 12)
    session.mask.end_stroke()
    session.mask.undo()  # gone again, but the hints are not known to be empty: looked at
    assert session.snapshot().inpaint.hints is not None


def test_project_round_trip_is_exact(tmp_path):
    session = session_with_work(tmp_path)
    target = tmp_path / "work.vgpnn"
    snapshot = session.snapshot()
    assert snapshot.inpaint.mask.size < T * H * W  # only the painted box is copied, not the clip
    save_project(snapshot, target)
    data = load_project(target)
    assert data.source == session.source and data.in_out == (1, 4)
    assert data.settings == session.settings and data.export == session.export
    assert data.favourites == session.favourites
    np.testing.assert_array_equal(data.inpaint.mask, session.mask.mask)
    np.testing.assert_array_equal(data.inpaint.hints, session.mask.hints)
    np.testing.assert_array_equal(data.sketch.mask, session.sketch.mask)
    np.testing.assert_array_equal(data.sketch.hints, session.sketch.hints)
    assert session.sketch.hints[..., 3].any() and not np.array_equal(data.sketch.mask,
                                                                       data.inpaint.mask)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temp file left"

    again = SessionModel()
    notes = again.restore(data, session.clip, session.source, target)
    assert notes == [] and not again.dirty and again.name == "work"
    np.testing.assert_array_equal(again.mask.mask, session.mask.mask)
    np.testing.assert_array_equal(again.mask.hints, session.mask.hints)
    assert again.mask.masked_frames().tolist() == session.mask.masked_frames().tolist()
    np.testing.assert_array_equal(again.sketch.mask, session.sketch.mask)
    np.testing.assert_array_equal(again.sketch.hints, session.sketch.hints)
    assert again.sketch.masked_frames().tolist() == [False, True, False, False, True, False]
    assert (again.in_out.in_point, again.in_out.out_point) == (1, 4)
    assert again.settings == session.settings and again.favourites == session.favourites

    with zipfile.ZipFile(target) as zf:  # human-readable, versioned, layers cropped
        doc = json.loads(zf.read("project.json"))
        assert doc["version"] == VERSION and doc["settings"]["seed"] == 77
        assert "first and last 4 MiB" in doc["source"]["hash_method"]
        assert zf.getinfo("layers/mask.npy").file_size < T * H * W
        assert zf.getinfo("layers/sketch_mask.npy").file_size < T * H * W
        assert doc["sketch_layers"]["box"][:2] == [1, 5]  # frames 1-4 hold the drawing


def test_unpainted_project_has_no_layers(tmp_path):
    session = SessionModel()
    clip, path = make_clip(tmp_path)
    session.set_clip(clip, fp.describe(path, clip.frames.shape[:3]))
    save_project(session.snapshot(), tmp_path / "p.vgpnn")
    data = load_project(tmp_path / "p.vgpnn")
    assert data.inpaint is None and data.sketch is None and data.favourites == []


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """A copy of project `src` with its JSON document changed by edit(doc)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "project.json":
                doc = json.loads(data)
                edit(doc)
                data = json.dumps(doc).encode()
            zout.writestr(item, data)
    return dst


@pytest.mark.parametrize("case, expected", [
    ("text", "not a VGPNN project"),
    ("empty", "not a VGPNN project"),
    ("truncated", "not a VGPNN project"),
    ("newer", "newer version"),
    ("no_json", "holds no project.json"),
    ("bad_json", "damaged"),
    ("bad_seed", "settings.seed"),
    ("bad_noise", "settings.noise"),
    ("wrong_format", "not a VGPNN project"),
    ("huge_box", "layers.box"),
    ("layer_shape", "expected"),
    ("missing_layer", "missing"),
    ("missing_sketch", "missing"),
    ("shape_not_a_list", "does not match"),
    ("huge_source", "implausibly large"),
    ("sketch_box", "sketch_layers.box"),
    ("missing", "not found"),
])
def test_bad_project_files_give_one_clear_message(tmp_path, case, expected):
    good = tmp_path / "good.vgpnn"
    save_project(session_with_work(tmp_path).snapshot(), good)
    bad = tmp_path / f"{case}.vgpnn"
    if case == "text":
        bad.write_text("hello")
    elif case == "empty":
        bad.write_bytes(b"")
    elif case == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif case == "newer":
        _rewrite(good, bad, lambda d: d.update(version=VERSION + 1))
    elif case == "no_json":
        with zipfile.ZipFile(bad, "w") as zf:
            zf.writestr("other.txt", "x")
    elif case == "bad_json":
        with zipfile.ZipFile(bad, "w") as zf:
            zf.writestr("project.json", "{not json")
    elif case == "bad_seed":
        _rewrite(good, bad, lambda d: d["settings"].update(seed=-4))
    elif case == "bad_noise":
        _rewrite(good, bad, lambda d: d["settings"]["noise"].update(inpaint=float("nan")))
    elif case == "wrong_format":
        _rewrite(good, bad, lambda d: d.update(format="something"))
    elif case == "huge_box":
        _rewrite(good, bad, lambda d: d["layers"].update(box=[0, 10**9, 0, 5, 0, 5]))
    elif case == "layer_shape":
        _rewrite(good, bad, lambda d: d["layers"].update(box=[0, 1, 0, 2, 0, 2]))
    elif case == "missing_layer":
        _rewrite(good, bad, lambda d: d["layers"].update(mask="layers/none.npy"))
    elif case == "shape_not_a_list":
        _rewrite(good, bad, lambda d: d["layers"].update(shape=5))
    elif case == "huge_source":
        def huge(d):
            d["source"].update(frames=100_000, height=100_000, width=100_000)
            d["layers"].update(shape=[100_000] * 3)
            d["in_out"] = [0, 1]
        _rewrite(good, bad, huge)
    elif case == "missing_sketch":
        _rewrite(good, bad, lambda d: d["sketch_layers"].update(hints="layers/none.npy"))
    elif case == "sketch_box":
        _rewrite(good, bad, lambda d: d["sketch_layers"].update(box=[0, 99, 0, 5, 0, 5]))
    with pytest.raises(ProjectError) as err:
        load_project(bad)
    message = str(err.value)
    assert expected in message and bad.name in message and "\n" not in message


def test_a_favourite_starred_with_an_earlier_mask_is_saved_as_such(tmp_path):
    """The file keeps which favourites the saved layers make: one starred before the mask
    changed is read back as made with earlier layers (it matches no layers of a session)."""
    session = session_with_work(tmp_path)
    settings = session.settings  # inpaint over frames 1-4
    now = Favourite(5, settings, (1, 4), session.layers_token(settings, (1, 4)))
    before = Favourite(6, settings, (1, 4), ("mask", -1))
    session.set_favourite(now, True)
    session.set_favourite(before, True)
    save_project(session.snapshot(), tmp_path / "p.vgpnn")
    saved = {f.seed: f for f in load_project(tmp_path / "p.vgpnn").favourites}
    assert saved[5].layers == () and saved[6].layers == EARLIER_LAYERS
    assert saved[3].layers == ()  # starred with nothing known: the layers opened with it
    assert not saved[6].made_with(session.layers_token(settings, (1, 4)))
    assert Favourite.from_dict(saved[6].to_dict()) == saved[6]
    with pytest.raises(SettingsError, match="earlier_layers"):
        Favourite.from_dict({**saved[6].to_dict(), "earlier_layers": "yes"})


def test_settings_validation():
    s = PanelSettings(seed=3)
    assert PanelSettings.from_dict(s.to_dict()) == s
    assert PanelSettings.from_dict({**s.to_dict(), "later_option": 1}) == s  # unknown: ignored
    for bad in ({"task": "paint"}, {"quality": 3}, {"seed": True}, {"browse_count": 99},
                {"width": -1}, {"noise": {"generate": "5"}}, {"aspect_lock": "yes"},
                {"blend_seams": 1}, {"blend_seams": "always"}, {"keep_whole": "on"},
                {"keep_edges": "off"}):
        with pytest.raises(SettingsError):
            PanelSettings.from_dict({**s.to_dict(), **bad})
    fav = Favourite(4, s, (0, 2))
    assert fav.settings.seed == 4 and Favourite.from_dict(fav.to_dict()) == fav
    assert fav.matches(Favourite(4, s.with_(auto_update=False, browse_count=3), (0, 2)))
    assert not fav.matches(Favourite(4, s.with_(quality="best"), (0, 2)))
    assert s.blend_seams == "auto"
    assert not fav.matches(Favourite(4, s.with_(blend_seams="on"), (0, 2)))  # another video
    assert not fav.matches(Favourite(4, s.with_(keep_edges=False), (0, 2)))  # another video
    assert PanelSettings.from_dict({k: v for k, v in s.to_dict().items() if k != "keep_edges"}).keep_edges
    blended = s.with_(blend_seams="on")
    assert PanelSettings.from_dict(blended.to_dict()) == blended
    # A project saved before "auto" (true, false or no entry) opens as it was made.
    older = {k: v for k, v in s.to_dict().items() if k != "blend_seams"}
    assert PanelSettings.from_dict(older) == s.with_(blend_seams="off")
    assert PanelSettings.from_dict({**older, "blend_seams": False}).blend_seams == "off"
    assert PanelSettings.from_dict({**older, "blend_seams": True}).blend_seams == "on"
    whole = s.with_(keep_whole=True)
    assert PanelSettings.from_dict(whole.to_dict()) == whole
    assert PanelSettings.from_dict({k: v for k, v in s.to_dict().items() if k != "keep_whole"}) == s
    assert not fav.matches(Favourite(4, whole, (0, 2)))


def test_atomic_save_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    session = session_with_work(tmp_path)
    target = tmp_path / "keep.vgpnn"
    save_project(session.snapshot(), target)
    before = target.read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("app.state.project_file._write_array", broken)
    with pytest.raises(OSError):
        save_project(session.snapshot(), target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".mp4") == ["keep.vgpnn"]


def test_fingerprint_samples_big_files(tmp_path, monkeypatch):
    monkeypatch.setattr(fp, "SAMPLE_BYTES", 1024)
    big = tmp_path / "big.bin"
    data = bytearray(os.urandom(10_000))
    big.write_bytes(data)
    size, digest = fp.fingerprint(big)
    assert size == 10_000
    data[5000] ^= 0xFF  # the unsampled middle: the same digest (documented)
    big.write_bytes(data)
    assert fp.fingerprint(big) == (size, digest)
    data[10] ^= 0xFF  # the head: another digest
    big.write_bytes(data)
    assert fp.fingerprint(big)[1] != digest
    big.write_bytes(data + b"x")  # the size: another digest
    assert fp.fingerprint(big)[0] == 10_001
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "0001.png").write_bytes(b"abc")
    assert fp.fingerprint(folder)[0] == 3


def test_recovery_files_of_live_and_dead_editors(tmp_path):
    session = session_with_work(tmp_path)
    mine = RecoveryStore(tmp_path / "data")
    mine.write(session.snapshot(project_path=tmp_path / "walk.vgpnn")).result(30)
    assert mine.path.exists()
    other = RecoveryStore(tmp_path / "data")
    assert other.orphans() == []  # its editor still runs (it holds the lock)

    # A recovery file whose editor died: written by a child process that then exits
    # without cleaning up (as after kill -9).
    code = ("import sys; from app.state.recovery import RecoveryStore; "
            "from app.state.project_file import load_project; "
            f"s = RecoveryStore({str(tmp_path / 'data')!r}); "
            f"s.write(load_project({str(mine.path)!r})).result(30); "
            "import os; os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    found = other.orphans()
    assert len(found) == 1 and found[0].project_name == "walk"
    assert "clip.mp4" in found[0].describe() and "autosaved" in found[0].describe()
    data = load_project(found[0].path)
    np.testing.assert_array_equal(data.inpaint.mask, session.mask.mask)
    other.remove(found[0].path)
    assert other.orphans() == []
    mine.close()  # a clean exit deletes its file
    assert not mine.path.exists()


def test_the_same_file_read_again_is_the_same_source(tmp_path):
    """A clip (or clip A) opened again unchanged gives the same frames: the same serial, so
    its results stay current and cached; once the file changes, a new one."""
    from app.state.media import read_source
    from engine.io import write_video

    path = tmp_path / "again.mp4"
    write_video(np.zeros((3, 16, 16, 3), np.uint8), path, fps=Fraction(10))
    first, second = read_source(path), read_source(path)
    assert first.serial == second.serial
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # touched
    assert read_source(path).serial != first.serial


def test_a_projects_favourites_become_earlier_once_its_mask_changes(tmp_path):
    """Favourites read from a file were made with the layers it holds: a stroke after the
    project opens makes them "earlier", as for a favourite starred in the session."""
    session = session_with_work(tmp_path)  # favourite 3: inpaint over frames 1-4
    save_project(session.snapshot(), tmp_path / "p.vgpnn")
    again = SessionModel()
    again.restore(load_project(tmp_path / "p.vgpnn"), session.clip, session.source, None)
    assert {f.seed: f.layers for f in again.snapshot().favourites}[3] == ()
    again.mask.begin_stroke(2, "remove", 3, scope="frame")
    again.mask.stroke_to(25, 15)
    again.mask.end_stroke()
    assert {f.seed: f.layers for f in again.snapshot().favourites}[3] == EARLIER_LAYERS


def test_a_favourite_past_a_shorter_clip_is_saved_as_it_is(tmp_path):
    """A project reopened on a shorter clip keeps its favourite of the last frames (it
    cannot be made now): saving must not fail on it."""
    session = session_with_work(tmp_path)
    settings = session.settings
    session.set_favourite(Favourite(8, settings, (T - 2, T - 1)), True)
    save_project(session.snapshot(), tmp_path / "p.vgpnn")
    shorter, path = make_clip(tmp_path, "short.mp4", t=T - 3)
    again = SessionModel()
    again.restore(load_project(tmp_path / "p.vgpnn"), shorter,
                  fp.describe(path, shorter.frames.shape[:3]), None)
    saved = {f.seed: f for f in again.snapshot().favourites}
    assert saved[8].in_out == (T - 2, T - 1)


def test_favourites_of_a_mask_that_could_not_be_loaded_are_earlier(tmp_path):
    """Reopened on a clip of another size, the mask is not loaded: its favourites were made
    with a mask this session does not have, so they are "earlier", not made with the empty
    one."""
    session = session_with_work(tmp_path)  # favourite 3: inpaint
    save_project(session.snapshot(), tmp_path / "p.vgpnn")
    shorter, path = make_clip(tmp_path, "short.mp4", t=T - 1)
    again = SessionModel()
    notes = again.restore(load_project(tmp_path / "p.vgpnn"), shorter,
                          fp.describe(path, shorter.frames.shape[:3]), None)
    assert any("was not loaded" in n for n in notes)
    layers = {f.seed: f.layers for f in again.favourites}
    assert layers[3] == EARLIER_LAYERS and layers[9] == ()  # 9: a variation, no mask


def test_a_clip_downscaled_on_opening_says_why(tmp_path, monkeypatch):
    """The editor said only "downscaled from 1920x1080 to 886x498", where the command line
    names the limit: the note says which of the editor's limits it was over."""
    from fractions import Fraction

    from app.state import media
    from engine.io import write_video
    from tests.test_app_support import moving_texture

    path = write_video(moving_texture(8, 32, 48), tmp_path / "c.mp4", fps=Fraction(10), crf=10)
    monkeypatch.setattr(media, "MAX_VOXELS", 4000)
    source = media.read_source(path)
    note = next(n for n in source.clip.notes if n.startswith("downscaled from 48x32"))
    assert note.endswith("8 frames of 48x32 over the editor's limit of 4,000 pixels a clip (it "
                         "keeps the whole clip in memory; cut it shorter to keep its size)")
    assert "(downscaled from 48x32)" in source.describe()

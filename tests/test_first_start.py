"""First start: the system libraries Qt's xcb plugin needs, `python main.py --check`, and
the editor refusing to start with the install line instead of Qt's abort."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parents[1]


def test_readme_names_the_install_lines() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in (main.APT_LINE, main.DNF_LINE, main.PACMAN_LINE):
        assert line in readme
    assert "main.py --check" in readme
    for pkg in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
                "libxcb-render-util0", "libxkbcommon-x11-0"):
        assert f" {pkg} " in main.APT_LINE


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                    reason="ldd on Linux")
def test_table_covers_what_the_xcb_plugin_loads() -> None:
    """Every X, xcb, xkb, GL, font and GLib library in `ldd libqxcb.so` has a package."""
    plugin = main._pyside_dir() / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    names = {ln.split("=>")[0].strip() for ln in out.splitlines() if "=>" in ln}
    wanted = {n for n in names if n.startswith(("libxcb", "libX11", "libxkb", "libGL.", "libEGL.",
                                                "libfontconfig", "libfreetype", "libglib",
                                                "libdbus"))}
    assert wanted <= set(main.XCB_LIBRARIES), wanted - set(main.XCB_LIBRARIES)
    assert isinstance(main.missing_xcb_libraries(), list)


@pytest.mark.parametrize("env, expected", [
    ({"DISPLAY": ":0"}, True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, True),
    ({}, False),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False),
])
def test_display_expected(monkeypatch, env, expected) -> None:
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main.display_expected() is (expected and sys.platform.startswith("linux"))


@pytest.fixture
def missing_cursor(monkeypatch):
    """A Linux display session where libxcb-cursor is missing."""
    monkeypatch.setattr(main, "display_expected", lambda: True)
    monkeypatch.setattr(main, "missing_xcb_libraries", lambda: ["libxcb-cursor.so.0"])


def test_editor_prints_the_fix_instead_of_starting_qt(missing_cursor, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "app.window.launch", None)  # importing it would fail
    assert main.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the editor cannot open a window. Qt's xcb platform plugin "
                          "needs system libraries that are missing: libxcb-cursor.so.0.")
    assert main.APT_LINE in err and main.DNF_LINE in err and "macOS and Windows" in err


def test_setup_hook_warns_and_never_fails(missing_cursor, capsys) -> None:
    assert main.report_missing_xcb() == 0
    assert main.APT_LINE in capsys.readouterr().err


def test_nothing_to_say_when_all_is_there(monkeypatch, capsys) -> None:
    monkeypatch.setattr(main, "display_expected", lambda: True)
    monkeypatch.setattr(main, "missing_xcb_libraries", lambda: [])
    assert main.xcb_problem() is None
    assert main.report_missing_xcb() == 0 and capsys.readouterr().err == ""


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--check"], capture_output=True,
                          text=True, timeout=240, env={**os.environ, **env}, cwd=ROOT)


def test_check_reports_every_part() -> None:
    r = _check({"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stdout + r.stderr
    for part in ("Python 3.", "PyAV ", "FFmpeg ", "media reader", "PyTorch ", "device: ",
                 "PySide6 ", "Qt platform plugin"):
        assert part in r.stdout, part
    assert r.stdout.count("  OK  ") == 6 and "FAIL" not in r.stdout


def test_check_survives_a_qt_abort_and_fails() -> None:
    """A platform plugin that cannot load aborts Qt's process; the check runs it in a
    child, so it reports the failure and exits non-zero instead of dying."""
    r = _check({"QT_QPA_PLATFORM": "no-such-platform"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL  Qt platform plugin cannot load" in r.stdout
    assert "1 problem found" in r.stdout and "Traceback" not in r.stdout + r.stderr


def test_the_window_shows_before_pytorch_loads():
    """Importing PyTorch takes 1.6-1.8 s on 2 cores: the window's modules leave it to the
    workers (the device probe, the first run), so the window shows first."""
    code = "import sys, app.window.launch; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_check_with_another_python_says_which_to_run(monkeypatch, capsys, tmp_path) -> None:
    """`python3 main.py --check` after setup, with a Python other than .venv's: three FAILs
    said "run setup.sh" (done already) and one blamed Qt's platform plugin."""
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("")
    monkeypatch.setattr(main, "__file__", str(tmp_path / "main.py"))
    monkeypatch.setattr(main, "missing_packages", lambda editor: ["PyAV", "PyTorch"])
    assert main.check() == 1
    out = capsys.readouterr().out
    assert "has no PyAV, PyTorch; setup.sh installed them into .venv" in out
    assert "fix: .venv/bin/python main.py --check" in out and "platform plugin" not in out


def test_a_display_no_server_answers_is_said_before_qt_aborts(monkeypatch, capsys, tmp_path) -> None:
    """DISPLAY still set over ssh without -X, or an X server stopped: Qt aborted (exit code
    134), and --check blamed a library that was installed."""
    import socket

    if not sys.platform.startswith("linux"):
        pytest.skip("X displays are looked for on Linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":987")
    said = main.display_unreachable()
    assert said and said.startswith("cannot connect to the display :987")
    monkeypatch.setattr(main, "xcb_problem", lambda: None)
    assert main.main([]) == 1
    assert "cannot connect to the display :987" in capsys.readouterr().err
    # A display that answers (a listening socket standing in for an X server) is left to Qt.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    if port < 6000:
        server.close()
        return
    monkeypatch.setenv("DISPLAY", f"127.0.0.1:{port - 6000}")
    try:
        assert main.display_unreachable() is None
    finally:
        server.close()

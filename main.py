"""Entry point: `python main.py [VIDEO]` opens the editor; subcommands run headless;
`python main.py --check` tests what the editor needs on this machine."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# What Qt's xcb platform plugin (libqxcb.so) loads, found with `ldd` on it inside the venv,
# and the package that holds each library: (Debian/Ubuntu, Fedora, Arch).
XCB_LIBRARIES: dict[str, tuple[str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
}


def _packages(column: int) -> str:
    return " ".join(dict.fromkeys(p[column] for p in XCB_LIBRARIES.values()))


# The README's Quick start names these same lines.
APT_LINE = "sudo apt-get install -y " + _packages(0)
DNF_LINE = "sudo dnf install -y " + _packages(1)
PACMAN_LINE = "sudo pacman -S --needed " + _packages(2)
FIX_TEXT = (f"Debian/Ubuntu:\n  {APT_LINE}\nFedora:\n  {DNF_LINE}\nArch:\n  {PACMAN_LINE}\n"
            "(macOS and Windows need nothing: the Qt wheels carry everything.)")


def _pyside_dir() -> Path | None:
    """PySide6's folder, found without importing it."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def missing_xcb_libraries() -> list[str] | None:
    """System libraries that Qt's xcb plugin needs and `ldd` cannot find; None when this
    cannot be told (not Linux, no ldd, no PySide6)."""
    root = _pyside_dir()
    plugin = root / "Qt" / "plugins" / "platforms" / "libqxcb.so" if root else None
    if not sys.platform.startswith("linux") or plugin is None or not plugin.is_file() \
            or shutil.which("ldd") is None:
        return None
    try:
        # ldd lists the whole tree: the plugin, the Qt libraries it links, and theirs.
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    missing = [line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line]
    return sorted(dict.fromkeys(missing))


def display_expected() -> bool:
    """Linux with an X display that Qt will use through its xcb plugin."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return False
    if platform == "" and os.environ.get("WAYLAND_DISPLAY"):
        return False  # Qt may use its Wayland plugin, which needs none of these
    return bool(os.environ.get("DISPLAY"))


def no_display() -> bool:
    """Linux with no display and no Qt platform chosen: Qt would abort (exit code 134)."""
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM"))


def xcb_problem() -> str | None:
    """The message to print instead of Qt's abort, or None when the window can open."""
    if not display_expected():
        return None
    missing = missing_xcb_libraries()
    if not missing:
        return None
    return (f"Qt's xcb platform plugin needs system libraries that are missing: "
            f"{', '.join(missing)}.\nInstall them, then start the editor again:\n{FIX_TEXT}")


def display_unreachable() -> str | None:
    """Why the X display named by DISPLAY cannot be reached (no server there: ssh without
    -X with DISPLAY still set, an X server stopped), or None. Qt then aborted (exit code
    134) saying little. Only where Qt would use X: no platform chosen, no Wayland."""
    display = os.environ.get("DISPLAY", "")
    if (not sys.platform.startswith("linux") or not display or os.environ.get("QT_QPA_PLATFORM")
            or os.environ.get("WAYLAND_DISPLAY")):
        return None
    import socket

    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return None  # a form not known here: Qt's to judge
    if host in ("", "unix"):
        for address in (f"/tmp/.X11-unix/X{number}", f"\0/tmp/.X11-unix/X{number}"):  # file, abstract
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.settimeout(2.0)
                    probe.connect(address)
                return None
            except OSError:
                continue
    else:  # a host (ssh -X's localhost:10), IPv4 or IPv6
        try:
            socket.create_connection((host.strip("[]"), 6000 + int(number)), timeout=2.0).close()
            return None
        except OSError:
            pass
    return (f"cannot connect to the display {display}: no X server answers there (is it "
            "running? Over ssh, connect with ssh -X; or unset DISPLAY to use the command line)")


def report_missing_xcb() -> int:
    """For scripts/setup.sh: print the install line when a display is expected and libraries
    are missing. Always 0: a headless setup must not fail for it."""
    problem = xcb_problem()
    if problem:
        print(f"\nWARNING: the editor will not open a window yet. {problem}\n", file=sys.stderr)
    return 0


# --- python main.py --check -------------------------------------------------------------


def _check_python() -> tuple[bool, str, str]:
    v = sys.version_info
    ok = v >= (3, 11)
    return ok, f"Python {v.major}.{v.minor}.{v.micro} ({sys.executable})", \
        "" if ok else "use Python 3.11 or newer: PYTHON=python3.11 bash scripts/setup.sh"


def _check_torch() -> tuple[bool, str, str]:
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken binary
        return False, f"PyTorch: cannot import ({exc})", "bash scripts/setup.sh"
    from engine.device import device_label, pick_device

    dev = pick_device("auto")
    if dev.type == "cuda":
        where = f"CUDA {torch.version.cuda} on {device_label(dev)}"
    else:
        where = "CPU (no CUDA GPU found; a GPU makes full-size runs many times faster)"
    return True, f"PyTorch {torch.__version__}, device: {where}", ""


def _check_av() -> tuple[bool, str, str]:
    try:
        import av
        from av.codec import Codec
    except Exception as exc:
        return False, f"PyAV: cannot import ({exc})", "bash scripts/setup.sh"
    ffmpeg = getattr(av, "ffmpeg_version_info", "?")
    try:
        Codec("libx264", "w")
    except Exception:
        return False, f"PyAV {av.__version__}, FFmpeg {ffmpeg}: no H.264 encoder (libx264)", \
            "reinstall PyAV from its wheels: .venv/bin/pip install --force-reinstall av"
    return True, f"PyAV {av.__version__}, FFmpeg {ffmpeg}, H.264 encoder libx264", ""


def _check_reader() -> tuple[bool, str, str]:
    from engine.errors import EngineError
    from engine.io import SAMPLE_CLIP, probe

    try:
        info = probe(SAMPLE_CLIP)
    except EngineError as exc:
        return False, f"media reader: {exc}", "bash scripts/setup.sh"
    return True, f"media reader opens the sample clip ({info.width}x{info.height}, " \
                 f"{info.frames} frames)", ""


def _check_qt() -> tuple[bool, str, str]:
    try:
        import PySide6
        from PySide6 import QtCore
    except Exception as exc:
        return False, f"PySide6: cannot import ({exc})", "bash scripts/setup.sh"
    return True, f"PySide6 {PySide6.__version__} (Qt {QtCore.qVersion()})", ""


def _check_platform() -> tuple[bool, str, str]:
    """Start a Qt application in a child process: Qt aborts the process when its platform
    plugin cannot load, and the check must survive to say why."""
    headless = no_display()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"} if headless else None
    code = ("import sys; from PySide6.QtGui import QGuiApplication; "
            "app = QGuiApplication(sys.argv[:1]); print(app.platformName())")
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60, env=env, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"Qt platform plugin: cannot test it ({exc})", ""
    missing = missing_xcb_libraries()
    if r.returncode == 0:
        name = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "?"
        if headless:
            note = " (no display here: the editor needs one, the subcommands do not)"
            if missing:
                return True, f"Qt platform plugin: {name} loads{note}; for a display, xcb " \
                             f"still needs {', '.join(missing)}", APT_LINE
            return True, f"Qt platform plugin: {name} loads{note}", ""
        return True, f"Qt platform plugin {name} loads", ""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    unreachable = display_unreachable()
    if unreachable:  # Qt's own first line blamed xcb-cursor, which was there
        return False, f"Qt platform plugin: {unreachable}", ""
    why = next((ln.strip() for ln in lines if "could not connect to display" in ln),
               next((ln.strip() for ln in lines if "platform plugin" in ln),
                    lines[-1] if lines else ""))
    if missing:
        return False, f"Qt platform plugin cannot load: missing {', '.join(missing)}", \
            FIX_TEXT.replace("\n", "\n        ")
    fix = ("unset QT_QPA_PLATFORM, or set it to xcb, wayland or offscreen"
           if os.environ.get("QT_QPA_PLATFORM") else
           "run QT_DEBUG_PLUGINS=1 .venv/bin/python main.py to see what Qt is missing")
    return False, f"Qt platform plugin cannot load (exit code {r.returncode}): {why}", fix


def check() -> int:
    """`python main.py --check`: each part OK or with its fix; non-zero if one is missing."""
    print("VGPNN editor: system check")
    venv = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
    missing = missing_packages(True)
    if missing and venv.exists() and not _same_python(venv):
        # Another Python than the one setup.sh made: four FAILs, three of them "run
        # setup.sh" (done already) and one blaming Qt's plugin, said what was wrong less well.
        print(f"  FAIL  this Python ({sys.executable}) has no {', '.join(missing)}; setup.sh "
              f"installed them into .venv\n        fix: .venv/bin/python main.py --check")
        return 1
    failed = 0
    for test in (_check_python, _check_av, _check_reader, _check_torch, _check_qt,
                 _check_platform):
        try:
            ok, what, fix = test()
        except Exception as exc:  # a check must report, never crash
            ok, what, fix = False, f"{test.__name__[7:]}: {type(exc).__name__}: {exc}", ""
        failed += not ok
        print(f"  {'OK  ' if ok else 'FAIL'}  {what}")
        if fix:
            print(f"        {'fix' if not ok else 'hint'}: {fix}")
    print("Everything the editor needs is here." if not failed else
          f"{failed} problem{'s' if failed != 1 else ''} found; see the fixes above.")
    return 1 if failed else 0


def _same_python(venv: Path) -> bool:
    """Whether this interpreter is the .venv's (its prefix, whatever link ran it)."""
    return Path(sys.prefix).resolve() == venv.parent.parent.resolve()


# What each part imports (by module name, what to call it in a message).
_ENGINE_NEEDS = {"numpy": "numpy", "av": "PyAV", "torch": "PyTorch"}
_EDITOR_NEEDS = {"PySide6": "PySide6", "pyqtgraph": "pyqtgraph"}


def missing_packages(editor: bool) -> list[str]:
    """The packages this Python lacks for the engine (and the editor), found without
    importing them."""
    needs = {**_ENGINE_NEEDS, **(_EDITOR_NEEDS if editor else {})}
    return [name for module, name in needs.items() if importlib.util.find_spec(module) is None]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--check"]:
        return check()
    from engine.cli_args import SUBCOMMANDS

    editor = not argv or not (argv[0].startswith("-") or argv[0] in SUBCOMMANDS)
    missing = missing_packages(editor)
    if missing:  # another Python than the project's (.venv's): say so, not a traceback
        print(f"error: this Python ({sys.executable}) has no {', '.join(missing)}: run bash "
              "scripts/setup.sh once, then .venv/bin/python main.py (or . .venv/bin/activate "
              "first)", file=sys.stderr)
        return 1

    if argv and (argv[0] in SUBCOMMANDS or argv[0].startswith("-")):
        from engine.cli import main as cli_main

        return cli_main(argv)
    usage = ("usage: python main.py [VIDEO]  |  python main.py {generate,retarget,inpaint,analogy,"
             "sketch,bench} ...  |  python main.py --check")
    if argv and not os.path.exists(Path(argv[0]).expanduser()) and not Path(argv[0]).suffix:
        # Not a file and not a file's name: a mistyped subcommand, not a clip to open.
        import difflib

        close = difflib.get_close_matches(argv[0], SUBCOMMANDS, n=1)
        what = (f"unknown command {argv[0]!r} (did you mean {close[0]}?)" if close else
                f"{argv[0]!r} is neither a file nor a command")
        print(f"error: {what}\n{usage}", file=sys.stderr)
        return 2
    if len(argv) > 1:  # a clip with options: a subcommand was forgotten
        print(f"error: the editor opens one VIDEO and takes no options; to make a video from "
              f"the command line name the command first, e.g. python main.py generate "
              f"{argv[0]} -o out.mp4\n{usage}", file=sys.stderr)
        return 2
    if no_display():
        print("error: no display here: the editor needs one (the subcommands do not; "
              "python main.py generate --help)", file=sys.stderr)
        return 1
    problem = xcb_problem() or display_unreachable()  # before Qt loads: Qt would abort
    if problem:
        print(f"error: the editor cannot open a window. {problem}", file=sys.stderr)
        return 1
    from engine.heap import share_one_arena
    from engine.huge_pages import ask_for_huge_pages

    ask_for_huge_pages()  # the editor's clips are not known yet; Full-HD is where it counts
    share_one_arena()  # before any thread: the jobs' big buffers kept as the commands keep them
    from app.window.launch import launch

    return launch(argv[0] if argv else None)


def _exit(code: int) -> None:
    """Leave the interpreter. After a headless command, skip Python's teardown: unloading
    PyTorch takes 0.4-0.6 s of a short command on 2 cores (`python -c "import torch"` 1.7 s
    against 1.2 s), and by now every output is written, closed and renamed, and no thread
    or child process is left. The editor (Qt) exits the ordinary way."""
    if "torch" in sys.modules and "PySide6" not in sys.modules:
        for stream in (sys.stdout, sys.stderr):  # None where the caller closed it (>&-)
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass  # a stream gone or full: the work is done, its exit code stands
        os._exit(code)
    sys.exit(code)


def _run() -> int:
    try:
        return main()
    except KeyboardInterrupt:  # Ctrl-C while the first imports run: no traceback
        if sys.stderr is not None:
            print("\ncancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    _exit(_run())

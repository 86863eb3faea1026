"""Hostile and unusual input files (tests/hostile_corpus.py) against the command line and
the editor's open path.

Every case must end with a valid result or exactly one clear message: no traceback, no
native crash, no hang (a time limit per case), no file left behind, the input unchanged.
Each case runs in its own process (a crash must not take the test run with it), two at a
time; the whole corpus takes about half a minute on two cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile_corpus import CASES, Case

ROOT = Path(__file__).resolve().parents[1]
CLI_TIMEOUT = 90.0  # seconds per case; a draft run of these tiny clips takes a few
OPEN_TIMEOUT = 45.0
_CRASH_CODES = {134, 136, 139}  # 128 + SIGABRT / SIGFPE / SIGSEGV from a wrapper

# The editor reads a clip with this function (on a worker thread); found by name so that a
# move inside app/ does not silently skip these checks.
_OPEN_PATHS = ("app.state.media", "app.media")
_OPEN_SCRIPT = """
import importlib, json, sys
from engine.errors import EngineError
for name in sys.argv[2].split(","):
    try:
        read_source = importlib.import_module(name).read_source
        break
    except (ImportError, AttributeError):
        continue
else:
    raise SystemExit("read_source not found in " + sys.argv[2])
try:
    source = read_source(sys.argv[1])
except EngineError as exc:
    print(json.dumps({"error": str(exc)}))
else:
    print(json.dumps({"shape": list(source.frames.shape)}))
"""


@dataclass
class Outcome:
    code: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(cmd: list[str], timeout: float) -> Outcome:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # two cases at a time on two cores
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env=env, encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else ""
        return Outcome(None, out, "", time.perf_counter() - t0)
    return Outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - t0)


@dataclass
class Prepared:
    case: Case
    path: Path
    digest: str
    out_dir: Path
    cli: Outcome | None = None
    opened: Outcome | None = None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Prepared]:
    """Every case built in its own folder, run through the CLI and the open path."""
    root = tmp_path_factory.mktemp("hostile")
    prepared: dict[str, Prepared] = {}
    for i, case in enumerate(CASES):
        path = root / f"in{i:02d}" / case.filename
        path.parent.mkdir(parents=True)
        case.build(path)
        out_dir = root / f"out{i:02d}"
        out_dir.mkdir()
        prepared[case.name] = Prepared(case, path, _sha256(path), out_dir)

    def cli(p: Prepared) -> None:
        p.cli = _run([sys.executable, str(ROOT / "main.py"), "generate", str(p.path), "-o",
                      str(p.out_dir / "result.mp4"), "-q", "--quality", "draft"], CLI_TIMEOUT)

    def opened(p: Prepared) -> None:
        p.opened = _run([sys.executable, "-c", _OPEN_SCRIPT, str(p.path), ",".join(_OPEN_PATHS)],
                        OPEN_TIMEOUT)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(f, p) for p in prepared.values() for f in (cli, opened)]
        for job in jobs:
            job.result()
    print(f"\nhostile corpus: {len(CASES)} cases x 2 paths in {time.perf_counter() - t0:.1f} s")
    return prepared


def _untouched(p: Prepared) -> None:
    assert _sha256(p.path) == p.digest, "the input file changed"
    assert sorted(x.name for x in p.path.parent.iterdir()) == [p.path.name], \
        "files appeared beside the input"


def _no_crash(outcome: Outcome, limit: float) -> None:
    assert outcome.code is not None, f"hung: no answer within {limit:.0f} s"
    assert outcome.code >= 0 and outcome.code not in _CRASH_CODES, \
        f"crashed (exit code {outcome.code}): {outcome.stderr[-500:]}"
    both = outcome.stdout + outcome.stderr
    assert "Traceback" not in both and "Fatal Python error" not in both, both[-2000:]


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_cli(corpus, name: str) -> None:
    p = corpus[name]
    r = p.cli
    _no_crash(r, CLI_TIMEOUT)
    _untouched(p)
    left = sorted(x.name for x in p.out_dir.iterdir())
    if r.code == 0:
        assert p.case.expect != "error", f"expected an error, got a result: {r.stdout}"
        assert left == ["result.mp4"], left
        from engine.io import read_video

        assert len(read_video(p.out_dir / "result.mp4").frames) >= 1
        assert all(ln.startswith(("note: ", "warning: ")) for ln in r.stderr.splitlines())
    else:
        assert p.case.expect != "ok", f"expected a result, got: {r.stderr}"
        assert r.code == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
        assert p.case.message in lines[0]
        assert left == [], f"left behind: {left}"


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_editor_open(corpus, name: str) -> None:
    p = corpus[name]
    r = p.opened
    _no_crash(r, OPEN_TIMEOUT)
    assert r.code == 0, r.stderr[-2000:]
    _untouched(p)
    answer = json.loads(r.stdout.strip().splitlines()[-1])
    if "shape" in answer:
        assert p.case.expect != "error", f"expected an error, opened {answer['shape']}"
        t, h, w, c = answer["shape"]
        assert min(t, h, w) >= 1 and c == 3
    else:
        message = answer["error"]
        assert p.case.expect != "ok", f"expected it to open, got: {message}"
        assert message and "\n" not in message and p.case.message in message

"""Hostile and unusual input files (tests/hostile_corpus.py) against the command line and
the editor's open path.

Every case must end with a valid result or exactly one clear message: no traceback, no
native crash, no hang (a time limit per case), no file left behind, the input unchanged.
Every CLI case runs in its own process, the editor's open path in one more (as in the
editor: one clip after another), two processes at a time; a crash never takes the test run
with it. The whole corpus takes about half a minute on two idle cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
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

# The editor reads a clip with this function (on a worker thread, one clip after another in
# one process); found by name so that a move inside app/ does not silently skip these checks.
_OPEN_PATHS = ("app.state.media", "app.media")
_OPEN_SCRIPT = """
import importlib, json, sys, time, traceback
from engine.errors import EngineError
for name in sys.argv[1].split(","):
    try:
        read_source = importlib.import_module(name).read_source
        break
    except (ImportError, AttributeError):
        continue
else:
    raise SystemExit("read_source not found in " + sys.argv[1])
for path in sys.argv[2:]:
    t0 = time.perf_counter()
    try:
        answer = {"shape": list(read_source(path).frames.shape)}
    except EngineError as exc:
        answer = {"error": str(exc)}
    except Exception:
        answer = {"unexpected": traceback.format_exc()}
    answer["seconds"] = time.perf_counter() - t0
    print(json.dumps(answer), flush=True)
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


def _pump(stream, sink, end: bool) -> None:
    """Hand every line of a pipe to `sink`, then None when asked (the end of the output)."""
    for line in stream:
        sink(line)
    if end:
        sink(None)


def _open_all(paths: list[Path]) -> list[Outcome]:
    """The editor's open path on every file, in one process as in the editor. A case that
    crashes the process or hangs it is recorded as such; the rest go on in a new process."""
    results: list[Outcome | None] = [None] * len(paths)
    todo = list(range(len(paths)))
    while todo:
        cmd = [sys.executable, "-c", _OPEN_SCRIPT, ",".join(_OPEN_PATHS),
               *(str(paths[i]) for i in todo)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                                text=True, encoding="utf-8", errors="replace")
        lines: queue.Queue[str | None] = queue.Queue()
        errors: list[str] = []

        threading.Thread(target=_pump, args=(proc.stdout, lines.put, True), daemon=True).start()
        threading.Thread(target=_pump, args=(proc.stderr, errors.append, False), daemon=True).start()
        done = 0
        t0 = time.perf_counter()
        while done < len(todo):
            try:
                line = lines.get(timeout=OPEN_TIMEOUT)
            except queue.Empty:  # this case hangs
                proc.kill()
                proc.wait()
                results[todo[done]] = Outcome(None, "", "".join(errors), OPEN_TIMEOUT)
                break
            if line is None:  # the process ended before answering for this case: a crash
                code = proc.wait()
                results[todo[done]] = Outcome(code, "", "".join(errors), time.perf_counter() - t0)
                break
            answer = json.loads(line)
            results[todo[done]] = Outcome(0, line, "", answer["seconds"])
            done += 1
            t0 = time.perf_counter()
        else:
            proc.wait()
            for i in todo:  # a traceback printed outside any case belongs to all of them
                results[i].stderr = "".join(errors)
        todo = todo[done + 1 :]
    return results  # type: ignore[return-value]


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

    def open_all() -> None:
        items = list(prepared.values())
        for p, outcome in zip(items, _open_all([p.path for p in items]), strict=True):
            p.opened = outcome

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(open_all)] + [pool.submit(cli, p) for p in prepared.values()]
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
    _untouched(p)
    answer = json.loads(r.stdout)
    assert "unexpected" not in answer, answer.get("unexpected")
    if "shape" in answer:
        assert p.case.expect != "error", f"expected an error, opened {answer['shape']}"
        t, h, w, c = answer["shape"]
        assert min(t, h, w) >= 1 and c == 3
    else:
        message = answer["error"]
        assert p.case.expect != "ok", f"expected it to open, got: {message}"
        assert message and "\n" not in message and p.case.message in message


def test_open_harness_attributes_crashes_and_hangs(monkeypatch, tmp_path) -> None:
    """The one-process open path still pins a crash or a hang on the case that caused it."""
    import tests.test_hostile_inputs as me

    monkeypatch.setattr(me, "OPEN_TIMEOUT", 2.0)
    monkeypatch.setattr(me, "_OPEN_SCRIPT", (
        "import json, os, sys, time\n"
        "for path in sys.argv[2:]:\n"
        "    if 'crash' in path: os.abort()\n"
        "    if 'hang' in path: time.sleep(60)\n"
        "    print(json.dumps({'shape': [1, 1, 1, 3], 'seconds': 0.0}), flush=True)\n"))
    names = ["a", "crash", "b", "hang", "c"]
    outcomes = me._open_all([tmp_path / n for n in names])
    codes = [o.code for o in outcomes]
    assert codes[0] == codes[2] == codes[4] == 0
    assert codes[1] < 0 and codes[3] is None

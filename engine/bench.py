"""`python main.py bench`: speed and quality on the standard clips; a table and a JSON file."""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from engine.config import Settings
from engine.request import Request

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_CLIPS = ("air_balloons_13f_256x144.mp4", "balloons_16f_1920x1080.mp4")
INPAINT_CLIP = "birds_81f_640x360.mp4"
INPAINT_HOLE = (slice(0, 30), slice(156, 196), slice(320, 360))  # 40x40 px through 30 frames
METRIC_VOXELS = 2_000_000  # exact-search metrics above this size would take hours on a CPU


class PeakMemory:
    """Samples this process's resident memory (and CUDA's peak) while a block runs."""

    def __enter__(self) -> PeakMemory:
        self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
        except Exception:  # noqa: BLE001 - optional
            pass
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())
        self.cuda_peak = 0
        import torch

        if torch.cuda.is_available():
            self.cuda_peak = torch.cuda.max_memory_allocated()


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _clips(args: argparse.Namespace) -> list[Path]:
    if args.inputs:
        return [Path(p) for p in args.inputs]
    found = [DATA / name for name in DEFAULT_CLIPS if (DATA / name).exists()]
    if not found:
        from engine.io import SAMPLE_CLIP

        found = [SAMPLE_CLIP]
    return found


def bench_clip(path: Path, seeds: int, device: str, metrics: bool) -> dict:
    from engine import metrics as m
    from engine.io import read_video
    from engine.run import run

    clip = read_video(path)
    voxels = math.prod(clip.frames.shape[:3])
    with_metrics = metrics and voxels <= METRIC_VOXELS
    runs, outputs = [], []
    for seed in range(seeds if with_metrics else 1):
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            first = None
            for res in run(clip.frames, Request(seed=seed, settings=Settings(device=device))):  # noqa: B007
                if first is None:
                    first = time.perf_counter() - t0
            total = time.perf_counter() - t0
        runs.append({"seed": seed, "total_s": total, "first_preview_s": first, "levels": res.levels,
                     **{f"{k}_s": v for k, v in res.timings.items()},
                     "peak_rss_gb": mem.peak / 2**30, "cuda_peak_gb": mem.cuda_peak / 2**30})
        outputs.append(res.frames)
    row: dict = {
        "clip": path.name, "input": "x".join(map(str, clip.frames.shape[:3])),
        "output": "x".join(map(str, outputs[0].shape[:3])), "device": res.device,
        "levels": runs[0]["levels"], "runs": runs,
    }
    for key in ("pyramid_s", "search_s", "vote_s", "total_s", "first_preview_s"):
        row[key] = float(np.mean([r[key] for r in runs]))
    row["peak_rss_gb"] = max(r["peak_rss_gb"] for r in runs)
    row["cuda_peak_gb"] = max(r["cuda_peak_gb"] for r in runs)
    if with_metrics:
        row["coherence"] = float(np.mean([m.coherence(o, clip.frames) for o in outputs]))
        row["completeness"] = float(np.mean([m.completeness(o, clip.frames) for o in outputs]))
        row["diversity"] = m.diversity(outputs, clip.frames) if len(outputs) > 1 else None
    return row


def bench_inpaint(path: Path, device: str) -> dict:
    """Time to fill a 40x40 hole through the first 30 frames (the issue's inpainting case)."""
    from engine import metrics as m
    from engine.io import read_video
    from engine.run import run

    clip = read_video(path, end=30)
    mask = np.zeros(clip.frames.shape[:3], bool)
    mask[INPAINT_HOLE] = True
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        for res in run(clip.frames, Request(task="inpaint", mask=mask, settings=Settings(device=device))):  # noqa: B007
            pass
        total = time.perf_counter() - t0
    return {"clip": f"{path.name.split('_')[0]}: inpaint 40x40 hole x30f", "input": "x".join(map(str, clip.frames.shape[:3])),
            "output": "x".join(map(str, res.frames.shape[:3])), "device": res.device, "levels": res.levels,
            "total_s": total, "first_preview_s": None, "peak_rss_gb": mem.peak / 2**30,
            "cuda_peak_gb": mem.cuda_peak / 2**30, "outside_identical": bool(
                np.array_equal(res.frames[~mask], clip.frames[~mask])),
            "coherence": m.coherence(res.frames, clip.frames),
            **{f"{k}_s": v for k, v in res.timings.items()}, "frames": res.frames, "mask": mask,
            "source": clip.frames}


def cli_wall(path: Path, device: str) -> float:
    """Wall time of the whole `python main.py generate CLIP -o OUT` command (start-up, I/O included)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"vgpnn_bench_{os.getpid()}.mp4"
    main = Path(__file__).resolve().parents[1] / "main.py"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(main), "generate", str(path), "-o", str(out), "-q",
                    "--device", device], check=True)
    wall = time.perf_counter() - t0
    out.unlink(missing_ok=True)
    return wall


def _before_after(source: np.ndarray, out: np.ndarray, mask: np.ndarray, path: Path) -> None:
    """A PNG: input frame with the hole outlined in red, and the filled frame."""
    from engine.io import write_video

    t = 15
    before = source[t].copy()
    edge = mask[t] ^ np.roll(mask[t], 1, 0) | mask[t] ^ np.roll(mask[t], 1, 1)
    before[edge] = (255, 0, 0)
    pair = np.concatenate([before, np.full((before.shape[0], 8, 3), 255, np.uint8), out[t]], axis=1)
    folder = path.with_suffix("")
    write_video(pair[None], str(folder) + "/", fps=1)
    (folder / "frame_00001.png").replace(path)
    folder.rmdir()
    print(f"wrote {path}")


def _fmt(v: object, spec: str = ".2f") -> str:
    return "n/a" if v is None else format(v, spec)


def bench(args: argparse.Namespace) -> int:
    rows = []
    for path in _clips(args):
        print(f"bench: {path.name} ...", file=sys.stderr, flush=True)
        row = bench_clip(path, args.seeds, args.device, not args.no_metrics)
        if path.name == DEFAULT_CLIPS[0] or args.inputs:
            row["cli_wall_s"] = cli_wall(path, args.device)
        rows.append(row)
    birds = DATA / INPAINT_CLIP
    if not args.inputs and birds.exists():
        print(f"bench: {birds.name} inpainting ...", file=sys.stderr, flush=True)
        row = bench_inpaint(birds, args.device)
        _before_after(row.pop("source"), row.pop("frames"), row.pop("mask"), Path(args.json).with_suffix(".png"))
        rows.append(row)
    head = (f"{'clip':32} {'output TxHxW':>14} {'lv':>3} {'pyr s':>6} {'search s':>8} {'vote s':>7} "
            f"{'total s':>8} {'1st s':>6} {'CLI s':>6} {'peak GB':>8} {'coh':>7} {'compl':>7} {'div':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['clip'][:32]:32} {r['output']:>14} {r['levels']:>3} {r['pyramid_s']:6.2f} "
              f"{r['search_s']:8.2f} {r['vote_s']:7.2f} {r['total_s']:8.2f} {_fmt(r['first_preview_s']):>6} "
              f"{_fmt(r.get('cli_wall_s'), '.1f'):>6} {r['peak_rss_gb']:8.2f} "
              f"{_fmt(r.get('coherence'), '.4f'):>7} {_fmt(r.get('completeness'), '.4f'):>7} "
              f"{_fmt(r.get('diversity'), '.3f'):>6}")
    print(f"device: {rows[0]['device'] if rows else 'n/a'}; metrics over {args.seeds} seeds "
          f"(3x7x7 patches in [0,1]; clips over {METRIC_VOXELS:,} voxels: timing of one seed, no metrics)")
    Path(args.json).write_text(json.dumps({"rows": rows}, indent=2))
    print(f"wrote {args.json}")
    return 0

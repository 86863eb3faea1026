"""`python main.py bench`: speed and quality on the standard clips, beside the paper's and the
authors' outputs where they exist; `--ablate` runs named variants of the settings side by
side. Prints a table and writes JSON (and a PNG of the inpainting case).

Quality is measured by `engine.metrics` (the definitions of shared/eval/score.py) on what a
user gets: the output written as H.264 at the CLI's default quality and read back, as the
paper's outputs are mp4 files too; the authors' outputs are raw frames, so ours are
compared raw there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.cli_args import path_name, whole
from engine.config import KEEP_WHOLE_ALPHA, Settings
from engine.errors import InputError
from engine.io.paths import check_not_input

# The paper's clips and anchors: shared/data beside the checkout, or VGPNN_BENCH_DATA (a
# machine where the checkout travels alone, as tools/gpu_check.sh does).
DATA = Path(os.environ.get("VGPNN_BENCH_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
ANCHORS = DATA / "anchors"
INPAINT_CLIP = "birds_81f_640x360.mp4"
INPAINT_HOLE = (slice(0, 30), slice(156, 196), slice(320, 360))  # 40x40 px through 30 frames
CRF = 18  # the CLI's default


@dataclass
class Case:
    """A clip, how many seeds, the scales its quality is measured at, and its anchors."""

    name: str
    path: Path
    seeds: int
    scales: tuple[float, ...]
    anchors: list[Path] = field(default_factory=list)
    anchor_label: str = ""
    encode: bool = True  # measure the mp4 a user gets (False: raw frames)
    cli: bool = False  # also time the whole `python main.py generate` command


# Named variants of the settings for --ablate: each changes a few fields of the defaults.
VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "16-d search": {"descriptor_dims": 16},
    "64-d at every level": {"fine_descriptor_dims": None},
    "paper vote (median of 147)": {"vote": "median", "vote_stride": 1},
    "lattice vote on the coarse levels too": {"coarse_vote_voxels": 0},
    "centred lattice vote (offsets 1, 3, 5)": {"vote_stride": 2},
    "completeness weighting": {"completeness_alpha": 1.0},
    "3 EM iterations": {"em_iters": 3},
    "5 EM iterations on the fine levels (paper)": {"fine_em_iters": None},
    "fine levels from 200k voxels": {"fine_voxels": 200_000},
    # The default until 2026-12-04: white noise replicated along time (the paper's), 1.3.
    "white replicated noise 1.3": {"noise_mode": "replicated", "noise_smooth": 0.0, "noise_scale": 1.3},
    "white noise per voxel 1.3": {"noise_mode": "voxel", "noise_smooth": 0.0, "noise_scale": 1.3},
    "white mixed noise 1.3": {"noise_mode": "mixed", "noise_smooth": 0.0, "noise_scale": 1.3},
    "1 EM iteration at the coarsest (authors')": {"coarsest_em_iters": 1},
    # `noise` is a Request field: the sigma, whatever the clip; white noise replicated along time.
    "fixed noise 5 (authors')": {"noise": 5.0, "noise_mode": "replicated", "noise_smooth": 0.0},
    # The authors' code exactly: sigma 5 drawn per voxel (randn_like of the coarsest query).
    "noise 5 per voxel (authors')": {"noise": 5.0, "noise_mode": "voxel", "noise_smooth": 0.0},
    "pyramid factors 0.85 (authors')": {"spatial_factor": 0.85, "temporal_factor": 0.85},
    "blend seams": {"blend_seams": "on"},  # every seed; the default blends the flagged ones
    "no seam blend (paper's)": {"blend_seams": "off"},
    "keep subjects whole": {"coarse_completeness_alpha": KEEP_WHOLE_ALPHA},
}


def variant(name: str, base: Settings | None = None) -> tuple[Settings, float | None]:
    """The settings of a named variant (on `base`, default Settings()) and its Request noise
    (None: the clip's own)."""
    if name not in VARIANTS:
        raise InputError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    changes = dict(VARIANTS[name])
    noise = changes.pop("noise", None)  # a Request field, the rest are Settings
    return (base or Settings()).with_(**changes), noise  # type: ignore[arg-type]


class PeakMemory:
    """Samples this process's resident memory (and CUDA's peak on `device`, the run's
    --device: cuda:1's peak is not GPU 0's) while a block runs."""

    def __init__(self, device: str = "auto") -> None:
        self.device = device

    def _gpu(self):
        """The run's GPU, or None on a CPU run or a machine without one."""
        import torch

        from engine.device import pick_device

        if not torch.cuda.is_available():
            return None
        dev = pick_device(self.device)
        return dev if dev.type == "cuda" else None

    def __enter__(self) -> PeakMemory:
        self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        import torch

        gpu = self._gpu()
        if gpu is not None:
            torch.cuda.reset_peak_memory_stats(gpu)
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

        gpu = self._gpu()
        if gpu is not None:
            self.cuda_peak = torch.cuda.max_memory_allocated(gpu)


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def load_frames(path: Path) -> list[np.ndarray]:
    """A clip's frames; an .npz gives its `outputs` (N, T, H, W, 3) or its `source`."""
    if path.suffix == ".npz":
        z = np.load(path)
        return list(z["outputs"]) if "outputs" in z.files else [z["source"]]
    from engine.io import read_video

    return [read_video(path).frames]


def source_frames(path: Path) -> np.ndarray:
    """A clip's frames; an .npz gives its `source` (the authors' 20 frames)."""
    if path.suffix == ".npz":
        return np.load(path)["source"]
    from engine.io import read_video

    return read_video(path).frames


def as_written(frames: np.ndarray, fps: float = 10.0) -> np.ndarray:
    """The frames as the CLI writes them (H.264 mp4 at the default CRF), read back."""
    from engine.io import read_video, write_video

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mp4"
        write_video(frames, out, fps=fps, crf=CRF)
        return read_video(out).frames


def default_cases(seeds: int, fullhd_seeds: int) -> list[Case]:
    cases = []
    balloons = DATA / "air_balloons_13f_256x144.mp4"
    if balloons.exists():
        cases.append(Case("air_balloons 13f 144p", balloons, seeds, (1, 0.5, 0.25),
                          sorted(ANCHORS.glob("air_balloons_paper_out[0-4].mp4")), "paper", cli=True))
    ref = ANCHORS / "reference_impl_airballoons_20f_h100.npz"
    if ref.exists():
        cases.append(Case("air_balloons 20f (authors' input)", ref, 3, (1, 0.5, 0.25), [ref],
                          "authors' code", encode=False))
    full = DATA / "balloons_16f_1920x1080.mp4"
    if full.exists() and fullhd_seeds:
        cases.append(Case("balloons 16f 1080p", full, fullhd_seeds, (0.25, 0.125),
                          sorted(ANCHORS.glob("balloons_1080p_paper_out*.mp4")), "paper"))
    if not cases:
        from engine.io import SAMPLE_CLIP

        if os.environ.get("VGPNN_BENCH_DATA"):  # asked for by name: a typo must not pass
            raise InputError(f"VGPNN_BENCH_DATA={DATA}: no benchmark clips there (it should hold "
                             "air_balloons_13f_256x144.mp4 and anchors/)")
        print(f"bench: the paper's clips are not in {DATA} (set VGPNN_BENCH_DATA to their "
              "folder); measuring the bundled sample", file=sys.stderr, flush=True)
        cases.append(Case("bundled sample", SAMPLE_CLIP, seeds, (1, 0.25)))
    return cases


def run_case(case: Case, settings: Settings, device: str, metrics: bool, label: str = "",
             noise: float | None = None) -> dict:
    """Time `case.seeds` seeds of the generator and measure their quality."""
    from engine.metrics import quality
    from engine.request import Request
    from engine.run import run

    source = source_frames(case.path)
    runs, outputs = [], []
    res = None
    for seed in range(case.seeds):
        with PeakMemory(device) as mem:
            t0 = time.perf_counter()
            first = None
            request = Request(seed=seed, settings=settings.with_(device=device), noise=noise)
            for res in run(source, request):  # noqa: B007
                if first is None:
                    first = time.perf_counter() - t0
            total = time.perf_counter() - t0
        assert res is not None
        runs.append({"seed": seed, "total_s": total, "first_preview_s": first, "levels": res.levels,
                     **{f"{k}_s": v for k, v in res.timings.items()},
                     "peak_rss_gb": mem.peak / 2**30, "cuda_peak_gb": mem.cuda_peak / 2**30,
                     "seams": res.seams})
        outputs.append(as_written(res.frames) if case.encode else res.frames)
    assert res is not None
    row: dict = {"case": case.name, "variant": label or "default", "who": "this engine",
                 "input": "x".join(map(str, source.shape[:3])),
                 "output": "x".join(map(str, outputs[0].shape[:3])), "device": res.device,
                 "levels": runs[0]["levels"], "seeds": case.seeds, "runs": runs}
    for key in ("pyramid_s", "search_s", "vote_s", "total_s", "first_preview_s"):
        row[key] = float(np.mean([r[key] for r in runs]))
    row["peak_rss_gb"] = max(r["peak_rss_gb"] for r in runs)
    if all(r["seams"] is not None for r in runs):  # the realism score's seam term, each seed's
        row["seams_each"] = [r["seams"] for r in runs]
        row["seams"] = float(np.mean(row["seams_each"]))
    row["cuda_peak_gb"] = max(r["cuda_peak_gb"] for r in runs)
    if metrics:
        row.update(quality(source, outputs, case.scales))
        row.update(_newness(source, outputs, runs))
    return row


def _newness(source: np.ndarray, outputs: list[np.ndarray], runs: list[dict] | None = None) -> dict:
    """How new the outputs look (engine.newness), their mean as "new" and each in its run;
    nothing for outputs of another shape (a retarget)."""
    from engine.realism import newness_of

    values = [newness_of(source, o) for o in outputs]
    if any(v is None for v in values):
        return {}
    for run, v in zip(runs or [], values, strict=False):
        run["new"] = v
    return {"new": float(np.mean(values)), "new_each": values}


def anchor_row(case: Case) -> dict | None:
    """The same quality figures for the paper's / the authors' outputs of this clip."""
    if not case.anchors:
        return None
    from engine.metrics import quality

    source = source_frames(case.path)
    outputs = [o for p in case.anchors for o in load_frames(p)]
    if any(o.shape[1:] != source.shape[1:] for o in outputs):
        return None
    return {"case": case.name, "variant": "", "who": case.anchor_label, "seeds": len(outputs),
            "output": "x".join(map(str, outputs[0].shape[:3])), **quality(source, outputs, case.scales),
            **_newness(source, outputs)}


def cli_wall(path: Path, device: str) -> float:
    """Wall time of the whole `python main.py generate CLIP -o OUT` command (start-up, I/O included)."""
    out = Path(tempfile.gettempdir()) / f"vgpnn_bench_{os.getpid()}.mp4"
    main = Path(__file__).resolve().parents[1] / "main.py"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(main), "generate", str(path), "-o", str(out), "-q",
                    "--device", device], check=True, stdout=subprocess.DEVNULL)  # not in the table
    wall = time.perf_counter() - t0
    out.unlink(missing_ok=True)
    return wall


def bench_inpaint(path: Path, device: str) -> dict:
    """Time to fill a 40x40 hole through the first 30 frames (the inpainting case)."""
    from engine.io import read_video
    from engine.metrics import coherence
    from engine.request import Request
    from engine.run import run

    clip = read_video(path, end=30)
    mask = np.zeros(clip.frames.shape[:3], bool)
    mask[INPAINT_HOLE] = True
    with PeakMemory(device) as mem:
        t0 = time.perf_counter()
        for res in run(clip.frames, Request(task="inpaint", mask=mask, settings=Settings(device=device))):  # noqa: B007
            pass
        total = time.perf_counter() - t0
    return {"case": f"{path.name.split('_')[0]}: inpaint 40x40 hole x30f", "variant": "default",
            "who": "this engine", "input": "x".join(map(str, clip.frames.shape[:3])),
            "output": "x".join(map(str, res.frames.shape[:3])), "device": res.device, "levels": res.levels,
            "total_s": total, "first_preview_s": None, "peak_rss_gb": mem.peak / 2**30,
            "cuda_peak_gb": mem.cuda_peak / 2**30, "seeds": 1,
            "outside_identical": bool(np.array_equal(res.frames[~mask], clip.frames[~mask])),
            "coherence": coherence(res.frames, clip.frames),
            **{f"{k}_s": v for k, v in res.timings.items()}, "frames": res.frames, "mask": mask,
            "source": clip.frames}


def _before_after(source: np.ndarray, out: np.ndarray, mask: np.ndarray, path: Path) -> None:
    """A PNG: input frame with the hole outlined in red, and the filled frame."""
    from engine.io import write_video

    t = 15
    before = source[t].copy()
    edge = mask[t] ^ np.roll(mask[t], 1, 0) | mask[t] ^ np.roll(mask[t], 1, 1)
    before[edge] = (255, 0, 0)
    pair = np.concatenate([before, np.full((before.shape[0], 8, 3), 255, np.uint8), out[t]], axis=1)
    write_video(pair[None], path, fps=1)  # a .png: one image, written whole or not at all
    print(f"wrote {path}")


def picture_path(json_target: Path) -> Path:
    """Where the inpainting case's before/after picture goes: beside the JSON."""
    return json_target.with_name(json_target.stem + "_inpaint.png")


QUALITY_COLUMNS = ("coherence", "coherence_p95", "completeness", "coherence@0.5", "coherence_p95@0.5",
                   "coherence@0.25", "coherence_p95@0.25", "completeness@0.25", "coherence@0.125",
                   "coherence_p95@0.125", "flicker", "diversity", "new", "seams")


def _fmt(v: object, spec: str) -> str:
    return "–" if v is None else format(v, spec)


def _cell(row: dict, column: str) -> str:
    if column == "new":  # mean % new, and each seed's
        each = row.get("new_each")
        return "–" if each is None else f"{100 * row['new']:.0f} ({' '.join(f'{100 * v:.0f}' for v in each)})"
    if column == "seams":  # mean faint seams (engine.seams.seam_lines), and each seed's
        each = row.get("seams_each")
        return "–" if each is None else f"{row['seams']:.1f} ({' '.join(f'{v:.1f}' for v in each)})"
    return _fmt(row.get(column), ".3f" if column in ("flicker", "diversity") else ".4f")


def table(rows: list[dict]) -> str:
    """A Markdown table: timing columns, then the quality columns any row has."""
    quality = [c for c in QUALITY_COLUMNS if any(c in r for r in rows)]
    head = ["case", "variant", "who", "output", "seeds", "total s", "search s", "vote s", "1st s",
            "CLI s", "peak GB", *[c.replace("coherence", "coh").replace("completeness", "compl")
                                  .replace("new", "% new (each)").replace("seams", "seams (each)")
                                  for c in quality]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["case"], r.get("variant", ""), r.get("who", ""), r.get("output", "").replace("x", "×"),
                 str(r.get("seeds", "")), _fmt(r.get("total_s"), ".1f"), _fmt(r.get("search_s"), ".1f"),
                 _fmt(r.get("vote_s"), ".1f"), _fmt(r.get("first_preview_s"), ".2f"),
                 _fmt(r.get("cli_wall_s"), ".1f"), _fmt(r.get("peak_rss_gb"), ".1f"),
                 *[_cell(r, c) for c in quality]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_parser(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("bench", help="speed and quality benchmark; prints a table and writes JSON")
    b.add_argument("inputs", nargs="*", type=path_name, help="clips (default: air_balloons, the authors' 20 frames, "
                                             "Full-HD balloons and the inpainting case)")
    b.add_argument("--seeds", type=whole(1), default=5, help="outputs per clip for the metrics (default 5)")
    b.add_argument("--fullhd-seeds", type=whole(0), default=1,
                   help="seeds of the Full-HD clip (default 1; 0 skips it)")
    b.add_argument("--ablate", nargs="?", const="all", metavar="NAMES",
                   help="run variants of the settings side by side on the first clip: 'all' or a "
                        f"comma-separated list of: {', '.join(VARIANTS)}")
    b.add_argument("--json", default="bench.json", help="where to write the results (default bench.json)")
    b.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    b.add_argument("--no-metrics", action="store_true", help="timings only")


def bench(args: argparse.Namespace) -> int:
    if args.inputs:
        from engine.io import probe

        for p in args.inputs:  # every clip read before the first runs: a typo in the last
            probe(p)  # one threw away minutes of finished results
        cases = [Case(Path(p).name, Path(p), args.seeds, (1, 0.25), cli=True) for p in args.inputs]
    else:
        cases = default_cases(args.seeds, args.fullhd_seeds)
    # Before the runs, not after them; never over an input.
    _check_json_target(Path(args.json), [c.path for c in cases] + [DATA / INPAINT_CLIP])
    metrics = not args.no_metrics
    rows: list[dict] = []
    if args.ablate:
        names = list(VARIANTS) if args.ablate == "all" else [n.strip() for n in args.ablate.split(",")]
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            raise InputError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
        case = cases[0]
        for name in names:
            print(f"bench: {case.name}, {name} ...", file=sys.stderr, flush=True)
            settings, noise = variant(name)
            rows.append(run_case(case, settings, args.device, metrics, name, noise))
        if metrics and (anchor := anchor_row(case)):
            rows.append(anchor)
    else:
        for case in cases:
            print(f"bench: {case.name} ...", file=sys.stderr, flush=True)
            row = run_case(case, Settings(), args.device, metrics and _measurable(case))
            if case.cli:
                row["cli_wall_s"] = cli_wall(case.path, args.device)
            rows.append(row)
            if metrics and _measurable(case) and (anchor := anchor_row(case)):
                rows.append(anchor)
        birds = DATA / INPAINT_CLIP
        if not args.inputs and birds.exists():
            print(f"bench: {birds.name} inpainting ...", file=sys.stderr, flush=True)
            row = bench_inpaint(birds, args.device)
            _before_after(row.pop("source"), row.pop("frames"), row.pop("mask"),
                          picture_path(Path(args.json)))
            rows.append(row)
    print(table(rows))
    device = next((r["device"] for r in rows if "device" in r), "n/a")
    print(f"\ndevice: {device}. Quality by engine/metrics.py (shared/eval/score.py's definitions): "
          "lower coherence/completeness is better; flicker 1 = as calm as the input.")
    target = Path(args.json)
    # Whole or not at all: a temporary name of its own, renamed when written.
    partial = None
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                       dir=target.parent)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps({"rows": rows}, indent=2))
        os.chmod(partial, 0o644)  # mkstemp's file is private to the user
        os.replace(partial, target)
    except OSError as exc:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        raise InputError(f"{target.name}: cannot write the results ({exc.strerror or exc})") from None
    print(f"wrote {args.json}")
    return 0


def _check_json_target(target: Path, inputs: list[Path]) -> None:
    """Refuse a --json (or the picture beside it) that the results could not be written to
    or that is an input, before hours of runs."""
    folder = target.parent if str(target.parent) else Path(".")
    if not str(target).strip() or not target.name:
        raise InputError("--json needs a file name, such as bench.json")
    if target.is_dir():
        raise InputError(f"{target.name}: --json is a folder; give a file name such as bench.json")
    check_not_input(target, inputs)
    check_not_input(picture_path(target), inputs)
    if picture_path(target).is_dir():
        raise InputError(f"{picture_path(target)}: is a folder, where the inpainting picture goes")
    if not folder.is_dir():
        raise InputError(f"{target}: --json's folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise InputError(f"{target}: --json's folder {folder} is not writable")
    try:  # os.access says yes to root on a read-only mount or in /proc: a file is made
        fd, probe = tempfile.mkstemp(prefix=".vgpnn-probe-", dir=folder)
    except OSError as exc:
        raise InputError(f"{target}: cannot write into --json's folder {folder} "
                         f"({(exc.strerror or str(exc)).lower()})") from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)


def _measurable(case: Case) -> bool:
    """Exact metrics at full size only where a CPU finishes them in minutes."""
    shape = source_frames(case.path).shape[:3]
    return math.prod(shape) * min(case.scales) ** 2 <= 3_000_000

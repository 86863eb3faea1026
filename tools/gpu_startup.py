"""Where the whole 144p command's time goes on a GPU: each first-call cost in a fresh process.

    python -m tools.gpu_startup CLIP [--device cuda] [--json OUT]

Times, each in its own child process so that no cost hides behind another: importing
torch, starting CUDA, the first call of each kind of operation the engine uses (cuBLAS,
cuDNN, cuSOLVER, cdist, sort), and in one more child the engine's first and second run
with the ops that took the most time on the first (torch.profiler, CPU side, which is
where a library's loading shows).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

IMPORT, START = "import torch", "cuda init"
PROBES = {
    IMPORT: "",  # the import alone, timed from before it
    START: "torch.zeros(1, device=d)",
    "matmul (cuBLAS)": "a = torch.randn(512, 147, device=d); (a.T @ a).sum().item()",
    "conv3d (cuDNN)": "x = torch.randn(1, 3, 5, 40, 60, device=d); "
                      "torch.nn.functional.conv3d(x, torch.randn(8, 3, 3, 7, 7, device=d)).sum().item()",
    "eigh (cuSOLVER)": "c = torch.randn(147, 147, device=d, dtype=torch.float64); "
                       "torch.linalg.eigh(c @ c.T)[0].sum().item()",
    "qr (cuSOLVER)": "torch.linalg.qr(torch.randn(147, 16, device=d, dtype=torch.float64))[0].sum().item()",
    "cdist": "torch.cdist(torch.randn(300, 27, device=d), torch.randn(300, 27, device=d)).sum().item()",
    "sort/median": "torch.randn(1000, 27, device=d).median(1).values.sum().item()",
    "interpolate bicubic aa": "torch.nn.functional.interpolate(torch.randn(1, 3, 144, 256, device=d), "
                              "size=(72, 128), mode='bicubic', antialias=True).sum().item()",
}


def _child(name: str, device: str) -> float:
    """Seconds the probe took in a fresh process: the import alone, the device's start after
    the import, or an operation's first call after both."""
    if name == IMPORT:
        script = "import time; t0 = time.perf_counter(); import torch; print(time.perf_counter() - t0)"
    else:
        started = "" if name == START else "torch.zeros(1, device=d); sync()\n"
        script = (f"import time, torch\nd = torch.device({device!r})\n"
                  "def sync():\n    if d.type == 'cuda': torch.cuda.synchronize()\n"
                  f"{started}t0 = time.perf_counter()\n{PROBES[name]}\nsync()\n"
                  "print(time.perf_counter() - t0)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    return float(out.stdout.strip().splitlines()[-1])


def _engine(clip: str, device: str) -> dict:
    script = f"""
import json, time
t0 = time.perf_counter()
import torch
from engine.io import read_video
from engine.request import Request
from engine.config import Settings
from engine.run import run
t_import = time.perf_counter() - t0
src = read_video({clip!r}).frames
settings = Settings(device={device!r})
from torch.profiler import profile, ProfilerActivity
t1 = time.perf_counter()
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for r in run(src, Request(seed=0, settings=settings)):
        pass
first = time.perf_counter() - t1
t2 = time.perf_counter()
for r in run(src, Request(seed=1, settings=settings)):
    pass
second = time.perf_counter() - t2
ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:25]
print(json.dumps(dict(import_s=t_import, first_run_s=first, second_run_s=second,
                      timings=r.timings,
                      top_ops=[(e.key, e.count, round(e.self_cpu_time_total / 1e6, 4)) for e in ops])))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    if out.returncode:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("clip")
    p.add_argument("--device", default="cuda")
    p.add_argument("--json")
    args = p.parse_args(argv)
    report: dict = {"probes": {}}
    for name in PROBES:
        try:
            report["probes"][name] = round(_child(name, args.device), 4)
        except Exception as e:  # noqa: BLE001 - a probe's failure is a result too
            report["probes"][name] = f"failed: {e}"
        print(f"{name:28s} {report['probes'][name]}", flush=True)
    t = time.perf_counter()
    report["engine"] = _engine(args.clip, args.device)
    report["engine"]["wall_s"] = time.perf_counter() - t
    print(json.dumps(report["engine"], indent=1), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# The CUDA checks in one command, for a session lent a GPU machine (the `device` tool):
# the CUDA tests, every task on the GPU beside the CPU (tools/gpu_smoke.py), the whole
# 144p command three times, the bench (one Full-HD seed) and a contact sheet of five
# Full-HD seeds made on the GPU, their videos packed in $OUT/fullhd_gpu.tar for score.py.
#
# Prepare here, once per session (the machine has PyTorch but not PyAV, and only the
# checkout travels):   bash tools/gpu_check.sh --prepare
# then run there:      device run, carry [".whl", ".gpu_data"], command "bash tools/gpu_check.sh"
# Logs and JSON land in $OUT (or ./gpu_out). DEVICE=cpu QUICK=1 runs it here as a dry run;
# SHEET=0 leaves out the Full-HD contact sheet and its scores, STARTUP=0 the first-call costs.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

if [ "${1:-}" = "--prepare" ]; then
    set -e
    mkdir -p .whl .gpu_data
    # The device machine's Python is 3.12 (x86-64); av is the only package it lacks.
    # The PyAV this checkout is tested with here (a newer one may be all pip finds for 3.12).
    av_version=$(.venv/bin/python -c "import av; print(av.__version__)" 2>/dev/null || echo 18.1.0)
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "av==$av_version"
    cp -r ../shared/data/. .gpu_data/
    [ -d ../shared/eval ] && mkdir -p .gpu_data/eval && cp ../shared/eval/*.py .gpu_data/eval/
    du -sh .whl .gpu_data
    exit 0
fi

OUT="${OUT:-$PWD/gpu_out}"
DEVICE="${DEVICE:-cuda}"
# Each step's time limit is sized for the GPU machine; a dry run on a small CPU gets more.
LIMIT_SCALE="${LIMIT_SCALE:-$([ "$DEVICE" = cpu ] && echo 6 || echo 1)}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 QT_QPA_PLATFORM=offscreen VGPNN_BENCH_DATA="$PWD/.gpu_data"
PY="${PYTHON:-python3}"
if ls .whl/*.whl >/dev/null 2>&1 && ! "$PY" -c "import av" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
status=0
step() {  # step NAME SECONDS COMMAND...: run (at most SECONDS), log, remember a failure, go on
    local name=$1 limit=$2; shift 2
    echo "== $name: $*" | tee -a "$OUT/gpu_check.log"
    local t0; t0=$(date +%s.%N)
    timeout "$((limit * LIMIT_SCALE))" "$@" 2>&1 | tee -a "$OUT/gpu_check.log"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc in $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t0}") s" | tee -a "$OUT/gpu_check.log"
    [ "$rc" = 0 ] || status=1
}

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
  "$PY" -c "import torch, av; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'av', av.__version__)"
} | tee "$OUT/gpu_check.log"

step tests 120 "$PY" -m pytest -q -p no:cacheprovider tests/test_pyramid.py tests/test_median_network.py \
    tests/test_patchmatch.py tests/test_vote.py tests/test_device_lint.py tests/test_odd_sizes.py
# Engine tests whose runs use device "auto", so they run on the GPU here: blend seams, Keep
# subjects whole, the redraws, inpainting and analogies, each with its determinism check.
step "engine tests" 240 "$PY" -m pytest -q -p no:cacheprovider tests/test_seams.py tests/test_keep_whole.py \
    tests/test_run.py tests/test_copy_check.py tests/test_inpaint.py tests/test_analogy.py
step smoke 150 "$PY" -m tools.gpu_smoke --device "$DEVICE" --json "$OUT/gpu_smoke.json"
clip="$VGPNN_BENCH_DATA/air_balloons_13f_256x144.mp4"
[ "${STARTUP:-1}" = 1 ] && step startup 150 "$PY" -m tools.gpu_startup "$clip" --device "$DEVICE" --json "$OUT/gpu_startup.json"
for i in 1 2 3; do
    step "generate 144p #$i" 60 "$PY" main.py generate "$clip" -o "/tmp/gpu_check_out$i.mp4" --device "$DEVICE"
done
# Same seed, three processes: the same frames (cuDNN's algorithm is fixed per shape, not
# picked by the memory free; within one process a cached choice would hide that).
step "repeatable across processes" 60 "$PY" -c "
import sys, av, numpy as np
def frames(p):
    with av.open(p) as c:
        return np.stack([f.to_ndarray(format='rgb24') for f in c.decode(video=0)])
a, b, c = (frames(f'/tmp/gpu_check_out{i}.mp4') for i in (1, 2, 3))
same = np.array_equal(a, b) and np.array_equal(a, c)
print('same frames in three processes:', same)
sys.exit(0 if same else 1)"
if [ "${QUICK:-0}" = 1 ]; then
    step bench 600 "$PY" main.py bench --device "$DEVICE" --seeds 2 --fullhd-seeds 0 --json "$OUT/bench.json"
else
    step bench 300 "$PY" main.py bench --device "$DEVICE" --fullhd-seeds 1 --json "$OUT/bench.json"
fi
if [ "${QUICK:-0}" != 1 ] && [ "${SHEET:-1}" = 1 ]; then  # SHEET=0: no Full-HD sheet (saves ~100 s)
    full="$VGPNN_BENCH_DATA/balloons_16f_1920x1080.mp4"
    step "Full-HD sheet" 200 "$PY" -m tools.contact_sheet "$full" -o "$OUT/fullhd_sheet_gpu.png" --seeds 5 \
        --device "$DEVICE" --keep /tmp/fullhd_gpu --ref "$VGPNN_BENCH_DATA"/anchors/balloons_1080p_paper_out0.mp4
    tar -cf "$OUT/fullhd_gpu.tar" -C /tmp fullhd_gpu 2>/dev/null
    if [ -f "$VGPNN_BENCH_DATA/eval/score.py" ]; then  # the yardstick, on the same GPU, ours then the paper's
        step "score Full-HD" 120 "$PY" "$VGPNN_BENCH_DATA/eval/score.py" "$full" /tmp/fullhd_gpu/seed*.mp4 \
            --scales 0.25,0.125 --device "$DEVICE"
        step "score paper Full-HD" 120 "$PY" "$VGPNN_BENCH_DATA/eval/score.py" "$full" \
            "$VGPNN_BENCH_DATA"/anchors/balloons_1080p_paper_out*.mp4 --scales 0.25,0.125 --device "$DEVICE"
    fi
fi
echo "gpu_check: $([ $status = 0 ] && echo all passed || echo SOMETHING FAILED)" | tee -a "$OUT/gpu_check.log"
exit $status

"""Huge pages for torch's large CPU buffers on big runs only (engine/huge_pages.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.huge_pages import FROM_VOXELS, VARIABLE, ask_for_huge_pages

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
ROOT = Path(__file__).resolve().parent.parent


def _huge_kb(prelude: str) -> int:
    """AnonHugePages (kB) of a fresh process that runs `prelude`, then fills a 64 MB tensor."""
    code = (f"{prelude}\nimport torch\nt = torch.ones(16 << 20)\n"
            "print(next(l.split()[1] for l in open('/proc/self/smaps_rollup') if l.startswith('AnonHugePages')))")
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux") or not THP.exists()
                    or "[madvise]" not in THP.read_text() or not Path("/proc/self/smaps_rollup").exists(),
                    reason="needs Linux with huge pages on request (madvise)")
def test_a_big_run_gets_huge_pages_and_a_small_one_does_not():
    ask = "from engine.huge_pages import ask_for_huge_pages; ask_for_huge_pages({})"
    assert _huge_kb(ask.format(FROM_VOXELS)) >= 32 * 1024
    assert _huge_kb(ask.format(FROM_VOXELS - 1)) < 32 * 1024
    assert _huge_kb(ask.format("None")) >= 32 * 1024  # the editor: any size


def test_the_choice_is_left_alone_once_torch_is_loaded_or_the_user_made_it(monkeypatch):
    import torch  # noqa: F401 - loaded, as in this test process

    monkeypatch.delenv(VARIABLE, raising=False)
    assert not ask_for_huge_pages(10 * FROM_VOXELS)
    assert VARIABLE not in os.environ
    monkeypatch.setenv(VARIABLE, "0")
    assert not ask_for_huge_pages(10 * FROM_VOXELS)
    monkeypatch.setenv(VARIABLE, "1")
    assert ask_for_huge_pages(1)

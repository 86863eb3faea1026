"""The engine's large CPU buffers come in huge pages where Linux offers them (engine/__init__)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
ROOT = Path(__file__).resolve().parent.parent


def _huge_kb(prelude: str) -> int:
    """AnonHugePages (kB) of a fresh process that runs `prelude`, then fills a 64 MB tensor."""
    code = (f"{prelude}\nimport torch\nt = torch.ones(16 << 20)\n"
            "print(next(l.split()[1] for l in open('/proc/self/smaps_rollup') if l.startswith('AnonHugePages')))")
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux") or not THP.exists()
                    or "[never]" in THP.read_text() or not Path("/proc/self/smaps_rollup").exists(),
                    reason="no transparent huge pages here")
def test_importing_the_engine_first_gives_torch_huge_pages():
    if "[always]" in THP.read_text():
        pytest.skip("every large buffer gets huge pages here anyway")
    assert _huge_kb("import engine") >= 32 * 1024
    assert _huge_kb("") < 32 * 1024  # torch alone, on a kernel that needs asking (madvise)

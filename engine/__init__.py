"""VGPNN engine: single-video generation with patch nearest neighbours.

PyTorch + numpy only; this package never imports Qt.
"""

import os

# Two busy OpenMP threads that spin while the other core is taken (the GUI, a decoder, a
# second process) run many times slower than one; passive waiting avoids that collapse.
# Must be set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# PyTorch's CPU allocator asks Linux for transparent huge pages for buffers of 2 MB and more.
# A Full-HD level allocates and frees buffers of hundreds of MB, each touched page by page:
# with 4 KB pages a CPU Full-HD run spent 106 s of 150 in the kernel (28.7 million page
# faults); with huge pages 48 s, the run 118 s -> 88 s, the same frames. Read by torch at
# its first allocation, so it must be set before torch is imported; ignored off Linux.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

from engine.errors import Cancelled, EngineError, InputError  # noqa: E402

__all__ = ["Cancelled", "EngineError", "InputError"]

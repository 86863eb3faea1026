"""VGPNN engine: single-video generation with patch nearest neighbours.

PyTorch + numpy only; this package never imports Qt.
"""

import os

# Two busy OpenMP threads that spin while the other core is taken (the GUI, a decoder, a
# second process) run many times slower than one; passive waiting avoids that collapse.
# Must be set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.errors import Cancelled, EngineError, InputError  # noqa: E402

__all__ = ["Cancelled", "EngineError", "InputError"]

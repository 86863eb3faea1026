"""VGPNN engine: single-video generation with patch nearest neighbours.

PyTorch + numpy only; this package never imports Qt.
"""

from engine.errors import Cancelled, EngineError, InputError

__all__ = ["Cancelled", "EngineError", "InputError"]

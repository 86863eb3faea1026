"""Video I/O for the engine: reading clips, probing metadata, writing results.

Reads whatever FFmpeg decodes, single images and folders of numbered images; writes H.264
(.mp4/.mov/.mkv), animated GIF, or numbered PNG frames. No Qt here.
"""

from pathlib import Path

from engine.io.clip import (
    DEFAULT_IMAGE_FPS,
    IMAGE_EXTS,
    MAX_PIXELS,
    MAX_VOXELS,
    VideoClip,
    VideoInfo,
    max_side_hint,
    rotate_frame,
    scaled_size,
)
from engine.io.paths import SUPPORTED_OUTPUTS, output_kind, unique_output_paths
from engine.io.probe import probe
from engine.io.reader import read_video, source_shape
from engine.io.writer import check_target, write_frames_png, write_video

# The bundled, procedurally made sample clip (see resources/make_sample.py).
SAMPLE_CLIP: Path = Path(__file__).resolve().parents[2] / "resources" / "sample.mp4"

__all__ = [
    "DEFAULT_IMAGE_FPS",
    "IMAGE_EXTS",
    "MAX_PIXELS",
    "MAX_VOXELS",
    "SAMPLE_CLIP",
    "SUPPORTED_OUTPUTS",
    "VideoClip",
    "VideoInfo",
    "check_target",
    "max_side_hint",
    "output_kind",
    "probe",
    "read_video",
    "rotate_frame",
    "scaled_size",
    "source_shape",
    "unique_output_paths",
    "write_frames_png",
    "write_video",
]

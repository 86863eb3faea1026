"""Display-only image helpers: nearest-neighbour thumbnails and numpy -> QImage/QPixmap.

Nothing here changes what the engine sees; it only prepares pixels for the screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def fit_size(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """(w, h) of an image of width x height scaled to fit inside box_w x box_h."""
    scale = min(box_w / max(width, 1), box_h / max(height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_nearest(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W, C) -> (height, width, C) by picking the nearest source pixel."""
    h, w = image.shape[:2]
    rows = np.minimum((np.arange(height) + 0.5) * h / height, h - 1).astype(np.intp)
    cols = np.minimum((np.arange(width) + 0.5) * w / width, w - 1).astype(np.intp)
    return np.ascontiguousarray(image[rows][:, cols])


def thumbnail_strip(frames: np.ndarray, count: int, thumb_h: int) -> np.ndarray:
    """`count` evenly spaced frames of (T, H, W, 3), each thumb_h tall, side by side."""
    t, h, w = frames.shape[:3]
    count = max(1, int(count))
    thumb_w = max(1, round(w * thumb_h / h))
    picks = np.minimum(((np.arange(count) + 0.5) * t / count).astype(np.intp), t - 1)
    thumbs = [resize_nearest(frames[i], thumb_w, thumb_h) for i in picks]
    return np.ascontiguousarray(np.concatenate(thumbs, axis=1))


def to_qimage(image: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB -> a QImage that owns its pixels."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = image.shape[:2]
    qimage = QImage(image.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return qimage.copy()  # detach from the numpy buffer


def to_pixmap(image: np.ndarray, width: int | None = None, height: int | None = None,
              ratio: float = 1.0) -> QPixmap:
    """A pixmap of `image`, scaled (nearest) to width x height when given. `ratio` is the
    screen's device pixel ratio (the widget's devicePixelRatioF()): the pixmap then holds
    width x height times that many pixels and is drawn at width x height, so that a 200%
    screen shows every pixel it can (a pixmap made at the logical size was magnified 2x,
    blocky)."""
    if width and height and ratio != 1.0:
        width, height = max(1, round(width * ratio)), max(1, round(height * ratio))
    if width and height and (width, height) != (image.shape[1], image.shape[0]):
        image = resize_nearest(image, width, height)
    pixmap = QPixmap.fromImage(to_qimage(image))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap

"""A photographed page made into a scan: the sheet found on the desk and its perspective undone.

A phone photo of a printed page shows the sheet as a four-sided shape,
brighter than what lies around it, at an angle. The sheet's outline is the
largest four-cornered contour of the photo's bright region (found on a
copy about a thousand pixels long); when there is one, clearly smaller
than the whole image (a flatbed scan is all sheet) and clearly brighter
than what is around it (a scan's shadow only dims more paper), the sheet is warped to
a rectangle of its own measured size, and its resolution is the rectangle's
short side over an A4 page's. Uneven light is then flattened by the scan
path's background division like any grey paper (ocr.preprocess).

The homography back to the photo's pixels is kept, so that boxes are given
in the photo as it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from govreport.ocr.preprocess import Image

# An A4 page's short side, in inches: a photographed sheet's resolution.
_A4_SHORT_INCHES = 8.27
_WORK_SIDE = 1000  # pixels, the long side of the copy the outline is looked for on
# The sheet must cover at least this share of the photo (smaller: not a photo of a page)
# and at most the other (more: the image is already all page, a scan).
_MIN_SHARE, _MAX_SHARE = 0.2, 0.93
# Around a photographed sheet lies a desk: its median grey is at most this share of the
# sheet's. Around a scanned page's brighter part lies more paper (a shadow's ramp: 0.8-0.9).
_DESK_CONTRAST = 0.7
_MIN_DPI = 100


@dataclass(frozen=True, slots=True)
class Straightened:
    image: Image  # the sheet alone, upright rectangle (RGB)
    dpi: int
    to_source: npt.NDArray[np.float64]  # 3x3 homography: straightened pixels -> photo pixels


def page_outline(rgb: Image) -> npt.NDArray[np.float32] | None:
    """The sheet's four corners in the photo's pixels (top-left, top-right, bottom-right,
    bottom-left), or None when the image is not a photo of one sheet."""
    h, w = rgb.shape[:2]
    scale = min(1.0, _WORK_SIDE / max(h, w))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Print on the sheet is dark: closed over, so the sheet is one bright region.
    size = max(5, int(max(small.shape) * 0.03) | 1)
    bright = cv2.morphologyEx(
        bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    )
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    sheet = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(sheet) / float(small.shape[0] * small.shape[1])
    if not _MIN_SHARE <= share <= _MAX_SHARE:
        return None
    hull = cv2.convexHull(sheet)
    corners = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(corners) != 4:
        return None
    inside = np.zeros(small.shape, dtype=np.uint8)
    cv2.fillConvexPoly(inside, corners.reshape(4, 2), 255)
    sheet_grey = float(np.median(small[inside > 0]))
    desk_grey = float(np.median(small[inside == 0]))
    if desk_grey > _DESK_CONTRAST * sheet_grey:
        return None
    return _ordered(corners.reshape(4, 2).astype(np.float32) / scale)


def _ordered(points: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    total = points.sum(axis=1)
    diff = np.diff(points, axis=1).ravel()  # y - x
    return np.array(
        [
            points[np.argmin(total)],
            points[np.argmin(diff)],
            points[np.argmax(total)],
            points[np.argmax(diff)],
        ],
        dtype=np.float32,
    )


def straighten(rgb: Image) -> Straightened | None:
    """The photographed sheet as a flat page, or None when ``rgb`` is no photo of a sheet."""
    corners = page_outline(rgb)
    if corners is None:
        return None
    tl, tr, br, bl = corners
    width = round(float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = round(float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(corners, target)
    flat = cv2.warpPerspective(
        rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    dpi = max(_MIN_DPI, round(min(width, height) / _A4_SHORT_INCHES))
    return Straightened(
        np.asarray(flat, dtype=np.uint8), dpi, np.asarray(np.linalg.inv(matrix), dtype=np.float64)
    )

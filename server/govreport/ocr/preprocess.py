"""A scanned page made ready to read: seals dropped, background flattened, upright, straight, binary.

Colour seals go first: the page's grey level is the brightest of its three
channels, so red and blue ink turn light while black print (also black
print under a seal, which stays dark in every channel) keeps its contrast.
Shadows and grey paper are divided out against a smooth background
estimate. The page is then turned (0/90/180/270) and deskewed
(±10°) by the angle that makes its rows of ink sharpest (the quarter
turn is decided by the caller: see ocr.page), and binarised
with Otsu's threshold. Nothing is blurred before the table rules are
found: thin rules at 200 dpi would vanish.

The affine transform from the source image to the prepared one is kept so
that boxes found on the prepared page can be given back in the source's
pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from govreport.ir import Box, Unit

Image = npt.NDArray[np.uint8]

MAX_SKEW = 10.0  # degrees


@dataclass(frozen=True, slots=True)
class Prepared:
    """A page ready for grid detection and recognition."""

    gray: Image  # flattened background, seals removed, upright and deskewed
    binary: Image  # ink = 255, paper = 0: for rules and skew
    dpi: int
    rotation: int  # quarter turns applied (degrees, clockwise: 0/90/180/270)
    skew: float  # degrees the page was turned back by
    to_source: npt.NDArray[np.float64]  # 2x3 affine: prepared pixels -> source pixels
    # The same page with the seals' stroke edges whitened too (see lift_colour): for reading
    # glyphs. Thin rules under a seal fade in it, so rules are found on ``binary``.
    text_gray: Image
    text_binary: Image

    def source_box(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        """A box on the prepared page as the axis-aligned box it covers in the source image."""
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
        mapped = corners @ self.to_source.T
        return Box(
            round(float(mapped[:, 0].min()), 1),
            round(float(mapped[:, 1].min()), 1),
            round(float(mapped[:, 0].max()), 1),
            round(float(mapped[:, 1].max()), 1),
            unit=Unit.PIXELS,
            dpi=self.dpi,
        )


# How much a pixel's colourfulness (max - min channel) lightens it: seal ink is strongly
# coloured, print is grey. More than this erodes the print stamped over (its edges take a
# tint from the seal and from JPEG's colour subsampling).
_CHROMA_LIFT = 1.5


def drop_colour(rgb: Image) -> Image:
    """Grey level as the brightest channel: red and blue seals fade, black print stays.

    Red and blue seals are bright in one channel, so the brightest channel
    fades them, while black print (also print under a seal, dark in every
    channel) keeps its contrast.
    """
    if rgb.ndim == 2:
        return rgb
    return np.asarray(rgb.max(axis=2), dtype=np.uint8)


def lift_colour(rgb: Image, gray: Image) -> Image:
    """``gray`` (drop_colour's) lightened by each pixel's colourfulness, for reading glyphs.

    JPEG keeps brightness at full resolution and colour at half, so the
    edges of a seal's strokes come back darker than the strokes, and survive
    drop_colour as specks and arcs over the figures. They are still strongly
    coloured: lifting by colourfulness (weighted by brightness, so that print
    under a seal, dark and tinted, keeps its ink) whitens them.
    """
    if rgb.ndim == 2:
        return gray
    bright = gray.astype(np.float32)
    chroma = bright - rgb.min(axis=2).astype(np.float32)
    lifted = bright + _CHROMA_LIFT * chroma * (bright / 255.0)
    return np.asarray(np.clip(np.rint(lifted), 0, 255), dtype=np.uint8)


def background(gray: Image, dpi: int) -> Image:
    """The paper's tone and shadows: the page with its ink closed over, smoothed."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    size = max(3, int(dpi * 0.25 * 0.12) | 1)  # wider than a stroke, in the small image
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    paper = cv2.medianBlur(paper, 5)
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.asarray(np.maximum(paper, 1), dtype=np.uint8)


def flatten(gray: Image, dpi: int, paper: Image | None = None) -> Image:
    """Divides out shadows and paper tone against a background estimated without the ink."""
    paper = background(gray, dpi) if paper is None else paper
    out = cv2.divide(gray, paper, scale=255)
    return np.asarray(out, dtype=np.uint8)


def binarize(gray: Image) -> Image:
    """Ink = 255 by Otsu's threshold on the flattened page, specks removed."""
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.asarray(binary, dtype=np.uint8)


def _profile_score(binary_small: Image, angle: float) -> float:
    h, w = binary_small.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(binary_small, matrix, (w, h), flags=cv2.INTER_NEAREST)
    rows = turned.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(binary: Image) -> float:
    """The angle (degrees, counter-clockwise positive as OpenCV) that levels the rows of ink."""
    scale = 0.25
    small: Image = np.asarray(
        cv2.resize(binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=lambda a: _profile_score(small, a))
    half: Image = np.asarray(
        cv2.resize(binary, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    fine = max(
        np.arange(best - 0.5, best + 0.51, 0.05), key=lambda a: _profile_score(half, float(a))
    )
    return round(float(fine), 2)


def _rotate_quarter(image: Image, turn: int) -> Image:
    codes = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    return image if turn == 0 else np.asarray(cv2.rotate(image, codes[turn]), dtype=np.uint8)


def _quarter_matrix(turn: int, w: int, h: int) -> npt.NDArray[np.float64]:
    """3x3: rotated pixels -> source pixels for a clockwise quarter turn of a w x h image."""
    if turn == 0:
        return np.eye(3)
    if turn == 90:  # rotated (x', y') = (h-1-y, x)  => source x = y', y = h-1-x'
        return np.array([[0, 1, 0], [-1, 0, h - 1], [0, 0, 1]], dtype=np.float64)
    if turn == 180:
        return np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], dtype=np.float64)
    # 270: rotated (x', y') = (y, w-1-x)  => source x = w-1-y', y = x'
    return np.array([[0, -1, w - 1], [1, 0, 0], [0, 0, 1]], dtype=np.float64)


def prepare(image: Image, dpi: int, turn: int = 0) -> Prepared:
    """The page turned clockwise by ``turn`` (0/90/180/270), deskewed and binarised."""
    plain = drop_colour(image)
    paper = background(plain, dpi)
    gray = _rotate_quarter(flatten(plain, dpi, paper), turn)
    text_gray = _rotate_quarter(flatten(lift_colour(image, plain), dpi, paper), turn)
    h, w = plain.shape
    to_source = _quarter_matrix(turn, w, h)
    binary = binarize(gray)
    angle = skew_angle(binary)
    if abs(angle) >= 0.05:
        rh, rw = gray.shape
        matrix = cv2.getRotationMatrix2D((rw / 2, rh / 2), angle, 1.0)
        gray, text_gray = (
            np.asarray(
                cv2.warpAffine(
                    g, matrix, (rw, rh), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)
                ),
                dtype=np.uint8,
            )
            for g in (gray, text_gray)
        )
        binary = binarize(gray)
        inverse = cv2.invertAffineTransform(matrix)
        to_source = to_source @ np.vstack([inverse, [0, 0, 1]])
    return Prepared(
        gray,
        binary,
        dpi,
        turn,
        angle,
        np.asarray(to_source[:2], dtype=np.float64),
        text_gray,
        binarize(text_gray),
    )

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

On a budget: the skew and the table rules are found on an *analysis copy*
at about ANALYSIS_DPI (a quarter of a 300 dpi page's pixels), binarised at full
resolution first and shrunk so that a rule one pixel thin still shows.
Only the image glyphs are read from is kept at full resolution.

The affine transform from the source image to the prepared one is kept so
that boxes found on the prepared page can be given back in the source's
pixels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from govreport.ir import Box, Unit

Image = npt.NDArray[np.uint8]

MAX_SKEW = 10.0  # degrees


# Skew and rules are found on a copy shrunk by a whole factor to about this resolution (300
# dpi: half size); a page under twice it is analysed as it is (a fractional shrink of a 200
# dpi page loses the short rules of a cramped row).
ANALYSIS_DPI = 150


@dataclass(frozen=True, slots=True)
class Prepared:
    """A page ready for grid detection and recognition."""

    # The page for reading glyphs, at full resolution: background flattened, seals and their
    # stroke edges whitened (see lift_colour), upright and deskewed.
    text_gray: Image
    text_binary: Image  # ink = 255, paper = 0
    # The analysis copy at ``analysis_dpi``: seals dropped (not lifted: thin rules under a
    # seal would fade), for the rules, the skew and the page's orientation.
    gray: Image
    binary: Image  # ink = 255
    dpi: int
    analysis_dpi: int
    rotation: int  # quarter turns applied (degrees, clockwise: 0/90/180/270)
    skew: float  # degrees the page was turned back by
    # 3x3: prepared pixels -> source pixels (an affine map, or a homography for a photo)
    to_source: npt.NDArray[np.float64]

    @property
    def scale(self) -> float:
        """Full-resolution pixels per pixel of the analysis copy."""
        return self.dpi / self.analysis_dpi

    def source_box(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        """A box on the prepared page as the axis-aligned box it covers in the source image."""
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
        projected = corners @ self.to_source.T
        mapped = projected[:, :2] / projected[:, 2:3]
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
    # Pairwise over the channel views: thirty times faster than ``max(axis=2)``.
    return np.asarray(np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2]))


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
    darkest = np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    chroma = cv2.subtract(gray, darkest)
    lift = cv2.multiply(chroma, gray, scale=_CHROMA_LIFT / 255.0)  # saturates at white
    return np.asarray(cv2.add(gray, lift), dtype=np.uint8)


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


# The page is cut into this many vertical strips for the skew search (see skew_angle).
_SKEW_STRIPS = 32


def skew_angle(binary: Image) -> float:
    """The angle (degrees, counter-clockwise positive as OpenCV) that levels the rows of ink.

    A small turn moves each column of the page up or down by its distance
    from the centre times the angle's tangent, so instead of turning the
    page for every angle tried, the row profile of each vertical strip is
    taken once and the strips' profiles are shifted and summed: the angle
    whose summed profile is sharpest (the largest sum of squared
    differences between neighbouring rows) is the skew. Searched by half
    degrees over ±MAX_SKEW, then tenths, then twentieths.
    """
    h, w = binary.shape
    strips = max(1, min(_SKEW_STRIPS, w // 8))
    edges = np.linspace(0, w, strips + 1).astype(int)
    profiles = np.stack(
        [binary[:, a:b].sum(axis=1, dtype=np.float64) for a, b in itertools.pairwise(edges)]
    )
    centres = (edges[:-1] + edges[1:]) / 2 - w / 2
    # The finer searches may step past MAX_SKEW by up to half a degree.
    reach = int(np.ceil(w / 2 * np.tan(np.radians(MAX_SKEW + 1)))) + 1
    padded = np.pad(profiles, ((0, 0), (reach, reach)))
    rows = np.arange(h)

    def sharpness(angle: float) -> float:
        # Turned by ``angle``, row y of the page holds what was at y + dx * tan(angle).
        shifts = np.rint(centres * np.tan(np.radians(angle))).astype(int)
        summed = padded[np.arange(strips)[:, None], rows[None, :] + reach + shifts[:, None]]
        return float(np.square(np.diff(summed.sum(axis=0))).sum())

    best = float(max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=sharpness))
    for step, span in ((0.1, 0.5), (0.05, 0.05)):
        candidates = np.arange(best - span, best + span + step / 2, step)
        best = float(max(candidates, key=lambda a: sharpness(float(a))))
    return round(best, 2)


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


def shrink_binary(binary: Image, factor: float) -> Image:
    """A binary image made smaller, keeping every pixel at least half inked: a rule one pixel
    thin at full resolution stays a rule at half size, and print beside a rule does not grow
    into it."""
    if factor >= 1.0:
        return binary
    small = cv2.resize(binary, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    _, out = cv2.threshold(small, 126, 255, cv2.THRESH_BINARY)
    return np.asarray(out, dtype=np.uint8)


def _rotation(cx: float, cy: float, angle: float) -> npt.NDArray[np.float64]:
    return np.asarray(cv2.getRotationMatrix2D((cx, cy), angle, 1.0), dtype=np.float64)


def _warp(image: Image, matrix: npt.NDArray[np.float64]) -> Image:
    h, w = image.shape
    return np.asarray(
        cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)),
        dtype=np.uint8,
    )


def prepare(image: Image, dpi: int, turn: int = 0) -> Prepared:
    """The page turned clockwise by ``turn`` (0/90/180/270), deskewed and binarised."""
    factor = 1.0 / max(1, dpi // ANALYSIS_DPI)
    analysis_dpi = round(dpi * factor)
    plain = drop_colour(image)
    paper = background(plain, dpi)
    h, w = plain.shape
    to_source = _quarter_matrix(turn, w, h)
    flat = flatten(plain, dpi, paper)
    gray = _rotate_quarter(
        np.asarray(cv2.resize(flat, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))
        if factor < 1.0
        else flat,
        turn,
    )
    binary = _rotate_quarter(shrink_binary(binarize(flat), factor), turn)
    text_gray = _rotate_quarter(flatten(lift_colour(image, plain), dpi, paper), turn)
    angle = skew_angle(binary)
    if abs(angle) >= 0.05:
        rh, rw = text_gray.shape
        matrix = _rotation(rw / 2, rh / 2, angle)
        text_gray = _warp(text_gray, matrix)
        # The same turn about the same point, in the analysis copy's pixels.
        small = _rotation(gray.shape[1] / 2, gray.shape[0] / 2, angle)
        gray = _warp(gray, small)
        if factor < 1.0:
            # Shrunk, the grey would lose thin rules: the binary copy is turned instead, and a
            # pixel a quarter inked stays ink.
            inked = _warp(np.asarray(cv2.bitwise_not(binary), dtype=np.uint8), small)
            binary = np.asarray(
                cv2.threshold(inked, 191, 255, cv2.THRESH_BINARY_INV)[1], dtype=np.uint8
            )
        else:
            binary = binarize(gray)  # turned grey, thresholded again: rules keep their width
        inverse = cv2.invertAffineTransform(matrix)
        to_source = to_source @ np.vstack([inverse, [0, 0, 1]])
    return Prepared(
        text_gray,
        binarize(text_gray),
        gray,
        np.asarray(binary, dtype=np.uint8),
        dpi,
        analysis_dpi,
        turn,
        angle,
        np.asarray(to_source, dtype=np.float64),
    )

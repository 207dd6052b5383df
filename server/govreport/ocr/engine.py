"""Tesseract itself, behind one small interface: words of an image, and a page's orientation.

Two ways to call it, the same Tesseract models (Debian's tessdata) and the
same TSV of words out of both:

- ``tesserocr`` (the default): Tesseract's C API, one engine per language
  and page mode kept loaded in each worker process and thread. A call
  costs only the recognition: no process to start, no model to load
  (0.1 s for ``eng``, 0.2–0.4 s for ``chi_sim`` a call with the CLI).
- ``pytesseract``: the ``tesseract`` program, one process a call. Kept as
  the fallback where the tesserocr wheel is missing, and for comparison
  (bench/ocr_bench.py ``--engine``).

``ocr_engine`` (settings.py, ``GOVREPORT_OCR_ENGINE``) picks one: the
server and the CLI call ``select`` with it, which also hands it to the
worker processes they start.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import cv2

from govreport.layout import Word
from govreport.ocr.preprocess import Image

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # pages in parallel beat OpenMP inside one

ENGINE_ENV = "GOVREPORT_OCR_ENGINE"
ENGINES = ("tesserocr", "pytesseract")
DEBIAN_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"  # tesseract-ocr-chi-sim and friends


@dataclass(frozen=True, slots=True)
class Mode:
    """How Tesseract is to read an image: language, page segmentation, allowed characters."""

    lang: str
    psm: int
    whitelist: str = ""

    @property
    def init_variables(self) -> dict[str, str]:
        # Numbers are not words: the dictionaries only pull digit strings towards English.
        if self.whitelist:
            return {"load_system_dawg": "0", "load_freq_dawg": "0"}
        return {}


class Engine(Protocol):
    name: str

    def words(self, image: Image, mode: Mode) -> list[Word]:
        """Tesseract's words on ``image`` (black ink on white), with their lines."""
        ...

    def orientation(self, image: Image) -> int:
        """The clockwise quarter turn (0/90/180/270) that makes the page upright."""
        ...


def _tsv_words(tsv: str) -> list[Word]:
    """Words out of Tesseract's TSV (the format of ``image_to_data`` and ``GetTSVText``)."""
    words: list[Word] = []
    rows = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        if len(row) < 12 or not row[0].isdigit() or row[0] != "5":  # level 5: a word
            continue
        conf = float(row[10])
        text = row[11].strip()
        if conf < 0 or not text:
            continue
        x, y, w, h = (int(v) for v in row[6:10])
        line = (int(row[2]), int(row[3]), int(row[4]))
        words.append(Word(text, x, y, x + w, y + h, max(0.0, min(1.0, conf / 100)), line))
    return words


class Tesserocr:
    """Tesseract's C API through tesserocr, engines kept loaded per thread."""

    name = "tesserocr"

    def __init__(self) -> None:
        import tesserocr

        self._api = tesserocr
        self._local = threading.local()

    def _engine(self, mode: Mode) -> Any:
        engines: dict[Mode, Any] = self._local.__dict__.setdefault("engines", {})
        engine = engines.get(mode)
        if engine is None:
            engine = self._api.PyTessBaseAPI(
                path=os.environ.get("TESSDATA_PREFIX", DEBIAN_TESSDATA),
                lang=mode.lang,
                psm=mode.psm,
                variables=mode.init_variables,
            )
            if mode.whitelist:
                engine.SetVariable("tessedit_char_whitelist", mode.whitelist)
            engines[mode] = engine
        return engine

    def words(self, image: Image, mode: Mode) -> list[Word]:
        from PIL import Image as PILImage

        engine = self._engine(mode)
        engine.SetImage(PILImage.fromarray(image))
        try:
            engine.Recognize()
            return _tsv_words(engine.GetTSVText(0))
        finally:
            engine.Clear()

    def orientation(self, image: Image) -> int:
        from PIL import Image as PILImage

        engine = self._engine(Mode("osd", self._api.PSM.OSD_ONLY))
        engine.SetImage(PILImage.fromarray(image))
        try:
            found = engine.DetectOrientationScript()
        except RuntimeError:
            return 0  # too little text to tell
        finally:
            engine.Clear()
        if not found:
            return 0
        # Tesseract gives the angle the page is turned by; the turn back is its complement.
        return (360 - int(found["orient_deg"])) % 360


class Pytesseract:
    """The ``tesseract`` program, one process a call."""

    name = "pytesseract"

    def words(self, image: Image, mode: Mode) -> list[Word]:
        import pytesseract

        config = f"--psm {mode.psm}"
        if mode.whitelist:
            config += f" -c tessedit_char_whitelist={mode.whitelist}"
        config += "".join(f" -c {k}={v}" for k, v in mode.init_variables.items())
        with tempfile.TemporaryDirectory(prefix="govreport-ocr-") as tmp:
            path = Path(tmp) / "page.pgm"  # uncompressed: faster to write than PNG
            cv2.imwrite(str(path), image)
            tsv = pytesseract.image_to_data(str(path), lang=mode.lang, config=config)
        return _tsv_words(tsv)

    def orientation(self, image: Image) -> int:
        import pytesseract

        with tempfile.TemporaryDirectory(prefix="govreport-ocr-") as tmp:
            path = Path(tmp) / "page.pgm"
            cv2.imwrite(str(path), image)
            try:
                osd = pytesseract.image_to_osd(str(path), config="--psm 0")
            except pytesseract.TesseractError:
                return 0  # too little text to tell
        match = re.search(r"Rotate:\s*(\d+)", osd)
        return int(match.group(1)) % 360 if match else 0


_FACTORIES: dict[str, Callable[[], Engine]] = {
    "tesserocr": Tesserocr,
    "pytesseract": Pytesseract,
}


def select(name: str) -> None:
    """Makes ``name`` ("" for the default) this process's engine and its future children's."""
    if name and name not in _FACTORIES:
        raise ValueError(f"{ENGINE_ENV}={name!r}: use one of {', '.join(ENGINES)}")
    if name:
        os.environ[ENGINE_ENV] = name
    else:
        os.environ.pop(ENGINE_ENV, None)
    engine.cache_clear()


@cache
def engine(name: str | None = None) -> Engine:
    """The engine ``name`` names, else GOVREPORT_OCR_ENGINE's, else tesserocr when its wheel is
    installed, else pytesseract."""
    chosen = name or os.environ.get(ENGINE_ENV, "").strip()
    if chosen:
        if chosen not in _FACTORIES:
            raise ValueError(f"{ENGINE_ENV}={chosen!r}: use one of {', '.join(ENGINES)}")
        return _FACTORIES[chosen]()
    try:
        return Tesserocr()
    except ImportError:
        return Pytesseract()

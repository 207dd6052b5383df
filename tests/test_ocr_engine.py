"""Tesseract behind ocr.engine: the kept-loaded C API and the program give the same words."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from govreport.ocr import engine as ocr_engine
from govreport.ocr.engine import Mode
from govreport.ocr.recognize import DIGITS, read_stacked
from govreport.settings import Settings


def _figures(*texts: str) -> list[np.ndarray]:
    crops = []
    for text in texts:
        crop = np.full((60, 40 + 30 * len(text)), 255, dtype=np.uint8)
        cv2.putText(crop, text, (15, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
        crops.append(crop)
    return crops


@pytest.mark.parametrize("name", ocr_engine.ENGINES)
def test_each_engine_reads_stacked_figures(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ocr_engine.ENGINE_ENV, name)
    ocr_engine.engine.cache_clear()
    try:
        assert ocr_engine.engine().name == name
        reads = read_stacked(_figures("120", "35", "7", "4096"), True, 300)
        assert [r.text() for r in reads] == ["120", "35", "7", "4096"]
        words = ocr_engine.engine().words(_figures("2023")[0], Mode("eng", 7, DIGITS))
        assert [w.text for w in words] == ["2023"] and 0 < words[0].confidence <= 1
    finally:
        monkeypatch.delenv(ocr_engine.ENGINE_ENV)
        ocr_engine.engine.cache_clear()


def test_the_default_engine_is_the_loaded_one() -> None:
    ocr_engine.engine.cache_clear()
    assert ocr_engine.engine().name == "tesserocr"


def test_an_unknown_engine_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="ocr_engine must be tesserocr or pytesseract"):
        Settings.from_env({"GOVREPORT_OCR_ENGINE": "easyocr"})


def test_the_settings_engine_reaches_the_workers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ocr_engine.ENGINE_ENV, raising=False)
    Settings(ocr_engine="pytesseract").share_with_workers()
    assert os.environ[ocr_engine.ENGINE_ENV] == "pytesseract"
    Settings().share_with_workers()
    assert ocr_engine.ENGINE_ENV not in os.environ

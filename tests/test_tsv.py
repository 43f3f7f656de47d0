"""Recorded tesseract TSV -> words (the OCR path replayed without tesseract)."""

from __future__ import annotations

import json

import pytest
from conftest import RECORDED

from extract.tsv import TSV_COLUMNS, TsvError, tsv_to_reading


def test_recorded_page_parses_to_words_in_points() -> None:
    manifest = json.loads((RECORDED / "manifest.json").read_text())
    entry = manifest["pk-mojokerto-scan-p1.tsv"]
    reading = tsv_to_reading((RECORDED / "pk-mojokerto-scan-p1.tsv").read_text(), 72 / entry["dpi"])
    texts = [w.text for w in reading.words]
    assert "PERJANJIAN" in texts and "WTP" in texts
    assert reading.mean_confidence is not None and reading.mean_confidence > 70
    assert all(
        0 <= w.bbox.x1 <= 600 and 0 <= w.bbox.bottom <= 850 for w in reading.words
    )  # A4 in points


def test_offset_shifts_every_box() -> None:
    tsv = (RECORDED / "pk-mojokerto-scan-p1.tsv").read_text()
    plain = tsv_to_reading(tsv, 0.36)
    shifted = tsv_to_reading(tsv, 0.36, offset=(10.0, 20.0))
    assert all(
        abs(b.bbox.x0 - a.bbox.x0 - 10) < 1e-9 and abs(b.bbox.top - a.bbox.top - 20) < 1e-9
        for a, b in zip(plain.words, shifted.words, strict=True)
    )


def test_output_that_is_not_tsv_is_an_error() -> None:
    with pytest.raises(TsvError):
        tsv_to_reading("Segmentation fault\n", 1.0)


def test_header_only_tsv_is_an_empty_reading() -> None:
    header = "\t".join(TSV_COLUMNS) + "\n"
    reading = tsv_to_reading(header, 1.0)
    assert reading.words == () and reading.mean_confidence is None and reading.score == 0.0

"""The real tesseract on scanned samples, scored against their truth (marked: CI runs them)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import SAMPLES

from extract.tesseract import TesseractError, check_languages
from pipeline.evaluate import (
    INDICATORS,
    counts_to_scores,
    file_counts,
    read_csv_rows,
    records_by_file,
)
from pipeline.run import RunSettings, run_batch

pytestmark = pytest.mark.ocr

SCANS = (
    "scan/pk-mojokerto-2024-ketua-200dpi.pdf",
    "scan/pk-pasuruan-2023-kasubbag-hukum-200dpi.pdf",
)


@pytest.fixture(scope="module")
def ocr_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        check_languages("ind+eng")
    except TesseractError as exc:
        pytest.skip(f"tesseract is not usable here: {exc}")
    folder = tmp_path_factory.mktemp("in")
    for name in SCANS:
        (folder / "scan").mkdir(exist_ok=True)
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    out = tmp_path_factory.mktemp("out")
    run_batch([folder], out, RunSettings(workers=2, quiet=True))
    return out


@pytest.mark.parametrize("source", SCANS)
def test_scanned_rows_match_the_truth(ocr_run: Path, source: str) -> None:
    truth_rows = read_csv_rows(SAMPLES / "truth" / f"{Path(source).stem}.indicators.csv")
    truth = records_by_file(truth_rows, INDICATORS)[source]
    predicted = records_by_file(read_csv_rows(ocr_run / "indicators.csv"), INDICATORS).get(
        source, []
    )
    scores = counts_to_scores(file_counts(truth, predicted, INDICATORS), INDICATORS)
    # Regression floors well under what `make eval` measures (1.0 on both files today).
    assert scores["f1"] >= 0.9
    assert scores["field_accuracy"]["target"] >= 0.9


def test_sideways_page_is_turned_and_skew_recorded(ocr_run: Path) -> None:
    with (ocr_run / "pages.csv").open(encoding="utf-8") as stream:
        pages = {(r["source_file"], r["page"]): r for r in csv.DictReader(stream)}
    sideways = pages[("scan/pk-pasuruan-2023-kasubbag-hukum-200dpi.pdf", "2")]
    assert sideways["rotation"] == "90"
    assert sideways["indicator_rows"] != "0"
    assert any(abs(float(p["skew"])) > 0.2 for p in pages.values())
    assert all(p["extraction"] == "ocr" for p in pages.values())

"""The real tesseract on scanned samples, scored against their truth (marked: CI runs them)."""

from __future__ import annotations

import csv
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import SAMPLES
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from extract.page import ExtractSettings, extract_page
from extract.pdf import open_pdf
from extract.tesseract import TesseractEngine, TesseractError, check_languages
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


def test_page_turned_the_other_way_is_read_after_the_first_guess_fails(tmp_path: Path) -> None:
    """The sideways sample page turned 180 degrees needs a 270 turn: the first guess (90)
    reads badly, so the page is read the other way up and that reading is kept."""
    try:
        check_languages("ind+eng")
    except TesseractError as exc:
        pytest.skip(f"tesseract is not usable here: {exc}")
    source = pdfium.PdfDocument(str(SAMPLES / "scan/pk-pasuruan-2023-kasubbag-hukum-200dpi.pdf"))
    page = source[1]
    width, height = page.get_size()
    upside_down = page.render(scale=200 / 72, grayscale=True).to_pil().rotate(180)
    path = tmp_path / "turned.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(width, height))
    pdf.drawImage(ImageReader(upside_down.convert("L")), 0, 0, width=width, height=height)
    pdf.save()
    with open_pdf(path) as turned:
        work = extract_page(turned, 1, "turned", ExtractSettings(), TesseractEngine())
    assert work.extraction.rotation == 270
    assert (work.extraction.ocr_confidence or 0) > 80
    assert work.extraction.tables

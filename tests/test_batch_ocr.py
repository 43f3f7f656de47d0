"""Several scanned pages of a document read by one OCR call, and one page's failure kept to it."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import RECORDED, RecordedEngine, pdf_to_scan
from PIL import Image

from extract.page import ExtractSettings, PageFailure, PageWork, extract_pages
from extract.pdf import open_pdf
from extract.tesseract import TesseractCrashed, TesseractEngine, TsvOrError, read_images
from extract.tsv import TsvError, split_tsv_pages, tsv_to_reading
from pipeline import guard
from pipeline.guard import GuardedEngine
from pipeline.run import RunSettings, run_batch

HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def tsv_row(page: int, text: str) -> str:
    return f"5\t{page}\t1\t1\t1\t1\t10\t10\t40\t12\t95.0\t{text}"


class BatchEngine(RecordedEngine):
    """Replays the recorded page for every image, a batch at a time; the ``failing`` images
    of the first batch (the pages' first reading) come back as a crash."""

    def __init__(self, tsv: str, failing: Sequence[int] = ()) -> None:
        super().__init__(tsv)
        self.failing = set(failing)
        self.batches: list[int] = []

    def images_to_tsv(
        self, images: Sequence[Image.Image], psm: int, timeout: float
    ) -> list[TsvOrError]:
        failing = self.failing if not self.batches else set()
        self.batches.append(len(images))
        return [
            TesseractCrashed("tesseract failed (injected)") if i in failing else self.tsv
            for i in range(len(images))
        ]


class HangingBatchEngine(RecordedEngine):
    """Wedged when given several images, fine with one."""

    def images_to_tsv(
        self, images: Sequence[Image.Image], psm: int, timeout: float
    ) -> list[TsvOrError]:
        time.sleep(30)
        return []


def recorded_tsv() -> str:
    return (RECORDED / "pk-mojokerto-scan-p1.tsv").read_text(encoding="utf-8")


@pytest.fixture
def three_page_scan(tmp_path: Path, scan_pdf: Path) -> Path:
    """The one-page sample scan three times over."""
    merged = pdfium.PdfDocument.new()
    source = pdfium.PdfDocument(str(scan_pdf))
    for _ in range(3):
        merged.import_pages(source, [0])
    target = tmp_path / "three-pages.pdf"
    merged.save(str(target))
    source.close()
    merged.close()
    return target


def test_split_tsv_pages_gives_each_image_a_tsv_of_its_own() -> None:
    tsv = "\n".join([HEADER, tsv_row(1, "Target"), tsv_row(2, "100%"), tsv_row(2, "WTP")]) + "\n"
    first, second = split_tsv_pages(tsv, 2)
    assert first == f"{HEADER}\n{tsv_row(1, 'Target')}\n"
    assert second == f"{HEADER}\n{tsv_row(1, '100%')}\n{tsv_row(1, 'WTP')}\n"  # renumbered
    assert [w.text for w in tsv_to_reading(second, 1.0).words] == ["100%", "WTP"]


@pytest.mark.parametrize(
    ("rows", "pages"),
    [
        ([tsv_row(1, "a")], 2),  # the second image got nothing, not even its page row
        ([tsv_row(1, "a"), tsv_row(3, "b")], 2),  # a page that was not asked for
    ],
)
def test_split_tsv_pages_refuses_output_that_does_not_match_the_images(
    rows: list[str], pages: int
) -> None:
    with pytest.raises(TsvError):
        split_tsv_pages("\n".join([HEADER, *rows]) + "\n", pages)


def test_the_scans_of_a_document_are_read_in_one_call(three_page_scan: Path) -> None:
    engine = BatchEngine(recorded_tsv())
    with open_pdf(three_page_scan) as source:
        results = extract_pages(source, [1, 2, 3], "sha", ExtractSettings(), engine)
    assert all(isinstance(r, PageWork) for r in results)
    assert engine.batches[0] == 3  # the first reading of all three pages
    assert engine.calls == 0  # nothing read image by image
    texts = [
        [c.text for t in r.extraction.tables for c in t.cells]
        for r in results
        if isinstance(r, PageWork)
    ]
    assert texts[0] and texts[0] == texts[1] == texts[2]


def test_a_page_the_engine_fails_on_fails_alone(three_page_scan: Path) -> None:
    engine = BatchEngine(recorded_tsv(), failing=[1])
    with open_pdf(three_page_scan) as source:
        first, second, third = extract_pages(source, [1, 2, 3], "sha", ExtractSettings(), engine)
    assert isinstance(second, PageFailure) and isinstance(second.error, TesseractCrashed)
    assert isinstance(first, PageWork) and isinstance(third, PageWork)
    assert first.extraction.tables


def test_the_pipeline_flags_only_the_failed_page(tmp_path: Path, three_page_scan: Path) -> None:
    out = tmp_path / "out"
    engine = BatchEngine(recorded_tsv(), failing=[1])
    run_batch([three_page_scan], out, RunSettings(workers=1, quiet=True), engine=engine)  # type: ignore[arg-type]
    with (out / "pages.csv").open(encoding="utf-8", newline="") as stream:
        reasons = {row["page"]: row["review_reasons"] for row in csv.DictReader(stream)}
    assert "OCR_FAILED" in reasons["2"]
    assert "OCR_FAILED" not in reasons["1"] and "OCR_FAILED" not in reasons["3"]


def test_a_batch_that_hangs_is_read_again_image_by_image(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "GRACE_SECONDS", 0.2)
    engine = HangingBatchEngine(recorded_tsv())
    images = [Image.new("L", (40, 20), 255)] * 3
    results = GuardedEngine(engine).images_to_tsv(images, 4, timeout=0.1)
    assert results == [engine.tsv] * 3
    assert engine.calls == 3


def test_an_engine_that_reads_one_image_at_a_time_still_works_through_read_images() -> None:
    engine = RecordedEngine(recorded_tsv())
    results = read_images(engine, [Image.new("L", (40, 20), 255)] * 2, 4, timeout=5)
    assert results == [engine.tsv] * 2 and engine.calls == 2


@pytest.mark.ocr
@pytest.mark.slow
def test_tesseract_reads_a_list_of_images_as_it_reads_each_alone(tmp_path: Path) -> None:
    scan = pdf_to_scan(
        Path(__file__).resolve().parents[1] / "samples/born/rkt-mojokerto-2024.pdf",
        tmp_path / "s.pdf",
    )
    document = pdfium.PdfDocument(str(scan))
    images = [
        document[i].render(scale=150 / 72, grayscale=True).to_pil().convert("L") for i in range(2)
    ]
    document.close()
    engine = TesseractEngine()
    together = engine.images_to_tsv(images, 4, timeout=120)
    alone = [engine.image_to_tsv(image, 4, timeout=120) for image in images]
    assert together == alone

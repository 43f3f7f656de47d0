"""One document through every stage: the loop that does the I/O and catches page errors.

Runs inside a worker process. Its result is plain data (a DocumentResult) that the batch loop
writes as a part file; review pictures are written here, inside OUT/review only.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image

from extract import raster as rs
from extract.models import BBox, ExtractionKind, PageExtraction, PageRef, Table
from extract.page import ExtractSettings, PageFailure, PageWork, extract_pages
from extract.pdf import PdfError, open_pdf
from extract.tesseract import OcrEngine, TesseractError, TesseractTimeout
from extract.tsv import TsvError
from normalize.headers import is_header_row
from normalize.models import DocumentInfo, IndicatorRow
from pipeline.export import budget_row_to_record, indicator_row_to_record
from pipeline.guard import GuardedEngine

PAGE_LOW_CONFIDENCE = 65.0  # mean word confidence under which an OCR page goes to review
REVIEW_DPI = 110  # review pictures: legible on screen, small on disk
# Pages given to extract_pages at a time: their scans share one tesseract call (one model
# load instead of one a page), and this many cleaned page images are held at once (~4 MB each).
OCR_BATCH_PAGES = 8
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass(frozen=True, slots=True)
class DocumentJob:
    path: Path
    source_file: str
    doc_sha256: str
    out_dir: Path
    settings: ExtractSettings
    max_pages: int | None = None
    strict: bool = False
    repair_ocr: bool = True  # off only to measure what the lexicon repair adds


@dataclass(slots=True)
class DocumentResult:
    document: dict[str, Any]
    pages: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    budget: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "pages": self.pages,
            "indicators": self.indicators,
            "budget": self.budget,
            "review": self.review,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def process_document(job: DocumentJob, engine: OcrEngine | None = None) -> DocumentResult:
    """Extract, normalise and check one document; every failure becomes a coded record."""
    started = time.perf_counter()
    try:
        if job.path.suffix.lower() in IMAGE_SUFFIXES:
            with tempfile.TemporaryDirectory() as folder:
                pdf_path = image_to_pdf(job.path, Path(folder))
                result = _process_pdf(replace(job, path=pdf_path), engine)
        else:
            result = _process_pdf(job, engine)
    except PdfError as exc:
        result = failed_result(job, exc.reason, str(exc))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        if job.strict:
            raise
        result = failed_result(job, "PDF_UNREADABLE", f"{type(exc).__name__}: {exc}")
    result.document["seconds"] = round(time.perf_counter() - started, 3)
    return result


def image_to_pdf(image_path: Path, folder: Path) -> Path:
    """A single-page scan (.jpg/.png/.tif) as a one-page image PDF, each frame a page."""
    from PIL import Image, ImageSequence

    with Image.open(image_path) as image:
        dpi = image.info.get("dpi", (200, 200))[0] or 200
        frames = [frame.convert("L") for frame in ImageSequence.Iterator(image)]
    target = folder / (image_path.stem + ".pdf")
    frames[0].save(target, "PDF", resolution=float(dpi), save_all=True, append_images=frames[1:])
    return target


def failed_result(job: DocumentJob, reason: str, message: str) -> DocumentResult:
    document = document_record(job, DocumentInfo(), status="failed", error=f"{reason}: {message}")
    review = [review_record(job, 1, reason, message, image="")]
    return DocumentResult(document=document, review=review)


def document_record(
    job: DocumentJob, info: DocumentInfo, status: str, error: str = ""
) -> dict[str, Any]:
    return {
        "source_file": job.source_file,
        "doc_sha256": job.doc_sha256,
        "status": status,
        "error": error,
        "pages": 0,
        "pages_text": 0,
        "pages_ocr": 0,
        "pages_review": 0,
        "doc_type": info.doc_type,
        "satker": info.satker,
        "tahun": info.tahun,
        "indicators": 0,
        "budget_rows": 0,
        "seconds": 0.0,
        "duplicate_of": "",
    }


def review_record(
    job: DocumentJob, page: int, reason: str, detail: str, image: str
) -> dict[str, Any]:
    return {
        "source_file": job.source_file,
        "doc_sha256": job.doc_sha256,
        "page": page,
        "reason": reason,
        "detail": detail,
        "image": image,
    }


def _process_pdf(job: DocumentJob, engine: OcrEngine | None) -> DocumentResult:
    with open_pdf(job.path) as source:
        count = (
            source.page_count if job.max_pages is None else min(source.page_count, job.max_pages)
        )
        guarded = GuardedEngine(engine, job.settings.lang)
        extractions: list[PageExtraction] = []
        for first in range(1, count + 1, OCR_BATCH_PAGES):
            numbers = list(range(first, min(count, first + OCR_BATCH_PAGES - 1) + 1))
            results = extract_pages(
                source, numbers, job.doc_sha256, job.settings, guarded, is_header_row
            )
            extractions += [
                extraction_or_flag(job, n, result)
                for n, result in zip(numbers, results, strict=True)
            ]
        return document_to_result(
            job,
            extractions,
            source_pages=source.page_count,
            render=lambda n: _review_raster(source, n, extractions[n - 1]),
        )


def extraction_or_flag(
    job: DocumentJob, number: int, result: PageWork | PageFailure
) -> PageExtraction:
    """A page's extraction, or its failure as a flagged PageExtraction (the batch goes on)."""
    if isinstance(result, PageWork):
        return result.extraction
    try:
        raise result.error
    except TesseractTimeout as exc:
        reason, detail = "PAGE_TIMEOUT", str(exc)
    except TesseractError as exc:
        if job.strict:
            raise
        reason, detail = exc.reason, str(exc)
    except (rs.PageTooLarge, TsvError) as exc:
        reason, detail = "OCR_FAILED", str(exc)
    except Exception as exc:  # a page must never stop the document
        if job.strict:
            raise
        reason, detail = (
            "OCR_FAILED",
            f"{type(exc).__name__}: {exc}; {traceback.format_exc(limit=2).splitlines()[-1]}",
        )
    return PageExtraction(
        ref=PageRef(job.doc_sha256, number),
        extraction=ExtractionKind.OCR,
        width=0.0,
        height=0.0,
        reasons=(reason,),
        details=(detail,),
        seconds=result.seconds,
    )


def _review_raster(source, number: int, extraction: PageExtraction) -> rs.PageRaster | None:  # type: ignore[no-untyped-def]
    """The page as it was read (turned and straightened), at review resolution."""
    try:
        raster = rs.render_page(source.pdfium_page(number), REVIEW_DPI)
    except Exception:
        return None
    raster = rs.rotate_right_angle(raster, extraction.rotation)
    return rs.deskew(raster, extraction.skew)


def document_to_result(
    job: DocumentJob,
    extractions: list[PageExtraction],
    source_pages: int,
    render: Callable[[int], rs.PageRaster | None],
) -> DocumentResult:
    info, tables, indicator_rows, budget_rows, issues = normalize_or_flag(job, extractions)
    page_reasons = collect_page_reasons(extractions, indicator_rows, budget_rows, issues)
    pages = [
        page_record(job, e, tables, indicator_rows, budget_rows, page_reasons[e.ref.page])
        for e in extractions
    ]
    review = review_records(job, extractions, page_reasons, indicator_rows, tables, render)
    flagged = sum(1 for p in pages if p["status"] in ("review", "failed", "empty"))
    document = document_record(job, info, status="partial" if flagged else "ok")
    document.update(
        pages=len(extractions),
        pages_text=sum(e.extraction is ExtractionKind.TEXT for e in extractions),
        pages_ocr=sum(e.extraction is ExtractionKind.OCR for e in extractions),
        pages_review=flagged,
        indicators=len(indicator_rows),
        budget_rows=len(budget_rows),
    )
    if source_pages > len(extractions):
        document["error"] = f"read {len(extractions)} of {source_pages} pages (--max-pages)"
    return DocumentResult(
        document=document,
        pages=pages,
        review=review,
        indicators=[indicator_row_to_record(r) for r in indicator_rows],
        budget=[budget_row_to_record(r) for r in budget_rows],
    )


def normalize_or_flag(job: DocumentJob, extractions: list[PageExtraction]):  # type: ignore[no-untyped-def]
    """The normalize stage; a failure there flags the table pages, never stops the batch."""
    from normalize.models import TableIssue
    from pipeline.normalize_stage import normalize_document

    try:
        return normalize_document(job, extractions)
    except Exception as exc:
        if job.strict:
            raise
        detail = f"the tables could not be mapped to rows ({type(exc).__name__}: {exc})"
        issues = [
            TableIssue(e.ref.page, 0, "TABLE_UNPARSED", detail) for e in extractions if e.tables
        ]
        return DocumentInfo(), [], [], [], issues


def collect_page_reasons(
    extractions, indicator_rows, budget_rows, issues
) -> dict[int, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Reason code -> one detail sentence, per page, from every stage."""
    reasons: dict[int, dict[str, str]] = {e.ref.page: {} for e in extractions}
    for e in extractions:
        for code, detail in zip(e.reasons, e.details or ("",) * len(e.reasons), strict=True):
            reasons[e.ref.page].setdefault(code, detail)
        if (
            e.extraction is ExtractionKind.OCR
            and e.ocr_confidence is not None
            and e.ocr_confidence < PAGE_LOW_CONFIDENCE
        ):
            reasons[e.ref.page].setdefault(
                "LOW_CONFIDENCE",
                f"mean OCR word confidence {e.ocr_confidence:.0f} "
                f"is below {PAGE_LOW_CONFIDENCE:.0f}",
            )
    for issue in issues:
        reasons.setdefault(issue.page, {}).setdefault(issue.reason, issue.detail)
    for row in [*indicator_rows, *budget_rows]:
        counts = Counter(row.review_reasons)
        for code in counts:
            what = getattr(row, "indikator", "") or getattr(row, "uraian", "")
            reasons.setdefault(row.page, {}).setdefault(
                code, f"{code} on row {row.row_index} of table {row.table_index} ({what[:60]})"
            )
    return reasons


def page_status(extraction: PageExtraction, reasons: dict[str, str], rows: int) -> str:
    if extraction.width == 0.0:
        return "failed"
    if "EMPTY_PAGE" in reasons:
        return "empty"
    if reasons:
        return "review"
    if extraction.is_blank:
        return "empty"
    return "ok" if extraction.tables or rows else "no_table"


def page_record(job, extraction, tables, indicator_rows, budget_rows, reasons) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    number = extraction.ref.page
    indicators = sum(1 for r in indicator_rows if r.page == number)
    budget = sum(1 for r in budget_rows if r.page == number)
    return {
        "source_file": job.source_file,
        "doc_sha256": job.doc_sha256,
        "page": number,
        "extraction": extraction.extraction.value,
        "rotation": extraction.rotation,
        "skew": extraction.skew,
        "ocr_confidence": extraction.ocr_confidence,
        "tables": len(extraction.tables),
        "indicator_rows": indicators,
        "budget_rows": budget,
        "status": page_status(extraction, reasons, indicators + budget),
        "review_reasons": ";".join(sorted(reasons)),
        "seconds": extraction.seconds,
        "dpi": "",
    }


def review_records(
    job, extractions, page_reasons, indicator_rows, tables, render
) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from pipeline.review import review_image_relpath

    records = []
    for extraction in extractions:
        number = extraction.ref.page
        if not page_reasons[number]:
            continue
        image = write_review_picture(
            job,
            extraction,
            indicator_rows,
            tables,
            render,
            review_image_relpath(job.source_file, number),
        )
        for code, detail in sorted(page_reasons[number].items()):
            records.append(review_record(job, number, code, detail, image))
    return records


def write_review_picture(job, extraction, indicator_rows, tables, render, relpath: str) -> str:  # type: ignore[no-untyped-def]
    """The page with its cells and flagged rows drawn; '' when the page cannot be rendered."""
    from extract.debug import draw_page, save_png

    raster = render(extraction.ref.page) if extraction.width else None
    if raster is None:
        return ""
    flagged = [
        _row_bbox(r, tables)
        for r in indicator_rows
        if r.page == extraction.ref.page and r.needs_review
    ]
    picture = draw_page(
        rs.to_pil(raster), extraction, raster.scale, highlight=[b for b in flagged if b is not None]
    )
    target = job.out_dir / "review" / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    save_png(picture, target)
    return relpath


def _row_bbox(row: IndicatorRow, tables: list[Table]) -> BBox | None:
    if not 0 < row.table_index <= len(tables):
        return None
    table = tables[row.table_index - 1]
    boxes = [
        c.bbox
        for c in table.cells
        if c.page == row.page and row.indikator_raw and row.indikator_raw[:20] in c.text
    ]
    if not boxes:
        return None
    box = boxes[0]
    return BBox(table.bbox.x0, box.top, table.bbox.x1, box.bottom)

"""Pages in, PageExtractions out: text layer or OCR, rulings, tables.

Kept free of file writing and error policy: a page's failure is handed back as its result
(extract_pages) or raised (extract_page), and the pipeline's loop flags the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TypeVar

import cv2
import numpy as np

from extract import raster as rs
from extract.borderless import IsHeader, is_frame, words_to_borderless_tables
from extract.cells import STRIP_PSM, RereadPlan, apply_reread, plan_reread
from extract.grid import (
    JOIN_TOLERANCE,
    SNAP_TOLERANCE,
    Grid,
    Segment,
    edges_to_segments,
    mask_boundary_ink,
    mask_to_segments,
    segments_to_grids,
)
from extract.models import ExtractionKind, PageExtraction, PageRef, Table, Word
from extract.pdf import PdfSource, page_to_embedded_images, page_to_text_layer
from extract.tables import grid_to_table
from extract.tesseract import (
    DEFAULT_LANG,
    DEFAULT_PSM,
    OcrEngine,
    TesseractEngine,
    TsvOrError,
    image_for_tesseract,
    read_images,
)
from extract.tsv import OcrReading, tsv_to_reading

T = TypeVar("T")

RETRY_BELOW_CONFIDENCE = 60.0  # mean word confidence under which other readings are tried
UPRIGHT_FLIP_BELOW = 35.0  # an upright page reading this badly may be upside down
TURNED_FLIP_BELOW = 70.0  # ... and a sideways page turned by the first guess, this badly
SIDEWAYS_FIRST_TURN = 90
EMPTY_PAGE_MAX_WORDS = 4  # a non-blank page with fewer confident words than this is a photo/noise
EMPTY_PAGE_MIN_CONFIDENCE = 45.0
UPSAMPLE_BELOW_DPI = 200  # low-resolution scans are read again enlarged


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    dpi: int | None = None  # None: follow the embedded scan's resolution
    lang: str = DEFAULT_LANG
    psm: int = DEFAULT_PSM
    page_timeout: float = 120.0
    force_ocr: bool = False

    def __post_init__(self) -> None:
        if self.dpi is not None and not 50 <= self.dpi <= 600:
            raise ValueError(f"dpi must be between 50 and 600, got {self.dpi}")
        if self.page_timeout <= 0:
            raise ValueError("page_timeout must be positive")


@dataclass(slots=True)
class PageWork:
    """A page's extraction plus what the pipeline may still need from it (picture, rulings)."""

    extraction: PageExtraction
    raster: rs.PageRaster | None = None
    rulings: list[Segment] = field(default_factory=list)


def extract_page(
    source: PdfSource,
    number: int,
    doc_sha256: str,
    settings: ExtractSettings,
    engine: OcrEngine | None = None,
    is_header: IsHeader | None = None,
) -> PageWork:
    """One page; raises what extracting it raised. ``is_header`` (from the domain layer)
    recognises a header line of a table printed without rulings; without it only aligned
    number runs start a borderless table."""
    [result] = extract_pages(source, [number], doc_sha256, settings, engine, is_header)
    if isinstance(result, PageFailure):
        raise result.error
    return result


@dataclass(frozen=True, slots=True)
class PageFailure:
    """What stopped a page, and the seconds spent on it until then."""

    error: Exception
    seconds: float


def extract_pages(
    source: PdfSource,
    numbers: Sequence[int],
    doc_sha256: str,
    settings: ExtractSettings,
    engine: OcrEngine | None = None,
    is_header: IsHeader | None = None,
) -> list[PageWork | PageFailure]:
    """Several pages of one document, each as its PageWork or as what stopped it (the other
    pages go on). Their scans are read by one tesseract call and their doubtful cells by one
    more: tesseract loads its models (~0.2 s) per call, which read page by page cost as much
    as all the rest of kinerja's work on a page."""
    engine = engine or TesseractEngine(lang=settings.lang)
    clock = PageClock()
    staged = [clock.run(n, prepare_page, source, n, doc_sha256, settings) for n in numbers]
    ocr_pages = [page for page in staged if isinstance(page, OcrPage)]
    with clock.shared([p.ref.page for p in ocr_pages]):
        first_readings = read_images(
            engine,
            [image_for_tesseract(p.layout.clean) for p in ocr_pages],
            settings.psm,
            settings.page_timeout,
        )
    for page, tsv in zip(ocr_pages, first_readings, strict=True):
        page.result = clock.run(page.ref.page, settle_reading, page, tsv, settings, engine)
    reread_all_cells([p for p in ocr_pages if p.result is None], settings, engine, clock)
    return [
        _page_result(n, page, clock, is_header) for n, page in zip(numbers, staged, strict=True)
    ]


class PageClock:
    """Seconds spent on each page; a call shared by several pages is split evenly."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}

    def run(self, number: int, function: Callable[..., T], *args: object) -> T | Exception:
        started = time.perf_counter()
        try:
            return function(*args)
        except Exception as exc:  # the page's result: the pipeline flags the page with it
            return exc
        finally:
            self.add([number], time.perf_counter() - started)

    @contextmanager
    def shared(self, numbers: list[int]) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(numbers, time.perf_counter() - started)

    def add(self, numbers: list[int], seconds: float) -> None:
        for number in numbers:
            self.seconds[number] = self.seconds.get(number, 0.0) + seconds / len(numbers)


@dataclass(slots=True)
class OcrPage:
    """A scanned page between the phases of extract_pages."""

    ref: PageRef
    rotation: int
    skew: float
    straight: rs.PageRaster
    layout: PageLayout
    reading: OcrReading | None = None
    reread: RereadPlan | None = None
    words: tuple[Word, ...] = ()
    result: Exception | None = None  # set when a phase failed: the page stops there


def prepare_page(
    source: PdfSource, number: int, doc_sha256: str, settings: ExtractSettings
) -> PageWork | OcrPage:
    """A text page done, or a scan turned, straightened and cleaned for OCR."""
    ref = PageRef(doc_sha256=doc_sha256, page=number)
    plumber_page = source.plumber_page(number)
    layer = page_to_text_layer(plumber_page)
    try:
        if layer.usable and not settings.force_ocr:
            return text_page_to_work(ref, plumber_page, layer.words)
        images = page_to_embedded_images(plumber_page)
        rs.check_embedded_images(images)
        dpi = rs.choose_dpi(
            images, float(plumber_page.width), float(plumber_page.height), settings.dpi
        )
        raster = rs.render_page(source.pdfium_page(number), dpi)
    finally:
        source.release_page(number)
    return raster_to_ocr_page(ref, raster)


def raster_to_ocr_page(ref: PageRef, raster: rs.PageRaster) -> PageWork | OcrPage:
    """Straighten the page and find its rulings; a blank page is done here."""
    if rs.is_blank(raster.image):
        height, width = raster.image.shape
        extraction = PageExtraction(
            ref=ref,
            extraction=ExtractionKind.OCR,
            width=width / raster.scale,
            height=height / raster.scale,
            is_blank=True,
        )
        return PageWork(extraction=extraction, raster=raster)
    rotation = page_rotation(raster)
    upright = rs.rotate_right_angle(raster, rotation)
    skew = rs.estimate_skew(upright.image)
    straight = rs.deskew(upright, skew)
    return OcrPage(
        ref=ref, rotation=rotation, skew=skew, straight=straight, layout=page_layout(straight)
    )


def settle_reading(
    page: OcrPage, tsv: TsvOrError, settings: ExtractSettings, engine: OcrEngine
) -> None:
    """Take the page's first reading; read a doubtful page again (turned, or as variants)."""
    if isinstance(tsv, Exception):
        raise tsv
    reading = tsv_to_reading(tsv, 1 / page.straight.scale)
    if reading_may_be_upside_down(reading, page.rotation):
        flipped = rs.rotate_right_angle(page.straight, 180)
        flipped_layout = page_layout(flipped)
        flipped_reading = read_clean(flipped_layout.clean, flipped.scale, settings, engine)
        if flipped_reading.score > reading.score:
            page.rotation = (page.rotation + 180) % 360
            page.straight, page.layout, reading = flipped, flipped_layout, flipped_reading
    page.reading = best_reading(page.straight, page.layout.clean, reading, settings, engine)
    page.words = page.reading.words
    page.reread = plan_reread(page.layout.grids, page.words, page.layout.clean, page.straight.scale)


def reread_all_cells(
    pages: list[OcrPage], settings: ExtractSettings, engine: OcrEngine, clock: PageClock
) -> None:
    """Every page's strip of doubtful cells, read in one call."""
    planned = [(p, p.reread) for p in pages if p.reread is not None]
    with clock.shared([p.ref.page for p, _ in planned]):
        strips = read_images(
            engine,
            [image_for_tesseract(plan.strip) for _, plan in planned],
            STRIP_PSM,
            settings.page_timeout,
        )
    for (page, plan), tsv in zip(planned, strips, strict=True):
        if isinstance(tsv, Exception):
            page.result = tsv
        else:
            page.words = apply_reread(page.words, plan, tsv)


def _page_result(
    number: int, page: PageWork | OcrPage | Exception, clock: PageClock, is_header: IsHeader | None
) -> PageWork | PageFailure:
    outcome: PageWork | Exception
    if isinstance(page, OcrPage) and page.result is not None:
        outcome = page.result
    elif isinstance(page, OcrPage):
        outcome = clock.run(number, ocr_page_to_work, page)
    else:
        outcome = page
    if not isinstance(outcome, Exception):
        outcome = clock.run(number, with_borderless_tables_of, outcome, is_header)
    seconds = round(clock.seconds.get(number, 0.0), 3)
    if isinstance(outcome, Exception):
        return PageFailure(error=outcome, seconds=seconds)
    outcome.extraction = replace(outcome.extraction, seconds=seconds)
    return outcome


def with_borderless_tables_of(work: PageWork, is_header: IsHeader | None) -> PageWork:
    work.extraction = with_borderless_tables(work.extraction, is_header)
    return work


def ocr_page_to_work(page: OcrPage) -> PageWork:
    """Put the page's words into its cells."""
    if page.reading is None:
        raise ValueError(f"page {page.ref.page} has no reading yet (settle_reading first)")
    words = drop_nested_words(page.words)
    tables = tuple(grid_to_table(g, words, page.ref.page, words) for g in page.layout.grids)
    reasons, details = ocr_page_reasons(page.reading, tables)
    out_height, out_width = page.straight.image.shape
    extraction = PageExtraction(
        ref=page.ref,
        extraction=ExtractionKind.OCR,
        width=out_width / page.straight.scale,
        height=out_height / page.straight.scale,
        words=words,
        tables=tables,
        rotation=page.rotation,
        skew=page.skew,
        ocr_confidence=page.reading.mean_confidence,
        reasons=reasons,
        details=details,
    )
    return PageWork(extraction=extraction, raster=page.straight, rulings=page.layout.rulings)


def with_borderless_tables(
    extraction: PageExtraction, is_header: IsHeader | None
) -> PageExtraction:
    """Add the tables found among the words that no ruled table holds."""
    ruled = [t for t in extraction.tables if not is_frame(t)]
    found = words_to_borderless_tables(
        extraction.words, extraction.ref.page, [t.bbox for t in ruled], is_header
    )
    if not found:
        return extraction
    # A frame that holds a borderless table gives way to it.
    frames = [
        t
        for t in extraction.tables
        if is_frame(t) and not any(t.bbox.intersection_area(f.bbox) > 0 for f in found)
    ]
    tables = sorted([*ruled, *frames, *found], key=lambda t: (t.bbox.top, t.bbox.x0))
    return replace(extraction, tables=tuple(tables))


def text_page_to_work(ref: PageRef, plumber_page, words: tuple[Word, ...]) -> PageWork:  # type: ignore[no-untyped-def]
    horizontal, vertical = edges_to_segments(plumber_page.edges)
    tables = tuple(
        grid_to_table(g, words, ref.page, words) for g in segments_to_grids(horizontal, vertical)
    )
    extraction = PageExtraction(
        ref=ref,
        extraction=ExtractionKind.TEXT,
        width=float(plumber_page.width),
        height=float(plumber_page.height),
        words=words,
        tables=tables,
    )
    return PageWork(extraction=extraction, rulings=horizontal + vertical)


@dataclass(frozen=True, slots=True)
class PageLayout:
    grids: list[Grid]
    rulings: list[Segment]  # the rulings that make up the grids
    clean: np.ndarray  # the page with those rulings painted out


def page_layout(straight: rs.PageRaster) -> PageLayout:
    ink = rs.ink_mask(straight.image)
    horizontal, vertical = mask_to_segments(ink, 1 / straight.scale)
    grids = segments_to_grids(
        horizontal,
        vertical,
        mask_boundary_ink(rs.faint_ink_mask(straight.image), 1 / straight.scale),
    )
    rulings = [s for s in horizontal + vertical if any(segment_in_grid(s, g) for g in grids)]
    return PageLayout(
        grids=grids,
        rulings=rulings,
        clean=erase_rulings(straight.image, ink, rulings, straight.scale),
    )


def segment_in_grid(segment: Segment, grid: Grid) -> bool:
    """A ruling of this grid lies on one of its cuts, inside its box."""
    cuts = grid.ys if segment.horizontal else grid.xs
    low, high = (grid.xs[0], grid.xs[-1]) if segment.horizontal else (grid.ys[0], grid.ys[-1])
    middle = (segment.start + segment.end) / 2
    on_cut = any(abs(segment.position - cut) <= SNAP_TOLERANCE + 1 for cut in cuts)
    return on_cut and low - JOIN_TOLERANCE <= middle <= high + JOIN_TOLERANCE


NESTED_SHARE = 0.6  # a word lying this much inside a longer word is a phantom of it
PHANTOM_MAX_CHARS = 2  # ... when it is this short (longer ones are real words fused boxes hide)


def drop_nested_words(words: tuple[Word, ...]) -> tuple[Word, ...]:
    """Drop a short word tesseract reported inside a longer one (a "4" read from the "y" of
    "masyarakat" on a blurred scan): the longer word already holds that ink."""
    ordered = sorted(words, key=lambda w: w.bbox.top)
    dropped: set[int] = set()
    for i, word in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            other = ordered[j]
            if other.bbox.top > word.bbox.bottom:
                break
            if other.bbox.x0 >= word.bbox.x1 or word.bbox.x0 >= other.bbox.x1:
                continue  # side by side on the line: nothing nested
            for small, large in ((word, other), (other, word)):
                inside = small.bbox.intersection_area(large.bbox)
                short = len(small.text) <= PHANTOM_MAX_CHARS < len(large.text)
                if short and small.bbox.area > 0 and inside >= NESTED_SHARE * small.bbox.area:
                    dropped.add(id(small))
    return tuple(w for w in words if id(w) not in dropped)


def page_rotation(raster: rs.PageRaster) -> int:
    """0, unless the text lines run vertically: then 90, a clockwise quarter turn.

    A landscape table printed on a portrait sheet has its top at the left edge (printers turn
    landscape pages counter-clockwise), so the clockwise turn is the likelier one; a page that
    reads badly that way is read the other way up (``reading_may_be_upside_down``). That
    confidence test replaces tesseract's OSD, which cost 1.5 s a sideways page and still
    guessed a sample's page wrong at half resolution (confidence 1.45)."""
    return SIDEWAYS_FIRST_TURN if rs.looks_sideways(raster.image) else 0


def reading_may_be_upside_down(reading: OcrReading, rotation: int) -> bool:
    """A reading too unsure for its orientation: worth reading the page turned 180 degrees.

    A sideways page, turned by a guess, gets a stricter test than an upright one: the right
    way a sample's sideways page read at 95, the wrong way at 50."""
    if reading.mean_confidence is None:
        return False
    limit = TURNED_FLIP_BELOW if rotation in (90, 270) else UPRIGHT_FLIP_BELOW
    return reading.mean_confidence < limit


def best_reading(
    straight: rs.PageRaster,
    clean: np.ndarray,
    reading: OcrReading,
    settings: ExtractSettings,
    engine: OcrEngine,
) -> OcrReading:
    """The first reading, or on a doubtful page the most confident of a few variants."""
    if reading.mean_confidence is not None and reading.mean_confidence >= RETRY_BELOW_CONFIDENCE:
        return reading
    for variant, scale in page_variants(clean, straight.scale):
        candidate = read_clean(variant, scale, settings, engine)
        if candidate.score > reading.score:
            reading = candidate
    return reading


def page_variants(clean: np.ndarray, scale: float) -> list[tuple[np.ndarray, float]]:
    """Preprocessing variants for doubtful pages: enlarged for low dpi, Otsu-binarised."""
    variants = []
    if scale * 72 < UPSAMPLE_BELOW_DPI:
        factor = 300 / (scale * 72)
        variants.append(
            (
                cv2.resize(clean, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC),
                scale * factor,
            )
        )
    blurred = cv2.GaussianBlur(clean, (3, 3), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    variants.append((binary, scale))
    return variants


def read_clean(
    clean: np.ndarray, scale: float, settings: ExtractSettings, engine: OcrEngine
) -> OcrReading:
    tsv = engine.image_to_tsv(image_for_tesseract(clean), settings.psm, settings.page_timeout)
    return tsv_to_reading(tsv, 1 / scale)


def erase_rulings(
    gray: np.ndarray, ink: np.ndarray, rulings: list[Segment], scale: float
) -> np.ndarray:
    """Paint the table's rulings white: lines crossing text confuse tesseract. Only the
    rulings of detected grids are erased, never long strokes inside text (underlines,
    letters fused by blur), which would cut words apart."""
    if not rulings:
        return gray
    length = max(20, int(gray.shape[1] / 40))
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length))
    )
    lines = cv2.bitwise_or(horizontal, vertical)
    band = np.zeros_like(ink)
    pad = max(2, int(round(1.5 * scale)))
    for segment in rulings:
        position, start, end = (
            int(round(v * scale)) for v in (segment.position, segment.start, segment.end)
        )
        if segment.horizontal:
            band[
                max(0, position - pad) : position + pad + 1, max(0, start - pad) : end + pad + 1
            ] = 255
        else:
            band[
                max(0, start - pad) : end + pad + 1, max(0, position - pad) : position + pad + 1
            ] = 255
    mask = cv2.dilate(cv2.bitwise_and(lines, band), np.ones((3, 3), np.uint8))
    clean = gray.copy()
    clean[mask > 0] = 255
    return clean


def ocr_page_reasons(
    reading: OcrReading, tables: tuple[Table, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    confident = [
        w
        for w in reading.words
        if (w.confidence or 0) >= EMPTY_PAGE_MIN_CONFIDENCE and len(w.text) > 1
    ]
    if len(confident) < EMPTY_PAGE_MAX_WORDS:
        return ("EMPTY_PAGE",), (
            f"only {len(confident)} legible words on a page that is not blank (photo or noise?)",
        )
    return (), ()

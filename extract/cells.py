"""Second reading of table cells that the page-level OCR left empty although they hold ink.

Tesseract's page layout analysis drops short isolated cells: row numbers, "B", "WTP", a lone
"36.38". Each such cell is cropped, the crops are stacked into one strip with white space
between them, and the strip is read in a single tesseract call (one process start instead of
one per cell); the words found are mapped back to page coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from extract.grid import Grid, GridCell
from extract.models import BBox, Word
from extract.tables import words_by_cell
from extract.tesseract import OcrEngine, image_for_tesseract
from extract.tsv import tsv_to_reading

CELL_MARGIN_PT = 2.0  # keep clear of the cell's rulings
MIN_INK_SHARE = 0.004  # share of dark pixels that says "something is printed here"
DARK_LEVEL = 140
FAINT_LEVEL = 175  # faded print on a photocopy is mid grey; paper stays above this
STRIP_GAP_PX = 30
STRIP_PSM = 6  # the strip is one uniform block of short lines
MAX_CELLS_PER_STRIP = 80
REREAD_BELOW_CONFIDENCE = 70.0  # a cell read less confidently than this is read again alone
UNREAD_PAD_PT = 1.0
UNREAD_MIN_WIDTH_PT = 4.0  # ink this wide on a pixel row
UNREAD_MIN_HEIGHT_PT = 4.0  # over this many points of height: about one line of small print
TRUSTED_CONFIDENCE = 60.0
REREAD_WORD_BELOW = 45.0  # ... or holding one word this doubtful (two lines fused into one word)
STRIP_DPI = 300  # crops of low-resolution scans are enlarged to this (cost grows with its square)
UPSCALE_BELOW_DPI = 200  # crops of scans at 200 dpi and more are read as they are
INK_MARGIN_PT = 2.0


@dataclass(frozen=True, slots=True)
class Crop:
    bbox: BBox  # points, on the page
    top_px: int  # where the crop starts in the strip
    left_px: int


def cell_interior(cell: GridCell) -> BBox | None:
    box = cell.bbox
    if box.width <= 3 * CELL_MARGIN_PT or box.height <= 2 * CELL_MARGIN_PT:
        return None
    return BBox(
        box.x0 + CELL_MARGIN_PT,
        box.top + CELL_MARGIN_PT,
        box.x1 - CELL_MARGIN_PT,
        box.bottom - CELL_MARGIN_PT,
    )


def pixel_box(bbox: BBox, scale: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    height, width = shape[:2]
    return (
        max(0, int(bbox.x0 * scale)),
        max(0, int(bbox.top * scale)),
        min(width, int(bbox.x1 * scale)),
        min(height, int(bbox.bottom * scale)),
    )


def has_ink(clean: np.ndarray, bbox: BBox, scale: float) -> bool:
    x0, y0, x1, y1 = pixel_box(bbox, scale, clean.shape)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return False
    region = clean[y0:y1, x0:x1]
    return float((region < DARK_LEVEL).mean()) >= MIN_INK_SHARE


def cells_to_reread(
    grids: list[Grid], words: tuple[Word, ...], clean: np.ndarray, scale: float
) -> list[tuple[BBox, list[Word]]]:
    """Cell interiors read badly by the page pass: inked but empty, or of low confidence;
    each with the words the page pass put there."""
    wanted = []
    for grid in grids:
        for cell, inside in zip(grid.cells, words_by_cell(grid, words), strict=True):
            interior = cell_interior(cell)
            if interior is None:
                continue
            if (
                inside
                and not doubtful(inside)
                and not has_unread_ink(clean, interior, inside, scale)
            ):
                continue
            if inside or has_ink(clean, interior, scale):
                wanted.append((interior, inside))
    return wanted


def merge_readings(old: list[Word], new: list[Word]) -> list[Word]:
    """A cell's words after its second reading. A more confident reading replaces a doubtful
    one, and so does a reading that holds the first one's words and more; otherwise the
    first reading stays and the second only adds words where the first found nothing."""
    if not old or (doubtful(old) and mean_confidence(new) > mean_confidence(old)):
        return new
    if (
        len(new) > len(old)
        and contains_most(new, old)
        and mean_confidence(new) >= mean_confidence(old) - 5
    ):
        return new
    fresh = [
        w
        for w in new
        if (w.confidence or 0) >= TRUSTED_CONFIDENCE
        and not any(
            o.bbox.contains_point(*w.bbox.center) or w.bbox.contains_point(*o.bbox.center)
            for o in old
        )
    ]
    return old + fresh


def contains_most(new: list[Word], old: list[Word]) -> bool:
    texts = [w.text for w in new]
    found = 0
    for word in old:
        if word.text in texts:
            texts.remove(word.text)
            found += 1
    return found >= 0.8 * len(old)


def doubtful(words: list[Word]) -> bool:
    return (
        mean_confidence(words) < REREAD_BELOW_CONFIDENCE
        or min_confidence(words) < REREAD_WORD_BELOW
    )


def has_unread_ink(clean: np.ndarray, interior: BBox, words: list[Word], scale: float) -> bool:
    """Ink in the cell that no word box covers: a line or a stacked value tesseract skipped."""
    x0, y0, x1, y1 = pixel_box(interior, scale, clean.shape)
    dark = clean[y0:y1, x0:x1] < FAINT_LEVEL
    if dark.size == 0 or not dark.any():
        return False
    pad = max(1, round(UNREAD_PAD_PT * scale))
    for word in words:
        wx0, wy0, wx1, wy1 = pixel_box(word.bbox, scale, clean.shape)
        dark[
            max(0, wy0 - y0 - pad) : max(0, wy1 - y0 + pad),
            max(0, wx0 - x0 - pad) : max(0, wx1 - x0 + pad),
        ] = False
    # Count only rows with a run of ink, so specks and the odd serif do not trigger a re-read.
    inked_rows = int((dark.sum(axis=1) >= max(3, round(UNREAD_MIN_WIDTH_PT * scale))).sum())
    return inked_rows >= round(UNREAD_MIN_HEIGHT_PT * scale)


def min_confidence(words: list[Word]) -> float:
    """Lowest confidence among real words: a bullet or a lone mark is often read doubtfully
    without anything being wrong with the cell's text."""
    scores = [w.confidence for w in words if w.confidence is not None and len(w.text) >= 3]
    return min(scores, default=100.0)


def mean_confidence(words: list[Word]) -> float:
    scores = [w.confidence for w in words if w.confidence is not None]
    return sum(scores) / len(scores) if scores else 0.0


def crop_for_ocr(region: np.ndarray, factor: float) -> np.ndarray:
    """A cell crop enlarged to ~300 dpi and binarised (Otsu): header fills and faded print
    read far better as black on white."""
    if factor > 1.01:
        region = cv2.resize(region, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def ink_bbox(clean: np.ndarray, box: BBox, scale: float) -> BBox | None:
    """The part of ``box`` that holds ink, with a small margin: white space costs tesseract
    time and tells it nothing."""
    x0, y0, x1, y1 = pixel_box(box, scale, clean.shape)
    dark = clean[y0:y1, x0:x1] < FAINT_LEVEL
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    if rows.size == 0:
        return None
    margin = INK_MARGIN_PT
    return BBox(
        max(box.x0, (x0 + cols[0]) / scale - margin),
        max(box.top, (y0 + rows[0]) / scale - margin),
        min(box.x1, (x0 + cols[-1] + 1) / scale + margin),
        min(box.bottom, (y0 + rows[-1] + 1) / scale + margin),
    )


def crops_to_strip(
    clean: np.ndarray, boxes: list[BBox], scale: float
) -> tuple[np.ndarray, list[Crop], float]:
    """Stack the cell crops top to bottom, left-aligned, with white gaps.

    Returns the strip, where each crop sits in it, and the strip's scale."""
    dpi = scale * 72
    factor = STRIP_DPI / dpi if dpi < UPSCALE_BELOW_DPI else 1.0
    pieces, crops, top = [], [], STRIP_GAP_PX
    for box in boxes:
        x0, y0, x1, y1 = pixel_box(box, scale, clean.shape)
        piece = crop_for_ocr(clean[y0:y1, x0:x1], factor)
        pieces.append((top, piece))
        crops.append(Crop(bbox=box, top_px=top, left_px=STRIP_GAP_PX))
        top += piece.shape[0] + STRIP_GAP_PX
    width = max(p.shape[1] for _, p in pieces) + 2 * STRIP_GAP_PX
    strip = np.full((top, width), 255, dtype=np.uint8)
    for (offset, piece), crop in zip(pieces, crops, strict=True):
        strip[offset : offset + piece.shape[0], crop.left_px : crop.left_px + piece.shape[1]] = (
            piece
        )
    return strip, crops, scale * factor


def strip_words_to_cells(
    words: tuple[Word, ...], crops: list[Crop], scale: float
) -> list[list[Word]]:
    """Words found in the strip, moved back onto the page, one list per crop; words between
    crops are dropped."""
    placed: list[list[Word]] = [[] for _ in crops]
    for word in words:
        y_px = (word.bbox.top + word.bbox.bottom) / 2 * scale
        index = next(
            (
                i
                for i, c in enumerate(crops)
                if c.top_px <= y_px <= c.top_px + c.bbox.height * scale + 1
            ),
            None,
        )
        if index is None:
            continue
        crop = crops[index]
        dx = crop.bbox.x0 - crop.left_px / scale
        dy = crop.bbox.top - crop.top_px / scale
        box = BBox(word.bbox.x0 + dx, word.bbox.top + dy, word.bbox.x1 + dx, word.bbox.bottom + dy)
        placed[index].append(
            Word(text=word.text, bbox=box, confidence=word.confidence, line_key=word.line_key)
        )
    return placed


@dataclass(frozen=True, slots=True)
class RereadPlan:
    """The cells of a page to read again, stacked into one strip image."""

    wanted: list[tuple[BBox, list[Word]]]  # each cell's inked box and its first reading
    strip: np.ndarray
    crops: list[Crop]
    scale: float  # the strip's pixels per point


def plan_reread(
    grids: list[Grid], words: tuple[Word, ...], clean: np.ndarray, scale: float
) -> RereadPlan | None:
    """The strip of the page's badly read cells; None when every cell reads well."""
    wanted = [
        (trimmed, inside)
        for box, inside in cells_to_reread(grids, words, clean, scale)[:MAX_CELLS_PER_STRIP]
        if (trimmed := ink_bbox(clean, box, scale)) is not None
    ]
    if not wanted:
        return None
    strip, crops, strip_scale = crops_to_strip(clean, [box for box, _ in wanted], scale)
    return RereadPlan(wanted=wanted, strip=strip, crops=crops, scale=strip_scale)


def apply_reread(words: tuple[Word, ...], plan: RereadPlan, tsv: str) -> tuple[Word, ...]:
    """The page's words with badly read cells replaced by the strip's reading of them where
    that reading is better (``merge_readings``)."""
    rereads = strip_words_to_cells(
        tsv_to_reading(tsv, 1 / plan.scale).words, plan.crops, plan.scale
    )
    dropped: set[int] = set()
    added: list[Word] = []
    for (_, old), new in zip(plan.wanted, rereads, strict=True):
        if new:
            dropped.update(id(w) for w in old)
            added.extend(merge_readings(old, new))
    return tuple(w for w in words if id(w) not in dropped) + tuple(added)


def reread_cells(
    grids: list[Grid],
    words: tuple[Word, ...],
    clean: np.ndarray,
    scale: float,
    engine: OcrEngine,
    timeout: float,
) -> tuple[Word, ...]:
    """One page's second reading, in its own tesseract call (extract_pages reads the strips
    of several pages in one)."""
    plan = plan_reread(grids, words, clean, scale)
    if plan is None:
        return words
    return apply_reread(
        words, plan, engine.image_to_tsv(image_for_tesseract(plan.strip), STRIP_PSM, timeout)
    )

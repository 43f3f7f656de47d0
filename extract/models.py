"""Boundary types of the extract stage: pages, words, cells and tables.

All coordinates are PDF points (1/72 inch) with the origin at the top-left corner of the page
*as it is read* (after rotation and deskew for scans), the pdfplumber convention. OCR pixel
boxes are scaled into points so that text pages and scans share one geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ExtractionKind(StrEnum):
    TEXT = "text"
    OCR = "ocr"


@dataclass(frozen=True, slots=True)
class BBox:
    x0: float
    top: float
    x1: float
    bottom: float

    def __post_init__(self) -> None:
        if self.x1 < self.x0 or self.bottom < self.top:
            raise ValueError(f"inverted bbox {self!r}")

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.top + self.bottom) / 2)

    def contains_point(self, x: float, y: float, tolerance: float = 0.0) -> bool:
        return (
            self.x0 - tolerance <= x <= self.x1 + tolerance
            and self.top - tolerance <= y <= self.bottom + tolerance
        )

    def intersection_area(self, other: BBox) -> float:
        width = min(self.x1, other.x1) - max(self.x0, other.x0)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return width * height if width > 0 and height > 0 else 0.0

    def union(self, other: BBox) -> BBox:
        return BBox(
            min(self.x0, other.x0),
            min(self.top, other.top),
            max(self.x1, other.x1),
            max(self.bottom, other.bottom),
        )

    def scaled(self, factor: float) -> BBox:
        return BBox(self.x0 * factor, self.top * factor, self.x1 * factor, self.bottom * factor)


@dataclass(frozen=True, slots=True)
class PageRef:
    """Where a record came from: the document's hash and the 1-based page number."""

    doc_sha256: str
    page: int

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError(f"page numbers are 1-based, got {self.page}")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    bbox: BBox
    confidence: float | None = None  # tesseract 0-100; None for the text layer
    line_key: int = 0  # tesseract block/par/line packed into one number; 0 for text pages

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("a word has text")
        if self.confidence is not None and not 0 <= self.confidence <= 100:
            raise ValueError(f"confidence out of range: {self.confidence}")


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a table grid; merged cells span several rows or columns."""

    row: int  # 0-based row of the top-left grid slot
    col: int  # 0-based column of the top-left grid slot
    bbox: BBox
    page: int
    words: tuple[Word, ...] = ()
    row_span: int = 1
    col_span: int = 1

    def __post_init__(self) -> None:
        if self.row < 0 or self.col < 0 or self.row_span < 1 or self.col_span < 1:
            raise ValueError(
                f"bad cell position {self.row},{self.col} span {self.row_span}x{self.col_span}"
            )

    @property
    def lines(self) -> list[str]:
        """The cell's text lines in reading order (top to bottom, left to right)."""
        return [" ".join(w.text for w in line) for line in words_to_lines(self.words)]

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def confidence(self) -> float | None:
        scores = [w.confidence for w in self.words if w.confidence is not None]
        return sum(scores) / len(scores) if scores else None

    def covers(self, row: int, col: int) -> bool:
        return (
            self.row <= row < self.row + self.row_span
            and self.col <= col < self.col + self.col_span
        )


class TableSource(StrEnum):
    RULED = "ruled"  # grid from ruling lines (OpenCV on scans, pdfplumber edges on text pages)
    BORDERLESS = "borderless"  # grid inferred from word positions and a header row


@dataclass(frozen=True, slots=True)
class Table:
    """A table's grid of cells. A logical table may span several pages (``pages``)."""

    cells: tuple[Cell, ...]
    n_rows: int
    n_cols: int
    pages: tuple[int, ...]
    bbox: BBox  # on the first page
    source: TableSource = TableSource.RULED
    title: str = ""  # caption lines printed just above the table
    row_pages: tuple[int, ...] = ()  # page of each grid row; empty means all on pages[0]

    def __post_init__(self) -> None:
        if self.n_rows < 0 or self.n_cols < 0:
            raise ValueError("negative table size")
        for cell in self.cells:
            if cell.row + cell.row_span > self.n_rows or cell.col + cell.col_span > self.n_cols:
                raise ValueError(
                    f"cell {cell.row},{cell.col} outside a {self.n_rows}x{self.n_cols} grid"
                )
        if self.row_pages and len(self.row_pages) != self.n_rows:
            raise ValueError("row_pages must give one page per row")

    def cell_at(self, row: int, col: int) -> Cell | None:
        """The cell covering grid slot (row, col), merged cells included."""
        for cell in self.cells:
            if cell.covers(row, col):
                return cell
        return None

    def row_cells(self, row: int) -> list[Cell | None]:
        """One entry per column: the covering cell or None."""
        return [self.cell_at(row, col) for col in range(self.n_cols)]

    def row_texts(self, row: int) -> list[str]:
        """Texts of the cells anchored in this row (a merged cell's text only at its first row)."""
        texts = []
        for col in range(self.n_cols):
            cell = self.cell_at(row, col)
            texts.append(cell.text if cell is not None and cell.row == row else "")
        return texts

    def page_of_row(self, row: int) -> int:
        return self.row_pages[row] if self.row_pages else self.pages[0]


@dataclass(frozen=True, slots=True)
class PageExtraction:
    """Everything the extract stage learned about one page."""

    ref: PageRef
    extraction: ExtractionKind
    width: float  # points, as read (after rotation)
    height: float
    words: tuple[Word, ...] = ()
    tables: tuple[Table, ...] = ()
    rotation: int = 0  # degrees applied to read the page: 0, 90, 180, 270
    skew: float = 0.0  # degrees of deskew applied
    ocr_confidence: float | None = None
    reasons: tuple[str, ...] = ()  # reason codes (DATASETS.md) raised while extracting
    details: tuple[str, ...] = field(default=())  # one sentence per reason, same order
    seconds: float = 0.0
    is_blank: bool = False

    def __post_init__(self) -> None:
        if self.rotation not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be a right angle, got {self.rotation}")
        if len(self.details) not in (0, len(self.reasons)):
            raise ValueError("details must match reasons one to one")

    @property
    def text(self) -> str:
        """The page text, line by line in reading order."""
        return "\n".join(" ".join(w.text for w in line) for line in words_to_lines(self.words))


def words_to_lines(words: tuple[Word, ...] | list[Word]) -> list[list[Word]]:
    """Group words into lines by vertical overlap, each line sorted left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.bbox.top, w.bbox.x0)):
        middle = (word.bbox.top + word.bbox.bottom) / 2
        for line in reversed(lines[-3:]):
            top = min(w.bbox.top for w in line)
            bottom = max(w.bbox.bottom for w in line)
            if top <= middle <= bottom:
                line.append(word)
                break
        else:
            lines.append([word])
    for line in lines:
        line.sort(key=lambda w: w.bbox.x0)
    lines.sort(key=lambda line: min(w.bbox.top for w in line))
    return lines

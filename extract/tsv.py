"""Tesseract TSV output -> words with boxes in PDF points (pure; tested on recorded output)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from extract.models import BBox, Word

WORD_LEVEL = "5"


@dataclass(frozen=True, slots=True)
class OcrReading:
    """One tesseract reading of a page image."""

    words: tuple[Word, ...]
    mean_confidence: float | None

    @property
    def score(self) -> float:
        """How much to trust this reading: confidence weighted by how much text it found."""
        if self.mean_confidence is None:
            return 0.0
        return self.mean_confidence * min(1.0, len(self.words) / 20)


TSV_COLUMNS = (
    "level",
    "page_num",
    "block_num",
    "par_num",
    "line_num",
    "word_num",
    "left",
    "top",
    "width",
    "height",
    "conf",
    "text",
)
TSV_HEADER = "\t".join(TSV_COLUMNS[:6])


class TsvError(ValueError):
    """The engine's output is not tesseract TSV."""

    reason = "OCR_FAILED"


def tsv_to_reading(
    tsv: str, points_per_pixel: float, offset: tuple[float, float] = (0.0, 0.0)
) -> OcrReading:
    """Parse tesseract's TSV; boxes are scaled from pixels to points and shifted by ``offset``."""
    if not tsv.startswith(TSV_HEADER):
        raise TsvError(f"the OCR engine's output is not tesseract TSV: {tsv[:40]!r}")
    words = [
        word
        for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
        if (word := tsv_row_to_word(row, points_per_pixel, offset)) is not None
    ]
    return OcrReading(words=tuple(words), mean_confidence=mean_confidence(words))


def tsv_row_to_word(
    row: dict[str, str], points_per_pixel: float, offset: tuple[float, float]
) -> Word | None:
    if row.get("level") != WORD_LEVEL:
        return None
    text = (row.get("text") or "").strip()
    try:
        confidence = float(row["conf"])
        left, top, width, height = (int(row[key]) for key in ("left", "top", "width", "height"))
    except (KeyError, TypeError, ValueError):
        return None
    if not text or confidence < 0:
        return None
    x_offset, y_offset = offset
    bbox = BBox(
        x_offset + left * points_per_pixel,
        y_offset + top * points_per_pixel,
        x_offset + (left + width) * points_per_pixel,
        y_offset + (top + height) * points_per_pixel,
    )
    line_key = (
        int(row["block_num"]) * 1_000_000 + int(row["par_num"]) * 1_000 + int(row["line_num"])
    )
    return Word(text=text, bbox=bbox, confidence=min(confidence, 100.0), line_key=line_key)


def mean_confidence(words: list[Word] | tuple[Word, ...]) -> float | None:
    scores = [w.confidence for w in words if w.confidence is not None]
    return round(sum(scores) / len(scores), 2) if scores else None


def split_tsv_pages(tsv: str, pages: int) -> list[str]:
    """The TSV of a tesseract call over several images, as one TSV per image, each numbered
    page 1 as if its image had been read alone."""
    if not tsv.startswith(TSV_HEADER):
        raise TsvError(f"the OCR engine's output is not tesseract TSV: {tsv[:40]!r}")
    header, *rows = tsv.rstrip("\n").split("\n")
    by_page: list[list[str]] = [[header] for _ in range(pages)]
    for row in rows:
        fields = row.split("\t", 2)
        number = int(fields[1]) if len(fields) == 3 and fields[1].isdigit() else 0
        if not 1 <= number <= pages:
            raise TsvError(f"tesseract reported page {fields[1:2]} of {pages} images")
        by_page[number - 1].append(f"{fields[0]}\t1\t{fields[2]}")
    missing = [i + 1 for i, page in enumerate(by_page) if len(page) == 1]
    if missing:
        raise TsvError(f"tesseract returned nothing for images {missing} of {pages}")
    return ["\n".join(page) + "\n" for page in by_page]

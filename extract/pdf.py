"""Open a PDF, list its pages, and decide per page whether the text layer is usable."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from extract.models import BBox, Word

# A page whose characters cover less than this share of the page is read as a scan: stamp
# text or a one-line OCR header over a photographed page must not count as a text layer.
MIN_TEXT_COVERAGE = 0.004
MIN_TEXT_WORDS = 12
# pdfplumber's default word tolerances: Word's justified and kerned text has gaps inside
# words up to ~3 pt ("Dokum en" at 1.5); cells are padded further apart than that.
WORD_X_TOLERANCE = 3.0
WORD_Y_TOLERANCE = 3.0


class PdfError(Exception):
    reason = "PDF_UNREADABLE"


class PdfEncrypted(PdfError):
    reason = "PDF_ENCRYPTED"


@dataclass(frozen=True, slots=True)
class EmbeddedImage:
    bbox: BBox
    pixel_width: int
    pixel_height: int

    @property
    def dpi(self) -> float:
        return self.pixel_width / (self.bbox.width / 72) if self.bbox.width > 0 else 0.0


@dataclass(frozen=True, slots=True)
class TextLayer:
    words: tuple[Word, ...]
    coverage: float  # share of the page area covered by character boxes
    usable: bool


class PdfSource:
    """Both engines on one file: pdfium renders, pdfplumber reads text, lines and rects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pdfium = open_pdfium(path)
        self._plumber: pdfplumber.PDF | None = None

    @property
    def page_count(self) -> int:
        return len(self._pdfium)

    def pdfium_page(self, number: int) -> pdfium.PdfPage:
        return self._pdfium[number - 1]

    def plumber_page(self, number: int) -> pdfplumber.page.Page:
        if self._plumber is None:
            try:
                self._plumber = pdfplumber.open(self.path)
            except PDFPasswordIncorrect as exc:
                raise PdfEncrypted(f"{self.path.name} needs a password") from exc
            except (PDFSyntaxError, Exception) as exc:
                raise PdfError(f"pdfplumber cannot read {self.path.name}: {exc}") from exc
        return self._plumber.pages[number - 1]

    def release_page(self, number: int) -> None:
        """Drop cached page objects so memory does not grow with the page count."""
        if self._plumber is not None:
            page = self._plumber.pages[number - 1]
            page.close()

    def close(self) -> None:
        if self._plumber is not None:
            self._plumber.close()
        self._pdfium.close()


@contextlib.contextmanager
def open_pdf(path: Path) -> Iterator[PdfSource]:
    source = PdfSource(path)
    try:
        yield source
    finally:
        source.close()


def open_pdfium(path: Path) -> pdfium.PdfDocument:
    """Open with pdfium; corrupt, truncated, non-PDF and encrypted files become PdfError."""
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise PdfEncrypted(f"{path.name} needs a password") from exc
        raise PdfError(f"{path.name} cannot be opened as a PDF ({message})") from exc
    if len(document) == 0:
        document.close()
        raise PdfError(f"{path.name} has no pages")
    return document


def page_to_text_layer(page: pdfplumber.page.Page) -> TextLayer:
    """Words of the text layer, and whether they cover enough of the page to be used."""
    raw_words = page.extract_words(
        x_tolerance=WORD_X_TOLERANCE, y_tolerance=WORD_Y_TOLERANCE, keep_blank_chars=False
    )
    words = tuple(plumber_word_to_word(w) for w in raw_words if w["text"].strip())
    page_area = float(page.width * page.height) or 1.0
    covered = sum(w.bbox.area for w in words)
    coverage = covered / page_area
    garbled = sum(w.text.count("(cid:") for w in words)
    usable = (
        coverage >= MIN_TEXT_COVERAGE and len(words) >= MIN_TEXT_WORDS and garbled < len(words) / 4
    )
    return TextLayer(words=words, coverage=round(coverage, 5), usable=usable)


def plumber_word_to_word(word: dict) -> Word:  # type: ignore[type-arg]
    x0, top = max(0.0, float(word["x0"])), max(0.0, float(word["top"]))
    return Word(
        text=word["text"],
        bbox=BBox(x0, top, max(x0, float(word["x1"])), max(top, float(word["bottom"]))),
    )


def page_to_embedded_images(page: pdfplumber.page.Page) -> list[EmbeddedImage]:
    images = []
    for image in page.images:
        x0, top = max(0.0, float(image["x0"])), max(0.0, float(image["top"]))
        x1, bottom = max(x0, float(image["x1"])), max(top, float(image["bottom"]))
        width, height = image.get("srcsize", (0, 0))
        images.append(EmbeddedImage(BBox(x0, top, x1, bottom), int(width), int(height)))
    return images

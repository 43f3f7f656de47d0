"""The OCR resolution chosen from a page's embedded scan, and the scan taken as the page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4 as A4_SIZE
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from extract import raster as rs
from extract.models import BBox
from extract.pdf import EmbeddedImage

A4 = (595.0, 842.0)


def scan(dpi: float, share: float = 1.0) -> EmbeddedImage:
    """An embedded image covering ``share`` of the A4 page's width and height at ``dpi``."""
    width, height = A4[0] * share, A4[1] * share
    return EmbeddedImage(
        BBox(0, 0, width, height), round(width / 72 * dpi), round(height / 72 * dpi)
    )


@pytest.mark.parametrize(
    ("native", "chosen"),
    [(100, 150), (150, 150), (200, 200), (240, 200), (300, 200), (600, 200)],
)
def test_scan_is_read_at_its_own_resolution_within_limits(native: int, chosen: int) -> None:
    assert rs.choose_dpi([scan(native)], *A4, None) == chosen


def test_requested_resolution_wins() -> None:
    assert rs.choose_dpi([scan(300)], *A4, 300) == 300


def test_page_without_covering_scan_gets_the_default() -> None:
    logo = scan(600, share=0.2)
    assert rs.native_dpi([logo], *A4) is None
    assert rs.choose_dpi([logo], *A4, None) == rs.DEFAULT_OCR_DPI


def test_native_resolution_is_the_finest_covering_scan() -> None:
    images = [scan(150), scan(300), scan(600, share=0.2)]
    assert rs.native_dpi(images, *A4) == pytest.approx(300, abs=1)


def test_covers_page_wants_an_upright_image_over_the_whole_box() -> None:
    box = (0.0, 0.0, 595.0, 842.0)
    assert rs.covers_page((595.0, 0, 0, 842.0, 0, 0), box)
    assert rs.covers_page((595.5, 0, 0, 841.6, -0.4, 0.2), box)  # within a point
    assert not rs.covers_page((300.0, 0, 0, 842.0, 0, 0), box)  # half the page
    assert not rs.covers_page((0, 842.0, -595.0, 0, 595.0, 0), box)  # turned a quarter
    assert not rs.covers_page((-595.0, 0, 0, 842.0, 595.0, 0), box)  # mirrored


def scanned_pdf(path: Path, text: str = "", rotate: int = 0) -> Path:
    """A one-page PDF holding a grey 'scan' with a few dark bars over the whole A4 page."""
    pixels = np.full((1169, 827), 235, dtype=np.uint8)
    pixels[200:230, 100:700] = 20
    pixels[500:900, 400:420] = 60
    pdf = canvas.Canvas(str(path), pagesize=A4_SIZE)
    pdf.drawImage(ImageReader(Image.fromarray(pixels)), 0, 0, width=A4_SIZE[0], height=A4_SIZE[1])
    if text:
        pdf.drawString(72, 72, text)
    if rotate:
        pdf.setPageRotation(rotate)
    pdf.save()
    return path


def test_image_only_page_is_taken_from_its_scan_like_a_render(tmp_path: Path) -> None:
    document = pdfium.PdfDocument(str(scanned_pdf(tmp_path / "scan.pdf")))
    page = document[0]
    direct = rs.scan_to_gray(page, 200 / 72)
    rendered = page.render(scale=200 / 72, grayscale=True).to_numpy().squeeze()
    assert direct is not None and direct.shape == rendered.shape
    assert float(np.abs(direct.astype(int) - rendered.astype(int)).mean()) < 3.0
    assert rs.render_page(page, 200).image.shape == rendered.shape


@pytest.mark.parametrize(("text", "rotate"), [("a stamp's text", 0), ("", 90)])
def test_other_pages_are_rendered(tmp_path: Path, text: str, rotate: int) -> None:
    path = scanned_pdf(tmp_path / "page.pdf", text=text, rotate=rotate)
    page = pdfium.PdfDocument(str(path))[0]
    assert rs.scan_to_gray(page, 200 / 72) is None
    rendered = page.render(scale=200 / 72, grayscale=True).to_numpy().squeeze()
    assert rs.render_page(page, 200).image.shape == rendered.shape


def test_reduced_copy_shrinks_by_a_whole_factor_to_about_the_analysis_width() -> None:
    page = np.full((2339, 1655), 255, dtype=np.uint8)
    assert rs.reduced_copy(page, 1655).shape == (1170, 828)  # halved, not brought to 800
    assert rs.reduced_copy(page, 2339).shape == (780, 552)  # a third, by the longer side
    small = np.full((900, 600), 255, dtype=np.uint8)
    assert rs.reduced_copy(small, 600) is small

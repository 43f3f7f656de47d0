"""The OCR resolution chosen from a page's embedded scan."""

from __future__ import annotations

import pytest

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

"""Which way a page is turned before it is read, and when the other way is tried."""

from __future__ import annotations

import numpy as np
import pytest

from extract import raster as rs
from extract.page import SIDEWAYS_FIRST_TURN, page_rotation, reading_may_be_upside_down
from extract.tsv import OcrReading


def text_lines(vertical: bool) -> np.ndarray:
    """A white page with lines of 'letters' (small dark blocks of random widths, so the
    letters of one line do not line up with the next), across the page or down it."""
    rng = np.random.default_rng(7)
    page = np.full((1100, 800), 255, dtype=np.uint8)
    for line in range(60, 1040, 40):
        x = 60 + int(rng.integers(0, 30))
        while x < 720:
            width = int(rng.integers(4, 11))
            page[line : line + 14, x : x + width] = 30
            x += (
                width
                + int(rng.integers(2, 5))
                + (int(rng.integers(8, 16)) if rng.random() < 0.15 else 0)
            )
    return np.ascontiguousarray(page.T) if vertical else page


def test_only_vertical_text_lines_turn_the_page() -> None:
    assert page_rotation(rs.PageRaster(text_lines(vertical=False), 200 / 72)) == 0
    turned = page_rotation(rs.PageRaster(text_lines(vertical=True), 200 / 72))
    assert turned == SIDEWAYS_FIRST_TURN == 90


@pytest.mark.parametrize(
    ("confidence", "rotation", "retry"),
    [
        (None, 0, False),  # nothing read: no evidence either way
        (30.0, 0, True),
        (50.0, 0, False),  # a poor upright scan is not tried upside down ...
        (50.0, 90, True),  # ... but a guessed quarter turn that reads this badly is
        (50.0, 270, True),
        (85.0, 90, False),
    ],
)
def test_the_other_way_up_is_tried_only_on_a_doubtful_reading(
    confidence: float | None, rotation: int, retry: bool
) -> None:
    assert reading_may_be_upside_down(OcrReading((), confidence), rotation) is retry

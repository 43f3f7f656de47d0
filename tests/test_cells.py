"""Second reading of badly read cells, with a recorded engine."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.cells import (
    cells_to_reread,
    crops_to_strip,
    merge_readings,
    reread_cells,
    strip_words_to_cells,
)
from extract.grid import Grid, GridCell
from extract.models import BBox, Word
from extract.tsv import TSV_COLUMNS

SCALE = 200 / 72


def page_with_ink(boxes: list[BBox]) -> np.ndarray:
    image = np.full((int(300 * SCALE), int(300 * SCALE)), 255, np.uint8)
    for box in boxes:
        image[
            int(box.top * SCALE) : int(box.bottom * SCALE),
            int(box.x0 * SCALE) : int(box.x1 * SCALE),
        ] = 20
    return image


GRID = Grid(
    xs=(10.0, 100.0, 200.0),
    ys=(10.0, 40.0),
    cells=(
        GridCell(0, 0, 1, 1, BBox(10, 10, 100, 40)),
        GridCell(0, 1, 1, 1, BBox(100, 10, 200, 40)),
    ),
)


def test_an_empty_cell_with_ink_is_read_again_and_a_clean_one_is_not() -> None:
    clean = page_with_ink([BBox(20, 20, 40, 28), BBox(120, 20, 150, 28)])
    words = (Word("Persentase", BBox(120, 20, 150, 28), 95.0),)
    wanted = cells_to_reread([GRID], words, clean, SCALE)
    assert len(wanted) == 1 and wanted[0][1] == []
    assert wanted[0][0].x0 > 10 and wanted[0][0].x1 < 100


def test_strip_words_map_back_to_their_cells() -> None:
    clean = page_with_ink([BBox(20, 20, 40, 28)])
    boxes = [BBox(12, 12, 98, 38), BBox(102, 12, 198, 38)]
    strip, crops, strip_scale = crops_to_strip(clean, boxes, SCALE)
    assert strip.shape[0] > sum(b.height for b in boxes) * strip_scale
    # A word found at the top-left of the second crop in the strip lands in the second cell.
    second = crops[1]
    x, y = second.left_px / strip_scale + 1, second.top_px / strip_scale + 1
    found = strip_words_to_cells(
        (Word("WTP", BBox(x, y, x + 10, y + 6), 90.0),), crops, strip_scale
    )
    assert found[0] == [] and found[1][0].bbox.x0 > 100


def test_second_reading_only_adds_where_the_first_found_nothing() -> None:
    old = [Word("97,5%", BBox(10, 10, 30, 18), 90.0)]
    new = [Word("97,599", BBox(10, 10, 30, 18), 70.0), Word("90%", BBox(10, 22, 26, 30), 92.0)]
    merged = merge_readings(old, new)
    assert [w.text for w in merged] == ["97,5%", "90%"]


def test_a_doubtful_cell_takes_the_more_confident_reading() -> None:
    old = [Word("Jin", BBox(10, 10, 20, 18), 30.0), Word("ag", BBox(22, 10, 30, 18), 35.0)]
    new = [Word("Capaian", BBox(10, 10, 40, 18), 93.0)]
    assert [w.text for w in merge_readings(old, new)] == ["Capaian"]


class StripEngine:
    """Answers the strip with one word per crop, where the crop sits."""

    def __init__(self) -> None:
        self.calls = 0

    def image_to_tsv(self, image, psm, timeout):  # type: ignore[no-untyped-def]
        self.calls += 1
        header = "\t".join(TSV_COLUMNS) + "\n"
        return header + "5\t1\t1\t1\t1\t1\t30\t30\t40\t20\t91.0\tB\n"


def test_reread_cells_calls_the_engine_once_for_all_cells() -> None:
    clean = page_with_ink([BBox(20, 20, 40, 28)])
    engine = StripEngine()
    words = reread_cells([GRID], (), clean, SCALE, engine, timeout=5)
    assert engine.calls == 1
    assert [w.text for w in words] == ["B"] and GRID.cells[0].bbox.contains_point(
        *words[0].bbox.center
    )


def test_a_phantom_digit_inside_a_word_is_dropped_but_real_words_stay() -> None:
    from extract.page import drop_nested_words

    word = Word("masyarakat", BBox(105, 538, 151, 545), 90.0)
    phantom = Word("4", BBox(122, 539.8, 126, 546.7), 86.0)
    neighbour = Word("dan", BBox(153, 538, 165, 545), 95.0)
    assert drop_nested_words((word, phantom, neighbour)) == (word, neighbour)


def _nested_phantoms(words: tuple[Word, ...]) -> tuple[Word, ...]:
    """drop_nested_words by brute force over every pair, for comparison."""
    from extract.page import NESTED_SHARE, PHANTOM_MAX_CHARS

    dropped = {
        id(small)
        for small in words
        for large in words
        if small is not large
        and len(small.text) <= PHANTOM_MAX_CHARS < len(large.text)
        and small.bbox.area > 0
        and small.bbox.intersection_area(large.bbox) >= NESTED_SHARE * small.bbox.area
    }
    return tuple(w for w in words if id(w) not in dropped)


_coordinate = st.integers(min_value=0, max_value=30).map(float)


_side = st.integers(min_value=1, max_value=12).map(float)
_texts = st.sampled_from(["4", "y", "masyarakat", "B", "WTP"])


@given(st.lists(st.tuples(_texts, _coordinate, _coordinate, _side, _side), max_size=10))
@settings(max_examples=300, deadline=None)
def test_drop_nested_words_drops_exactly_the_short_words_inside_longer_ones(
    specs: list[tuple[str, float, float, float, float]],
) -> None:
    from extract.page import drop_nested_words

    words = tuple(
        Word(text=text, bbox=BBox(x, y, x + width, y + height))
        for text, x, y, width, height in specs
    )
    assert drop_nested_words(words) == _nested_phantoms(words)

"""Ruling segments -> grids: plain cases and properties."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.grid import (
    Segment,
    component_boxes,
    join_collinear,
    mask_to_segments,
    positions_to_cuts,
    segments_to_grids,
)


def ruled_grid(xs: list[float], ys: list[float]) -> tuple[list[Segment], list[Segment]]:
    horizontal = [Segment(True, y, xs[0], xs[-1]) for y in ys]
    vertical = [Segment(False, x, ys[0], ys[-1]) for x in xs]
    return horizontal, vertical


def test_full_grid_gives_every_slot_as_a_cell() -> None:
    horizontal, vertical = ruled_grid([50, 100, 300, 400], [100, 120, 160, 200])
    (grid,) = segments_to_grids(horizontal, vertical)
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    assert len(grid.cells) == 9
    assert all(c.row_span == 1 and c.col_span == 1 for c in grid.cells)


def test_missing_horizontal_border_merges_cells_down() -> None:
    # The sasaran column (x 100-300) has no rule at y=160: one cell spans rows 1 and 2.
    xs, ys = [50, 100, 300, 400], [100, 120, 160, 200]
    horizontal = [
        Segment(True, 100, 50, 400),
        Segment(True, 120, 50, 400),
        Segment(True, 160, 50, 100),
        Segment(True, 160, 300, 400),
        Segment(True, 200, 50, 400),
    ]
    vertical = [Segment(False, x, ys[0], ys[-1]) for x in xs]
    (grid,) = segments_to_grids(horizontal, vertical)
    merged = [c for c in grid.cells if c.row_span == 2]
    assert len(merged) == 1 and merged[0].col == 1 and merged[0].row == 1
    assert len(grid.cells) == 8


def test_header_spanning_columns() -> None:
    ys = [0, 20, 40, 60]
    horizontal = [Segment(True, y, 0, 300) for y in ys]
    vertical = [
        Segment(False, 0, 0, 60),
        Segment(False, 300, 0, 60),
        Segment(False, 100, 20, 60),
        Segment(False, 200, 0, 60),
    ]
    (grid,) = segments_to_grids(horizontal, vertical)
    top_left = [c for c in grid.cells if c.row == 0 and c.col == 0][0]
    assert top_left.col_span == 2


def test_two_separate_tables_are_two_grids() -> None:
    first = ruled_grid([0, 50, 100], [0, 20, 40])
    second = ruled_grid([0, 50, 100], [300, 320, 340])
    grids = segments_to_grids(first[0] + second[0], first[1] + second[1])
    assert [g.ys[0] for g in grids] == [0, 300]


def test_underline_alone_is_no_table() -> None:
    assert segments_to_grids([Segment(True, 100, 0, 200)], []) == []


def test_broken_ruling_pieces_are_joined() -> None:
    pieces = [
        Segment(True, 100.0, 0, 80),
        Segment(True, 100.5, 86, 200),
        Segment(True, 140, 0, 200),
    ]
    joined = join_collinear(pieces)
    assert len(joined) == 2
    assert joined[0].start == 0 and joined[0].end == 200


def test_mask_to_segments_finds_drawn_rulings_not_text_strokes() -> None:
    ink = np.zeros((400, 600), np.uint8)
    ink[50:52, 20:580] = 255  # a ruling
    ink[350:352, 20:580] = 255
    ink[50:352, 20:22] = 255
    ink[50:352, 578:580] = 255
    for x in range(100, 500, 12):  # a line of "letters": short vertical strokes
        ink[200:215, x : x + 2] = 255
    horizontal, vertical = mask_to_segments(ink, points_per_pixel=72 / 200)
    assert len(horizontal) == 2
    assert len(vertical) == 2
    (grid,) = segments_to_grids(horizontal, vertical)
    assert (grid.n_rows, grid.n_cols) == (1, 1)


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=1, max_size=40))
def test_cuts_are_sorted_and_separated(positions: list[float]) -> None:
    cuts = positions_to_cuts(positions)
    assert cuts == sorted(cuts)
    assert all(b - a > 0 for a, b in zip(cuts, cuts[1:], strict=False))
    assert min(positions) - 1e-9 <= cuts[0] and cuts[-1] <= max(positions) + 1e-9


@settings(max_examples=60)
@given(
    st.lists(st.integers(min_value=10, max_value=120), min_size=1, max_size=6),
    st.lists(st.integers(min_value=10, max_value=80), min_size=1, max_size=8),
)
def test_every_slot_of_a_full_grid_is_covered_once(widths: list[int], heights: list[int]) -> None:
    xs = [0.0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [0.0]
    for h in heights:
        ys.append(ys[-1] + h)
    if xs[-1] < 30 or ys[-1] < 30:
        return
    horizontal, vertical = ruled_grid(xs, ys)
    (grid,) = segments_to_grids(horizontal, vertical)
    slots = [
        (r, c)
        for cell in grid.cells
        for r in range(cell.row, cell.row + cell.row_span)
        for c in range(cell.col, cell.col + cell.col_span)
    ]
    assert len(slots) == len(set(slots)) == grid.n_rows * grid.n_cols


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.02, 0.6))
def test_component_boxes_equal_connected_components(seed: int, density: float) -> None:
    """The contour shortcut gives the boxes OpenCV's labelling gives, holes and nesting
    included."""
    mask = (np.random.default_rng(seed).random((40, 60)) < density).astype(np.uint8) * 255
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    expected = sorted(tuple(int(v) for v in row[:4]) for row in stats[1:])
    assert sorted(component_boxes(mask)) == expected

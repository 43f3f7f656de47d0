"""Grids + words -> Tables; captions; tables continuing over page breaks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from extract.grid import Grid
from extract.models import BBox, Cell, Table, TableSource, Word, words_to_lines

TITLE_SEARCH_HEIGHT = 60.0  # points above a table searched for its caption
TITLE_MAX_LINES = 3
CONTINUATION_COLUMN_TOLERANCE = 0.04  # share of table width two column borders may differ by
# A table that starts in the top share of a page continues the previous page's last table.
CONTINUATION_TOP_SHARE = 0.35
CONTINUATION_BOTTOM_SHARE = 0.6


def grid_to_table(
    grid: Grid, words: Sequence[Word], page: int, page_words: Sequence[Word]
) -> Table:
    """Assign each word to the cell holding its centre; the caption comes from the lines above."""
    kept = [w for w in words if not (is_ruling_remnant(w, grid) or is_speck(w))]
    buckets = words_by_cell(grid, kept)
    cells = tuple(
        Cell(
            row=gc.row,
            col=gc.col,
            bbox=gc.bbox,
            page=page,
            words=tuple(buckets[i]),
            row_span=gc.row_span,
            col_span=gc.col_span,
        )
        for i, gc in enumerate(grid.cells)
    )
    return Table(
        cells=cells,
        n_rows=grid.n_rows,
        n_cols=grid.n_cols,
        pages=(page,),
        bbox=grid.bbox,
        source=TableSource.RULED,
        title=caption_above(grid.bbox, page_words),
    )


RULING_GLYPHS = frozenset("|!l1I[](){}/\\")
RULING_REMNANT_DISTANCE = 3.0  # points from a column border


def is_ruling_remnant(word: Word, grid: Grid) -> bool:
    """OCR reading a left-over piece of a vertical ruling as "|" or "l" right on a border."""
    if word.confidence is None or len(word.text) > 2 or not set(word.text) <= RULING_GLYPHS:
        return False
    x, _ = word.bbox.center
    return any(abs(x - cut) <= RULING_REMNANT_DISTANCE for cut in grid.xs)


SPECK_GLYPHS = frozenset("—–=_~|¦‘’'`,.")
SPECK_MAX_CONFIDENCE = 70.0


def is_speck(word: Word) -> bool:
    """A doubtful lone dash or tick: tesseract's reading of stamp ink, dust or a line gap."""
    return (
        word.confidence is not None
        and word.confidence < SPECK_MAX_CONFIDENCE
        and set(word.text) <= SPECK_GLYPHS
    )


def words_by_cell(grid: Grid, words: Sequence[Word]) -> list[list[Word]]:
    """The words whose centre lies in each of the grid's cells (first cell that holds it)."""
    buckets: list[list[Word]] = [[] for _ in grid.cells]
    if not words or not grid.cells:
        return buckets
    # One array comparison instead of a Python loop over cells for every word: a page's
    # 300 words against 100 cells was 13 ms a page.
    cells = np.array([(c.bbox.x0, c.bbox.top, c.bbox.x1, c.bbox.bottom) for c in grid.cells])
    centres = np.array([w.bbox.center for w in words])
    x, y = centres[:, :1], centres[:, 1:]
    inside: np.ndarray = (
        (cells[:, 0] <= x) & (x <= cells[:, 2]) & (cells[:, 1] <= y) & (y <= cells[:, 3])
    )
    first: list[int] = inside.argmax(axis=1).tolist()
    for i in np.flatnonzero(inside.any(axis=1)).tolist():
        buckets[first[i]].append(words[i])
    return buckets


def words_outside(boxes: Sequence[BBox], words: Sequence[Word]) -> list[Word]:
    """The words whose centre lies in none of ``boxes`` (text around the tables)."""
    return [w for w in words if not any(box.contains_point(*w.bbox.center) for box in boxes)]


def caption_above(bbox: BBox, page_words: Sequence[Word]) -> str:
    """Up to three text lines printed within TITLE_SEARCH_HEIGHT above the table."""
    above = [
        w
        for w in page_words
        if bbox.top - TITLE_SEARCH_HEIGHT <= w.bbox.bottom <= bbox.top + 1
        and w.bbox.x1 >= bbox.x0 - 20
        and w.bbox.x0 <= bbox.x1 + 20
    ]
    lines = words_to_lines(above)[-TITLE_MAX_LINES:]
    return " ".join(" ".join(w.text for w in line) for line in lines).strip()


def merge_continued_tables(tables: Sequence[Table], page_heights: dict[int, float]) -> list[Table]:
    """Join tables that run over a page break into one logical table (in page order)."""
    merged: list[Table] = []
    for table in sorted(tables, key=lambda t: (t.pages[0], t.bbox.top)):
        if merged and continues(merged[-1], table, page_heights, tables):
            merged[-1] = append_rows(merged[-1], table)
        else:
            merged.append(table)
    return merged


def continues(
    previous: Table, table: Table, page_heights: dict[int, float], all_tables: Sequence[Table]
) -> bool:
    """Same column structure, the next page, at the top of it, the first table there."""
    last_page = previous.pages[-1]
    if table.pages[0] != last_page + 1 or previous.n_cols != table.n_cols:
        return False
    height = page_heights.get(table.pages[0], 842.0)
    if table.bbox.top > CONTINUATION_TOP_SHARE * height:
        return False
    first_on_page = min(
        (t for t in all_tables if t.pages[0] == table.pages[0]), key=lambda t: t.bbox.top
    )
    if first_on_page is not table:
        return False
    last_bottom = _last_row_bottom(previous)
    if last_bottom < CONTINUATION_BOTTOM_SHARE * page_heights.get(last_page, 842.0):
        return False
    return columns_align(previous, table)


def _last_row_bottom(table: Table) -> float:
    last_page = table.pages[-1]
    return max(
        (c.bbox.bottom for c in table.cells if c.page == last_page), default=table.bbox.bottom
    )


def column_borders(table: Table) -> list[float]:
    """Relative x of each column's left border, from single-column cells."""
    width = table.bbox.width or 1.0
    borders: dict[int, float] = {}
    for cell in table.cells:
        if cell.col_span == 1 and cell.col not in borders and cell.page == table.pages[-1]:
            borders[cell.col] = (cell.bbox.x0 - table.bbox.x0) / width
    return [borders.get(col, -1.0) for col in range(table.n_cols)]


def columns_align(first: Table, second: Table) -> bool:
    pairs = [
        (a, b)
        for a, b in zip(column_borders(first), column_borders(second), strict=True)
        if a >= 0 and b >= 0
    ]
    return bool(pairs) and all(abs(a - b) <= CONTINUATION_COLUMN_TOLERANCE for a, b in pairs)


def append_rows(first: Table, second: Table) -> Table:
    """``second``'s rows below ``first``'s; each row remembers its page."""
    shifted = tuple(
        Cell(
            row=c.row + first.n_rows,
            col=c.col,
            bbox=c.bbox,
            page=c.page,
            words=c.words,
            row_span=c.row_span,
            col_span=c.col_span,
        )
        for c in second.cells
    )
    first_pages = first.row_pages or (first.pages[0],) * first.n_rows
    second_pages = second.row_pages or (second.pages[0],) * second.n_rows
    return Table(
        cells=first.cells + shifted,
        n_rows=first.n_rows + second.n_rows,
        n_cols=first.n_cols,
        pages=tuple(sorted(set(first.pages) | set(second.pages))),
        bbox=first.bbox,
        source=first.source,
        title=first.title,
        row_pages=tuple(first_pages) + tuple(second_pages),
    )

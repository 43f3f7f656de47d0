"""Tables printed without rulings, recovered from word positions.

Two kinds of block start one: a line that reads as a table header (the caller knows the
domain's header words and passes ``is_header``), or a run of lines ending in numbers aligned
on one right edge (a budget list: "1 Program ... : Rp 921.285.000"). Columns are the gutters
that no word of the block crosses; a row starts where the first column has text, and lines
with nothing there continue the row above (wrapped names).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from extract.models import BBox, Cell, Table, TableSource, Word, words_to_lines
from extract.tables import words_outside

IsHeader = Callable[[list[str]], bool]

CELL_GAP_PT = 9.0  # words further apart than this on a line belong to different cells
MIN_GUTTER_PT = 6.0  # a column gutter is at least this wide
MAX_LINE_GAP = 2.6  # a vertical gap of this many line heights ends a block
MIN_ALIGNED_LINES = 3
ALIGN_TOLERANCE_PT = 4.0
NUMBER_RE = re.compile(r"^[(\[]?\d[\d.,]*(?:,-)?[)\]]?%?$")


def line_to_cells(line: list[Word]) -> list[list[Word]]:
    """Split a line at wide gaps: each piece is one cell's words."""
    cells: list[list[Word]] = []
    for word in line:
        if cells and word.bbox.x0 - cells[-1][-1].bbox.x1 <= CELL_GAP_PT:
            cells[-1].append(word)
        else:
            cells.append([word])
    return cells


def cell_texts(line: list[Word]) -> list[str]:
    return [" ".join(w.text for w in cell) for cell in line_to_cells(line)]


def line_height(line: list[Word]) -> float:
    return max(w.bbox.height for w in line)


def ends_in_number(line: list[Word]) -> bool:
    return len(line) >= 2 and NUMBER_RE.match(line[-1].text) is not None


def block_from(
    lines: list[list[Word]], start: int, aligned_right: float | None
) -> list[list[Word]]:
    """Lines from ``start`` while they keep close together (and aligned, for number runs)."""
    block = [lines[start]]
    for line in lines[start + 1 :]:
        gap = min(w.bbox.top for w in line) - max(w.bbox.bottom for w in block[-1])
        if gap > MAX_LINE_GAP * line_height(block[-1]):
            break
        if (
            aligned_right is not None
            and ends_in_number(line)
            and abs(line[-1].bbox.x1 - aligned_right) > ALIGN_TOLERANCE_PT
        ):
            break
        block.append(line)
    if aligned_right is not None:  # a number run ends at its last aligned number
        while block and not ends_in_number(block[-1]):
            block.pop()
    return block


def find_blocks(lines: list[list[Word]], is_header: IsHeader | None) -> list[list[list[Word]]]:
    blocks, index = [], 0
    while index < len(lines):
        line = lines[index]
        texts = cell_texts(line)
        block: list[list[Word]] = []
        if is_header is not None and len(texts) >= 2 and is_header(texts):
            block = block_from(lines, index, None)
        elif ends_in_number(line):
            run = block_from(lines, index, line[-1].bbox.x1)
            if sum(1 for ln in run if ends_in_number(ln)) >= MIN_ALIGNED_LINES:
                block = run
        if len(block) >= 2:
            blocks.append(block)
            index += len(block)
        else:
            index += 1
    return blocks


def gutters(block: list[list[Word]]) -> list[float]:
    """x positions between columns: free of words on every line of the block."""
    spans = sorted((w.bbox.x0, w.bbox.x1) for line in block for w in line)
    cuts, reach = [], spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= MIN_GUTTER_PT:
            cuts.append((reach + x0) / 2)
        reach = max(reach, x1)
    return cuts


def block_to_table(block: list[list[Word]], page: int) -> Table | None:
    cuts = gutters(block)
    if not cuts:
        return None
    left = min(w.bbox.x0 for ln in block for w in ln) - 1
    right = max(w.bbox.x1 for ln in block for w in ln) + 1
    xs = [left, *cuts, right]
    rows = lines_to_rows(block, xs)
    cells = []
    for r, row in enumerate(rows):
        top = min(w.bbox.top for ln in row for w in ln) - 1
        bottom = max(w.bbox.bottom for ln in row for w in ln) + 1
        for c in range(len(xs) - 1):
            words = tuple(w for ln in row for w in ln if xs[c] <= w.bbox.center[0] < xs[c + 1])
            cells.append(
                Cell(row=r, col=c, bbox=BBox(xs[c], top, xs[c + 1], bottom), page=page, words=words)
            )
    bbox = BBox(left, cells[0].bbox.top, right, cells[-1].bbox.bottom)
    return Table(
        cells=tuple(cells),
        n_rows=len(rows),
        n_cols=len(xs) - 1,
        pages=(page,),
        bbox=bbox,
        source=TableSource.BORDERLESS,
    )


def lines_to_rows(block: list[list[Word]], xs: list[float]) -> list[list[list[Word]]]:
    """A line with text in the first column starts a row; others continue the row above.
    A header line is a row of its own."""
    rows: list[list[list[Word]]] = []
    for index, line in enumerate(block):
        starts = any(w.bbox.center[0] < xs[1] for w in line)
        # A second amount in a row is a new row, even without a label (a total line).
        second_value = (
            ends_in_number(line) and any(ends_in_number(ln) for ln in rows[-1]) if rows else False
        )
        if index <= 1 or starts or second_value or not rows:
            rows.append([line])
        else:
            rows[-1].append(line)
    return rows


def is_frame(table: Table) -> bool:
    """A box drawn around a block of text (a grid of one or two rows or one column): the
    table inside it, if any, has no rulings of its own."""
    return table.n_rows <= 2 or table.n_cols <= 1


def words_to_borderless_tables(
    words: Sequence[Word], page: int, taken: Sequence[BBox], is_header: IsHeader | None
) -> list[Table]:
    """Borderless tables among the words lying outside the ruled tables (``taken``)."""
    free = words_outside(taken, words)
    tables = []
    for block in find_blocks(words_to_lines(free), is_header):
        table = block_to_table(block, page)
        if table is not None:
            tables.append(table)
    return tables

"""Tables continuing over a page break become one logical table."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from extract.grid import Grid, GridCell
from extract.models import BBox, Cell, Table, Word
from extract.tables import caption_above, merge_continued_tables, words_by_cell

XS = (50.0, 80.0, 250.0, 450.0, 530.0)


def page_table(page: int, top: float, rows: int) -> Table:
    cells = tuple(
        Cell(row=r, col=c, bbox=BBox(XS[c], top + 20 * r, XS[c + 1], top + 20 * (r + 1)), page=page)
        for r in range(rows)
        for c in range(4)
    )
    return Table(
        cells=cells,
        n_rows=rows,
        n_cols=4,
        pages=(page,),
        bbox=BBox(XS[0], top, XS[-1], top + 20 * rows),
    )


def test_a_table_ending_at_the_foot_continues_at_the_top_of_the_next_page() -> None:
    first = page_table(1, 400, 20)  # reaches y=800 on an 842 pt page
    second = page_table(2, 60, 5)
    (merged,) = merge_continued_tables([first, second], {1: 842.0, 2: 842.0})
    assert merged.n_rows == 25 and merged.pages == (1, 2)
    assert merged.page_of_row(19) == 1 and merged.page_of_row(20) == 2


def test_a_table_in_the_middle_of_the_next_page_is_another_table() -> None:
    first = page_table(1, 400, 20)
    second = page_table(2, 500, 5)
    assert len(merge_continued_tables([first, second], {1: 842.0, 2: 842.0})) == 2


def test_other_columns_mean_another_table() -> None:
    first = page_table(1, 400, 20)
    other_cells = tuple(
        Cell(row=0, col=c, bbox=BBox(50 + 100 * c, 60, 150 + 100 * c, 80), page=2) for c in range(4)
    )
    other = Table(cells=other_cells, n_rows=1, n_cols=4, pages=(2,), bbox=BBox(50, 60, 450, 80))
    assert len(merge_continued_tables([first, other], {1: 842.0, 2: 842.0})) == 2


def test_caption_is_the_text_just_above_the_table() -> None:
    words = [
        Word("Tabel", BBox(60, 80, 85, 90)),
        Word("3.1", BBox(88, 80, 100, 90)),
        Word("jauh", BBox(60, 10, 80, 20)),
    ]
    assert caption_above(BBox(50, 100, 500, 300), words) == "Tabel 3.1"


def _first_cell_of_each_word(grid: Grid, words: list[Word]) -> list[list[Word]]:
    """The plain loop words_by_cell replaces: each word to the first cell holding its centre."""
    buckets: list[list[Word]] = [[] for _ in grid.cells]
    for word in words:
        for index, cell in enumerate(grid.cells):
            if cell.bbox.contains_point(*word.bbox.center):
                buckets[index].append(word)
                break
    return buckets


_edge = st.integers(min_value=0, max_value=40).map(float)


@st.composite
def _cells_and_words(draw: st.DrawFn) -> tuple[Grid, list[Word]]:
    # Coarse integer coordinates, so words often sit exactly on shared cell borders.
    boxes = draw(st.lists(st.tuples(_edge, _edge, _edge, _edge), max_size=8))
    cells = tuple(
        GridCell(0, i, 1, 1, BBox(min(a, b), min(c, d), max(a, b), max(c, d)))
        for i, (a, b, c, d) in enumerate(boxes)
    )
    spots = draw(st.lists(st.tuples(_edge, _edge, _edge, _edge), max_size=12))
    words = [
        Word(text=f"w{i}", bbox=BBox(min(a, b), min(c, d), max(a, b), max(c, d)))
        for i, (a, b, c, d) in enumerate(spots)
    ]
    return Grid(xs=(0.0, 40.0), ys=(0.0, 40.0), cells=cells), words


@given(_cells_and_words())
@settings(max_examples=300, deadline=None)
def test_words_by_cell_puts_each_word_in_the_first_cell_holding_its_centre(
    case: tuple[Grid, list[Word]],
) -> None:
    grid, words = case
    assert words_by_cell(grid, words) == _first_cell_of_each_word(grid, words)

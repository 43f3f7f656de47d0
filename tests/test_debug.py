"""extract.debug: page pictures with words, rulings, cells and flagged rows drawn on them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from extract.debug import (
    CELL_COLOUR,
    RULING_COLOUR,
    WORD_COLOUR,
    cell_label,
    draw_page,
    page_cells,
    save_png,
)
from extract.models import BBox, Cell, ExtractionKind, PageExtraction, PageRef, Table, Word

SCALE = 2.0  # pixels per point: a 200 x 150 pt page is 400 x 300 px


def make_page(page: int = 1) -> PageExtraction:
    """A 200 x 150 pt page: one word, a 2x2 table whose left column is merged, one cell on p2."""
    word = Word("Target", BBox(120, 20, 150, 30))
    cells = (
        Cell(row=0, col=0, bbox=BBox(10, 50, 60, 130), page=1, row_span=2),
        Cell(row=0, col=1, bbox=BBox(60, 50, 190, 90), page=1, words=(word,)),
        Cell(row=1, col=1, bbox=BBox(60, 90, 190, 130), page=1),
        Cell(row=2, col=0, bbox=BBox(10, 10, 190, 40), page=2, col_span=2),
    )
    table = Table(cells=cells, n_rows=3, n_cols=2, pages=(1, 2), bbox=BBox(10, 50, 190, 130))
    return PageExtraction(
        ref=PageRef("ab" * 32, page),
        extraction=ExtractionKind.TEXT,
        width=200,
        height=150,
        words=(word,),
        tables=(table,),
    )


def white_page() -> Image.Image:
    return Image.new("RGB", (400, 300), "white")


def test_draw_page_returns_new_rgb_image_of_same_size():
    source = Image.new("L", (400, 300), 255)
    drawn = draw_page(source, make_page(), SCALE)
    assert drawn.mode == "RGB"
    assert drawn.size == source.size
    assert source.getextrema() == (255, 255), "the input image must not be drawn on"


def test_word_cell_and_ruling_colours_land_on_their_boxes():
    rulings = [(0.0, 145.0, 200.0, 145.0)]
    drawn = draw_page(white_page(), make_page(), SCALE, rulings=rulings)
    assert drawn.getpixel((300, 40)) == WORD_COLOUR  # top edge of the word box at y=20pt
    assert drawn.getpixel((250, 100)) == CELL_COLOUR  # top edge of cell 0,1 at y=50pt
    assert drawn.getpixel((200, 290)) == RULING_COLOUR
    assert drawn.getpixel((250, 150)) == (255, 255, 255)  # inside a cell, nothing drawn


def test_cells_of_other_pages_are_not_drawn():
    page_one = make_page(1)
    assert [cell_label(cell) for cell in page_cells(page_one)] == ["0-1,0", "0,1", "1,1"]
    drawn = draw_page(white_page(), page_one, SCALE)
    # The page-2 cell's top edge (y=10pt) would cross x=200px at y=20px.
    assert drawn.getpixel((200, 20)) == (255, 255, 255)


def test_highlight_is_a_translucent_red_fill():
    drawn = draw_page(white_page(), make_page(), SCALE, highlight=[BBox(60, 90, 190, 130)])
    red, green, blue = drawn.getpixel((250, 220))
    assert red > 200 and green < 220 and blue < 220, "flagged row is tinted red"
    assert green > 100, "the tint is translucent, not opaque"
    assert drawn.getpixel((250, 150)) == (255, 255, 255), "unflagged cells stay untinted"


def test_labels_are_drawn_in_the_cell_corner():
    drawn = draw_page(white_page(), make_page(), SCALE)
    corner = drawn.crop((70, 102, 118, 125))  # inside cell 0-1,0 just below its top-right corner
    assert CELL_COLOUR in {colour for _, colour in corner.getcolors(10_000)}


def test_no_label_where_it_would_cover_a_narrow_cell():
    narrow = Cell(row=0, col=0, bbox=BBox(10, 10, 16, 60), page=1)
    table = Table(cells=(narrow,), n_rows=1, n_cols=1, pages=(1,), bbox=narrow.bbox)
    page = PageExtraction(PageRef("ab" * 32, 1), ExtractionKind.TEXT, 200, 150, tables=(table,))
    drawn = draw_page(white_page(), page, SCALE)
    inside = drawn.crop((22, 22, 31, 118))  # the cell without its outline
    assert inside.getcolors() == [(inside.width * inside.height, (255, 255, 255))]


def one_cell_page(words: tuple[Word, ...]) -> PageExtraction:
    cell = Cell(row=0, col=0, bbox=BBox(10, 10, 110, 60), page=1, words=words)
    table = Table(cells=(cell,), n_rows=1, n_cols=1, pages=(1,), bbox=cell.bbox)
    return PageExtraction(
        PageRef("ab" * 32, 1), ExtractionKind.TEXT, 200, 150, words=words, tables=(table,)
    )


def green_in(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    return CELL_COLOUR in {colour for _, colour in image.crop(box).getcolors(10_000)}


def test_label_moves_to_a_free_corner_and_never_covers_words():
    top_right_word = Word("100%", BBox(80, 12, 108, 22))
    drawn = draw_page(white_page(), one_cell_page((top_right_word,)), SCALE)
    assert green_in(drawn, (23, 23, 60, 44)), "label in the top-left corner"
    assert not green_in(drawn, (150, 23, 217, 44)), "nothing drawn over the word"
    full = Word("Persentase", BBox(11, 11, 109, 59))
    drawn = draw_page(white_page(), one_cell_page((full,)), SCALE)
    assert not green_in(drawn, (23, 23, 217, 117)), "no corner free: no label"


def test_bad_scale_is_refused():
    with pytest.raises(ValueError, match="scale"):
        draw_page(white_page(), make_page(), 0)


@given(
    row=st.integers(0, 50),
    col=st.integers(0, 20),
    row_span=st.integers(1, 5),
    col_span=st.integers(1, 5),
)
def test_cell_label_names_every_slot_the_cell_covers(row, col, row_span, col_span):
    cell = Cell(row, col, BBox(0, 0, 1, 1), page=1, row_span=row_span, col_span=col_span)
    match = re.fullmatch(r"(\d+)(?:-(\d+))?,(\d+)(?:-(\d+))?", cell_label(cell))
    assert match is not None
    first_row, last_row, first_col, last_col = match.groups()
    assert (int(first_row), int(last_row or first_row)) == (row, row + row_span - 1)
    assert (int(first_col), int(last_col or first_col)) == (col, col + col_span - 1)
    assert (last_row is None) == (row_span == 1) and (last_col is None) == (col_span == 1)


def png_chunk_types(data: bytes) -> list[bytes]:
    types, offset = [], 8
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        types.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return types


def test_save_png_is_deterministic_and_carries_no_metadata(tmp_path: Path):
    image = draw_page(white_page(), make_page(), SCALE)
    image.info.update({"dpi": (144, 144), "comment": "made at 12:00", "Software": "x"})
    first = save_png(image, tmp_path / "a" / "one.png").read_bytes()
    second = save_png(image, tmp_path / "two.png").read_bytes()
    assert first == second
    assert set(png_chunk_types(first)) == {b"IHDR", b"IDAT", b"IEND"}, "no tEXt/tIME/pHYs chunks"
    with Image.open(tmp_path / "two.png") as reread:
        assert reread.tobytes() == image.tobytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

"""Borderless tables from word positions."""

from __future__ import annotations

from extract.borderless import (
    block_to_table,
    find_blocks,
    gutters,
    is_frame,
    words_to_borderless_tables,
)
from extract.models import BBox, Cell, Table, Word, words_to_lines


def line(y: float, *pieces: tuple[float, str]) -> list[Word]:
    """Words of one printed line: (x, text) pieces, each word 5 pt per character wide."""
    words = []
    for x, text in pieces:
        for token in text.split():
            words.append(Word(token, BBox(x, y, x + 5 * len(token), y + 8)))
            x += 5 * len(token) + 3
    return words


BUDGET_LIST = [
    line(
        100,
        (50, "1 Program Peningkatan Kesejahteraan"),
        (300, ":"),
        (320, "Rp"),
        (380, "921.285.000"),
    ),
    line(
        112, (60, "Kegiatan Peningkatan kapasitas"), (300, ":"), (320, "Rp"), (380, "523.397.500")
    ),
    line(124, (60, "Kegiatan Pengadaan Pakaian"), (300, ":"), (320, "Rp"), (380, "111.050.000")),
    line(136, (300, ":"), (320, "Rp"), (370, "1.555.732.500")),  # right-aligned with the others
]


def test_aligned_amounts_make_a_table_with_a_total_row() -> None:
    words = [w for ln in BUDGET_LIST for w in ln]
    (table,) = words_to_borderless_tables(words, 3, [], None)
    assert table.n_rows == 4
    assert table.row_texts(3)[-1] == "1.555.732.500"  # the total line is a row of its own
    assert table.row_texts(0)[0].startswith("1 Program")


def test_prose_is_no_table() -> None:
    prose = [
        line(100 + 12 * i, (50, "Dalam rangka mewujudkan manajemen pemerintahan yang efektif"))
        for i in range(5)
    ]
    assert words_to_borderless_tables([w for ln in prose for w in ln], 1, [], None) == []


def test_header_line_starts_a_block_and_wrapped_names_join_their_row() -> None:
    lines = [
        line(100, (60, "Program"), (300, "Anggaran"), (420, "Keterangan")),
        line(114, (40, "1"), (60, "Program Peningkatan"), (300, "177.792.500"), (420, "APBD")),
        line(124, (60, "Pengembangan Sistem")),
        line(138, (40, "2"), (60, "Program Kesejahteraan"), (300, "921.285.000"), (420, "APBD")),
    ]
    blocks = find_blocks(
        words_to_lines([w for ln in lines for w in ln]), lambda texts: "Program" in texts
    )
    (block,) = blocks
    table = block_to_table(block, 4)
    assert table is not None and table.n_rows == 3
    assert "Pengembangan Sistem" in table.row_texts(1)[1]


def test_words_inside_ruled_tables_are_left_alone() -> None:
    words = [w for ln in BUDGET_LIST for w in ln]
    assert words_to_borderless_tables(words, 3, [BBox(0, 90, 500, 150)], None) == []


def test_gutters_lie_between_columns() -> None:
    cuts = gutters(BUDGET_LIST)
    assert any(219 < c < 300 for c in cuts) and any(330 < c < 370 for c in cuts)


def test_a_one_row_grid_is_a_frame() -> None:
    cell = Cell(0, 0, BBox(0, 0, 100, 100), 1)
    assert is_frame(Table(cells=(cell,), n_rows=1, n_cols=1, pages=(1,), bbox=BBox(0, 0, 100, 100)))

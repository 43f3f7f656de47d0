"""Grid tables that paginate like a Word table: header repeated on each page, merged cells kept
as SPANs, and (optionally) a tall row broken by the page break, its text continuing on the next
page in a row with an empty NO cell. Every chunk logs the page each source row lands on."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, PageBreak, Paragraph, Table, TableStyle

from .model import BULLET, RowKey, continuation_flags, is_group, split_cell_lines

CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=9, leading=11, alignment=TA_LEFT)
CELL_CENTER = ParagraphStyle("cell_c", parent=CELL, alignment=TA_CENTER)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold", alignment=TA_CENTER)
GROUP = ParagraphStyle("group", parent=CELL, fontName="Helvetica-Bold")
CENTERED_FIELDS = {"no", "target", "realisasi", "capaian", "anggaran"}
MIN_BREAK_HEIGHT = 28  # points left on a page below which a row is not broken but moved


class LayoutError(RuntimeError):
    """A sample table does not fit the page the way the spec asks."""


@dataclass
class PageLog:
    """First page on which each source row (and each marked flowable) was drawn."""

    rows: dict[RowKey, int] = field(default_factory=dict)
    parts: dict[tuple[RowKey, int], int] = field(default_factory=dict)
    marks: list[dict[str, Any]] = field(default_factory=list)

    def row_drawn(self, key: RowKey, parts: tuple[int, ...], page: int) -> None:
        self.rows.setdefault(key, page)
        for part in parts:
            self.parts.setdefault((key, part), page)

    def page_of(self, key: RowKey, part: int) -> int:
        """A bullet pushed onto the next page with a broken row starts on that page."""
        return self.parts.get((key, part), self.rows[key])


@dataclass
class BodyRow:
    """A row as laid out: its cell texts, its source row (kept on the continuation part of a
    broken row) and the bullets of that row whose text starts in this part."""

    cells: list[str]
    key: RowKey | None
    group: bool = False
    parts: tuple[int, ...] = (0,)


def cell_paragraph(text: str, style: ParagraphStyle, markup: bool = False) -> Paragraph:
    body = text if markup else escape(text)
    # Helvetica's bullet comes out of pdfminer as (cid:127); the Symbol font's maps to U+2022.
    body = body.replace(BULLET, f'<font name="Symbol">{BULLET}</font>')
    return Paragraph(body.replace("\n", "<br/>"), style)


def spec_body_rows(table: dict[str, Any], table_index: int) -> list[BodyRow]:
    rows = []
    for index, row in enumerate(table["rows"]):
        key: RowKey = ("i", table_index, index)
        if is_group(row):
            rows.append(BodyRow([row["group"]], key, group=True))
        else:
            bullets = len(split_cell_lines(row[table["columns"].index("indikator")]))
            rows.append(BodyRow(list(row), key, parts=tuple(range(bullets))))
    return rows


class ChunkTable(Table):
    """One page's part of a table; never split further, logs its rows' page when drawn."""

    def __init__(
        self, data: Any, keys: list[tuple[RowKey, tuple[int, ...]] | None], log: PageLog, **kw: Any
    ) -> None:
        super().__init__(data, **kw)
        self._keys, self._log = keys, log

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        return []

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802,N803
        page = canvas.getPageNumber()
        for entry in self._keys:
            if entry is not None:
                self._log.row_drawn(entry[0], entry[1], page)
        super().drawOn(canvas, x, y, _sW)


class PagedTable(Flowable):
    """A spec indicator table that splits itself into ChunkTables at page breaks."""

    def __init__(
        self,
        table: dict[str, Any],
        body: list[BodyRow],
        log: PageLog,
        width: float,
        chunk_index: int = 0,
    ) -> None:
        super().__init__()
        self.spec, self.body, self.log = table, body, log
        self.total_width, self.chunk_index = width, chunk_index
        self.col_widths = [w * width for w in table["widths"]]
        self.forced = set(table.get("break_before", []))
        self._whole: ChunkTable | None = None

    def header_rows(self) -> list[list[Any]]:
        later = self.chunk_index >= self.spec.get("header_later_from_chunk", 10**6)
        header = self.spec["header_later"] if later else self.spec["header"]
        rows: list[list[Any]] = [[cell_paragraph(h, HEAD) for h in header]]
        if self.spec.get("super_header"):
            top = [cell_paragraph(h, HEAD) for h in header]
            years = len(header) - 3
            top[3:] = [cell_paragraph(self.spec["super_header"], HEAD)] + [""] * (years - 1)
            rows = [top, ["", "", ""] + rows[0][3:]]
        number_row = self.spec.get("number_row")
        if number_row and (self.chunk_index == 0 or self.spec.get("repeat_number_row")):
            rows.append([cell_paragraph(n, HEAD, markup=True) for n in number_row])
        return rows

    def chunk(self, rows: list[BodyRow]) -> ChunkTable:
        head = self.header_rows()
        columns = self.spec["columns"]
        data: list[list[Any]] = list(head)
        for row in rows:
            if row.group:
                data.append([cell_paragraph(row.cells[0], GROUP)] + [""] * (len(columns) - 1))
            else:
                data.append(
                    [
                        cell_paragraph(text, CELL_CENTER if name in CENTERED_FIELDS else CELL)
                        for name, text in zip(columns, row.cells, strict=True)
                    ]
                )
        style = self.chunk_style(rows, len(head))
        keys = [None if row.key is None else (row.key, row.parts) for row in rows]
        return ChunkTable(
            data, keys, self.log, colWidths=self.col_widths, style=style, repeatRows=0
        )

    def chunk_style(self, rows: list[BodyRow], n_head: int) -> TableStyle:
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, n_head - 1), colors.HexColor("#d9d9d9")),
            ("VALIGN", (0, 0), (-1, n_head - 1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if self.spec.get("super_header"):
            commands += [("SPAN", (c, 0), (c, 1)) for c in range(3)]
            commands.append(("SPAN", (3, 0), (-1, 0)))
        for offset, row in enumerate(rows):
            if row.group:
                commands.append(("SPAN", (0, n_head + offset), (-1, n_head + offset)))
        commands += self.merge_spans(rows, n_head)
        return TableStyle(commands)

    def merge_spans(self, rows: list[BodyRow], n_head: int) -> list[tuple[Any, ...]]:
        """SPAN commands for merged cells: a run of continuation rows joins the row above."""
        columns, merge = self.spec["columns"], self.spec["merge"]
        spans = []
        for name in merge:
            col = columns.index(name)
            start = None
            for offset, row in enumerate(rows + [BodyRow([], None, group=True)]):
                continues = not row.group and continuation_flags(row.cells, columns, merge)[name]
                if continues and start is not None:
                    continue
                if start is not None and offset - 1 > start:
                    spans.append(("SPAN", (col, n_head + start), (col, n_head + offset - 1)))
                start = None if row.group else offset
        return spans

    def height_of(self, rows: list[BodyRow], avail_width: float) -> float:
        return float(self.chunk(rows).wrap(avail_width, 10**6)[1])

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if self.forced_cut() is None:
            height = self.height_of(self.body, availWidth)
            if height <= availHeight:
                self._whole = self.chunk(self.body)
                self._whole.wrap(availWidth, availHeight)
                return availWidth, height
        self._whole = None
        return availWidth, availHeight + 1  # ask platypus to split us

    def forced_cut(self) -> int | None:
        for index, row in enumerate(self.body):
            if index > 0 and row.key is not None and row.key[2] in self.forced and row.parts:
                return index
        return None

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802,N803
        if self._whole is None:
            raise LayoutError("PagedTable drawn without fitting")
        self._whole.drawOn(canvas, x, y, _sW)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        fit = self.rows_that_fit(availWidth, availHeight)
        cut = self.forced_cut()
        if cut is not None and cut <= fit:
            fit = cut
        head, rest = self.body[:fit], self.body[fit:]
        if rest and self.spec.get("break_rows") and not rest[0].group and (cut != fit):
            broken = self.break_row(rest[0], head, availWidth, availHeight)
            if broken is not None:
                head, rest = head + [broken[0]], [broken[1]] + rest[1:]
        if not head:
            return []
        following = PagedTable(self.spec, rest, self.log, self.total_width, self.chunk_index + 1)
        if not rest:
            return [self.chunk(head)]
        # A forced break ends the page even when the next rows would fit below.
        return [self.chunk(head)] + ([PageBreak()] if cut == fit else []) + [following]

    def rows_that_fit(self, avail_width: float, avail_height: float) -> int:
        """Largest n such that the header and the first n rows fit, by bisection."""
        low, high = 0, len(self.body)
        while low < high:
            mid = (low + high + 1) // 2
            if self.height_of(self.body[:mid], avail_width) <= avail_height:
                low = mid
            else:
                high = mid - 1
        # A group row alone at the bottom of a page belongs with the rows under it.
        while low > 0 and self.body[low - 1].group:
            low -= 1
        return low

    def break_row(
        self, row: BodyRow, head: list[BodyRow], avail_width: float, avail_height: float
    ) -> tuple[BodyRow, BodyRow] | None:
        """Split a row's texts at a word so that its first part fills the page."""
        room = avail_height - self.height_of(head, avail_width) if head else avail_height
        if room < MIN_BREAK_HEIGHT:
            return None
        best = None
        for tenths in range(9, 1, -1):
            first, second = split_row_texts(row, self.spec["columns"], tenths / 10)
            if self.height_of(head + [first], avail_width) <= avail_height:
                best = (first, second)
                break
        return best


TEXT_FIELDS = {"sasaran", "indikator", "sasaran_program", "program", "kegiatan", "cara"}


def split_row_texts(row: BodyRow, columns: list[str], fraction: float) -> tuple[BodyRow, BodyRow]:
    """First `fraction` of each text cell's words stay; the rest go to a continuation row."""
    first, second = [], []
    lines_kept = None
    for name, text in zip(columns, row.cells, strict=True):
        if name in TEXT_FIELDS:
            head, tail = split_words(text, fraction)
            if name == "indikator":
                lines_kept = head.count("\n") + 1
            first.append(head)
            second.append(tail)
        else:
            first.append(text)
            second.append("")
    for i, name in enumerate(columns):
        if name not in TEXT_FIELDS and "\n" in first[i] and lines_kept is not None:
            lines = first[i].split("\n")
            first[i], second[i] = "\n".join(lines[:lines_kept]), "\n".join(lines[lines_kept:])
    kept = lines_kept or 1
    return (
        BodyRow(first, row.key, parts=row.parts[:kept]),
        BodyRow(second, row.key, parts=row.parts[kept:]),
    )


def split_words(text: str, fraction: float) -> tuple[str, str]:
    tokens = text.replace("\n", " \n ").split(" ")
    words = [t for t in tokens if t]
    keep = max(1, math.ceil(len(words) * fraction)) if words else 0
    head, tail = words[:keep], words[keep:]
    join = lambda ws: " ".join(ws).replace(" \n ", "\n").strip(" ")  # noqa: E731
    return join(head).rstrip("\n"), join(tail).lstrip("\n")

"""The rows of a table grid as the row mappers see them, and what every row shares:
the table context, cell lines joined into text, the caption's document facts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from extract.models import Cell, Table
from lexicon.loader import load_lexicon
from normalize.document import text_to_tahun, title_to_doc_type
from normalize.models import BudgetRow, DocumentInfo, IndicatorRow, TableIssue, Value

Repair = Callable[[str, str], str]


RARE_FRAGMENT_ZIPF = 1.5  # a word-list entry this rare is more likely half a word


_TITLE_SASARAN_RE = re.compile(
    r"Sasaran\s+(?P<level>Strat\w*|Program|Kegiatan)?\s*\d*\s*[:.\-]?\s*(?P<text>\S.+)$", re.I
)


@dataclass(frozen=True, slots=True)
class TableContext:
    source_file: str
    doc_sha256: str
    doc: DocumentInfo
    extraction_by_page: Mapping[int, str] = field(default_factory=dict)  # page -> text / ocr


@dataclass(frozen=True, slots=True)
class TableRows:
    indicators: tuple[IndicatorRow, ...] = ()
    budget: tuple[BudgetRow, ...] = ()
    issues: tuple[TableIssue, ...] = ()
    kind: str = "skip"  # indicator, budget, skip (a TABLE_UNPARSED issue says why it was skipped)


@dataclass(slots=True)
class GridRow:
    """One body row (or several joined over a page break) as lines per column; stage-internal."""

    first_row: int
    page: int
    lines: dict[int, list[str]]
    anchored: set[int]  # columns whose cell starts in this row (not a merged cell from above)
    spans: set[int]  # columns whose cell spans several columns
    cells: list[Cell]

    def text(self, col: int | None) -> str:
        return join_lines(self.lines.get(col, [])) if col is not None else ""

    def own_text(self, col: int | None) -> str:
        return self.text(col) if col is not None and col in self.anchored else ""

    def confidence(self) -> float | None:
        scores = [c.confidence for c in self.cells if c.confidence is not None]
        return round(sum(scores) / len(scores), 2) if scores else None


def join_lines(lines: list[str]) -> str:
    """A cell's lines as one text: HTML dropped, whitespace collapsed, line-end hyphens undone."""
    text = ""
    for line in (" ".join(re.sub(r"<[^>]*>", " ", ln).split()) for ln in lines):
        if not line:
            continue
        hyphenated = re.search(r"(\w+)-$", text)
        if hyphenated and line[0].islower():
            keep = _is_reduplication(hyphenated.group(1), line)
            text = (text if keep else text[:-1]) + line
        elif text and (
            line.startswith("%") or _broken_word(text.rsplit(" ", 1)[-1], line.split(" ", 1)[0])
        ):
            # A word or value wrapped without a hyphen in a narrow cell ("P" / "endidikan",
            # "Dokum" / "en", "77,5" / "%").
            text += line
        else:
            text = f"{text} {line}" if text else line
    return text


def _broken_word(head: str, tail: str) -> bool:
    """The line break split one word: head + tail is a word, and the tail alone is none or
    the head is a rare fragment ("dokum" is in the word list, with zipf frequency 0)."""
    if not (head.isalpha() and tail.isalpha() and tail.islower()):
        return False
    lexicon = load_lexicon()
    if not lexicon.is_word((head + tail).lower()):
        return False
    rare_head = (
        lexicon.general_zipf.get(head.lower(), 0.0) < RARE_FRAGMENT_ZIPF
        and head.lower() not in lexicon.domain_counts
    )
    return not lexicon.is_word(tail) or rare_head


def _is_reduplication(before: str, after: str) -> bool:
    """ "perundang-" + "undangan" keeps its hyphen; "penyelengga-" + "raan" is a broken word."""
    word, following = before.lower(), after.split()[0].lower()
    return any(following.startswith(word[i:]) for i in range(max(0, len(word) - 2)))


def table_to_grid_rows(table: Table, first: int) -> list[GridRow]:
    """Body rows from grid row ``first`` on, each column's lines taken from its covering cell."""
    rows = []
    for r in range(first, table.n_rows):
        lines: dict[int, list[str]] = {}
        anchored, spans, cells = set(), set(), []
        for c in range(table.n_cols):
            cell = table.cell_at(r, c)
            if cell is None or cell.col != c:
                continue  # a column-merged cell's text belongs to its first column only
            lines[c] = cell.lines
            cells.append(cell)
            if cell.row == r:
                anchored.add(c)
            if cell.col_span > 1:
                spans.add(c)
        rows.append(GridRow(r, table.page_of_row(r), lines, anchored, spans, cells))
    return rows


def row_texts(row: GridRow, n_cols: int) -> list[str]:
    return [row.own_text(c) for c in range(n_cols)]


def title_to_sasaran(title: str) -> tuple[str, str]:
    """(sasaran, level) from a caption line "Sasaran Strategis 2 Terwujudnya ...", else ("", "")."""
    for line in reversed(title.splitlines()):
        match = _TITLE_SASARAN_RE.search(line)
        if match:
            word = (match.group("level") or "").lower()
            level = "strategis" if word.startswith("strat") else word
            return " ".join(match.group("text").split()), level
    return "", ""


def printed_value_text(value: Value, repaired: str) -> str:
    """The cell as printed (after OCR repair), whitespace collapsed: "95 %" stays "95 %";
    the parsed number and unit are in the *_value / *_unit columns."""
    return " ".join(repaired.split())


def row_base(table: Table, table_index: int, ctx: TableContext, page: int) -> dict[str, object]:
    title = table.title.strip()
    is_caption = re.match(r"^\s*tab(?:el|le)\b", title, re.IGNORECASE) is not None
    doc_type = (None if is_caption else title_to_doc_type(title)) or ctx.doc.doc_type
    sasaran, level = title_to_sasaran(title)
    return {
        "source_file": ctx.source_file,
        "doc_sha256": ctx.doc_sha256,
        "table_index": table_index,
        "extraction": ctx.extraction_by_page.get(page, "text"),
        "doc_type": doc_type,
        "satker": ctx.doc.satker,
        "tahun": text_to_tahun(title) or ctx.doc.tahun,
        "pihak": ctx.doc.pihak_for_page(page),
        "table_title": " ".join(title.split()),
        "title_sasaran": sasaran,
        "title_level": level,
    }

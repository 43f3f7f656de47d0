"""Anchors for `make bench`: other tools' tables mapped to rows by kinerja's own header logic.

* img2table + tesseract on scans runs in its own venv (scripts/anchor_img2table.py; img2table
  needs opencv-contrib-python, which cannot share a venv with opencv-python-headless).
* pdfplumber's ``page.find_tables()`` on born-digital PDFs runs here.

Both give tables as rows of cell texts (None where a merged cell covers a slot). Each becomes an
``extract.models.Table`` on the table's real position, with an even synthetic grid inside it and
one Word per cell line, and goes through ``normalize.rows.table_to_rows`` exactly as the pipeline's
tables do (same continuation merge, same OCR repair on OCR pages). The document facts (doc_type,
satker, tahun) are taken from kinerja's own run on the same file, so that the comparison measures
the tables and nothing else. The rows are written as OUT/indicators.csv, budget.csv and a
documents.csv with the anchor's seconds, which pipeline.evaluate scores like any run.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from extract.models import BBox, Cell, Table, Word
from extract.pdf import page_to_text_layer
from extract.tables import caption_above, merge_continued_tables
from normalize.models import BudgetRow, DocumentInfo, IndicatorRow
from normalize.rows import TableContext, table_to_rows
from pipeline import export
from pipeline.document import file_sha256
from pipeline.evaluate import read_csv_rows
from pipeline.normalize_stage import keep_text, table_repair

REPO_ROOT = Path(__file__).resolve().parents[1]
IMG2TABLE_SCRIPT = REPO_ROOT / "scripts" / "anchor_img2table.py"
ANCHORS_PYTHON = REPO_ROOT / ".venv-anchors" / "bin" / "python"
IMG2TABLE_TIMEOUT = 3600.0  # seconds for one img2table subprocess over a whole file set


@dataclass(frozen=True, slots=True)
class AnchorTable:
    """One table as another tool printed it: rows of cell texts, None under a merged cell."""

    page: int
    bbox: BBox
    rows: tuple[tuple[str | None, ...], ...]
    title: str = ""

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError(f"page numbers are 1-based, got {self.page}")


@dataclass(frozen=True, slots=True)
class AnchorPage:
    page: int
    width: float
    height: float
    tables: tuple[AnchorTable, ...] = ()


@dataclass(frozen=True, slots=True)
class AnchorDocument:
    """An anchor's reading of one input file."""

    path: Path
    source_file: str
    extraction: str  # "ocr" or "text": which repair the pipeline would apply
    pages: tuple[AnchorPage, ...]
    seconds: float
    page_count: int
    error: str = ""  # the anchor failed on this file: it contributes no rows


@dataclass(frozen=True, slots=True)
class Slot:
    """One cell of an anchor table resolved to its grid position and spans."""

    row: int
    col: int
    row_span: int
    col_span: int
    text: str


# --- anchor rows -> Table ---------------------------------------------------------------------


def pad_rows(rows: Sequence[Sequence[str | None]]) -> list[list[str | None]]:
    """Rows of equal length; a short row is padded with empty cells (not merges)."""
    width = max((len(r) for r in rows), default=0)
    return [[*r, *([""] * (width - len(r)))] for r in rows]


def rows_to_slots(rows: Sequence[Sequence[str | None]]) -> list[Slot]:
    """Cells with spans: a None slot belongs to the cell to its left or above it.

    Row-major order claims vertical spans of the row above before a row's own horizontal spans,
    so a None under a merged cell is never taken for a column span of its left neighbour.
    """
    grid = pad_rows(rows)
    owned = [[False] * len(r) for r in grid]
    slots = []
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            if text is None or owned[r][c]:
                continue
            col_span = _span_right(grid, owned, r, c)
            row_span = _span_down(grid, owned, r, c, col_span)
            for rr in range(r, r + row_span):
                for cc in range(c, c + col_span):
                    owned[rr][cc] = True
            slots.append(Slot(r, c, row_span, col_span, text))
    return slots


def _span_right(grid: list[list[str | None]], owned: list[list[bool]], r: int, c: int) -> int:
    span = 1
    while c + span < len(grid[r]) and grid[r][c + span] is None and not owned[r][c + span]:
        span += 1
    return span


def _span_down(
    grid: list[list[str | None]], owned: list[list[bool]], r: int, c: int, width: int
) -> int:
    span = 1
    while r + span < len(grid) and all(
        grid[r + span][cc] is None and not owned[r + span][cc] for cc in range(c, c + width)
    ):
        span += 1
    return span


def text_to_words(text: str, bbox: BBox) -> tuple[Word, ...]:
    """One Word per text line, stacked inside the cell, so that Cell.lines gives the lines back."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ()
    step = bbox.height / len(lines)
    return tuple(
        Word(line, BBox(bbox.x0, bbox.top + i * step, bbox.x1, bbox.top + (i + 0.9) * step))
        for i, line in enumerate(lines)
    )


def slot_bbox(slot: Slot, table_bbox: BBox, n_rows: int, n_cols: int) -> BBox:
    """The slot's share of an even grid over the table's box (the anchors give no cell borders)."""
    width, height = table_bbox.width / n_cols, table_bbox.height / n_rows
    return BBox(
        table_bbox.x0 + slot.col * width,
        table_bbox.top + slot.row * height,
        table_bbox.x0 + (slot.col + slot.col_span) * width,
        table_bbox.top + (slot.row + slot.row_span) * height,
    )


def anchor_table_to_table(anchor: AnchorTable) -> Table | None:
    """The extract stage's Table for an anchor table; None when it has no cells."""
    slots = rows_to_slots(anchor.rows)
    if not slots:
        return None
    n_rows = max(s.row + s.row_span for s in slots)
    n_cols = max(s.col + s.col_span for s in slots)
    cells = []
    for slot in slots:
        bbox = slot_bbox(slot, anchor.bbox, n_rows, n_cols)
        cells.append(
            Cell(
                row=slot.row,
                col=slot.col,
                bbox=bbox,
                page=anchor.page,
                words=text_to_words(slot.text, bbox),
                row_span=slot.row_span,
                col_span=slot.col_span,
            )
        )
    return Table(
        cells=tuple(cells),
        n_rows=n_rows,
        n_cols=n_cols,
        pages=(anchor.page,),
        bbox=anchor.bbox,
        title=anchor.title,
    )


# --- AnchorDocument -> rows -------------------------------------------------------------------


def document_to_tables(document: AnchorDocument) -> list[Table]:
    """The document's logical tables, continued over page breaks as the pipeline joins them."""
    tables = [t for p in document.pages for a in p.tables if (t := anchor_table_to_table(a))]
    heights = {p.page: p.height for p in document.pages}
    return merge_continued_tables(tables, heights)


def document_to_rows(
    document: AnchorDocument, info: DocumentInfo, repair: bool = True
) -> tuple[list[IndicatorRow], list[BudgetRow]]:
    """Rows of every logical table, numbered as normalize_stage numbers the pipeline's."""
    extraction_by_page = {p: document.extraction for p in range(1, document.page_count + 1)}
    sha = file_sha256(document.path)
    context = TableContext(document.source_file, sha, info, extraction_by_page)
    indicators: list[IndicatorRow] = []
    budget: list[BudgetRow] = []
    table_index = 0
    for table in document_to_tables(document):
        fix = table_repair(table, extraction_by_page) if repair else keep_text
        rows = table_to_rows(table, table_index + 1, context, fix)
        if rows.kind == "skip" and not rows.issues:
            continue
        table_index += 1
        indicators.extend(rows.indicators)
        budget.extend(rows.budget)
    return indicators, budget


def read_document_infos(run_dir: Path) -> dict[str, DocumentInfo]:
    """source_file -> the document facts of a kinerja run (its documents.csv)."""
    infos = {}
    for row in read_csv_rows(run_dir / "documents.csv"):
        tahun = row.get("tahun", "")
        infos[row["source_file"]] = DocumentInfo(
            doc_type=row.get("doc_type") or "LAINNYA",
            satker=row.get("satker", ""),
            tahun=int(float(tahun)) if tahun else None,
        )
    return infos


def document_record(document: AnchorDocument, indicators: int, budget: int) -> dict[str, object]:
    return {
        "source_file": document.source_file,
        "doc_sha256": file_sha256(document.path),
        "status": "failed" if document.error else "ok",
        "error": document.error,
        "pages": document.page_count,
        "indicators": indicators,
        "budget_rows": budget,
        "seconds": document.seconds,
    }


def write_anchor_run(
    documents: Sequence[AnchorDocument],
    infos: dict[str, DocumentInfo],
    out_dir: Path,
    repair: bool = True,
) -> None:
    """indicators.csv, budget.csv and documents.csv of an anchor, in the pipeline's formats."""
    indicator_records, budget_records, document_records = [], [], []
    for document in documents:
        indicators, budget = document_to_rows(
            document, infos.get(document.source_file, DocumentInfo()), repair
        )
        indicator_records += [export.indicator_row_to_record(r) for r in indicators]
        budget_records += [export.budget_row_to_record(r) for r in budget]
        document_records.append(document_record(document, len(indicators), len(budget)))
    export.write_csv(
        out_dir / "indicators.csv", export.sort_records(indicator_records), export.INDICATOR_COLUMNS
    )
    export.write_csv(
        out_dir / "budget.csv", export.sort_records(budget_records), export.BUDGET_COLUMNS
    )
    export.write_csv(out_dir / "documents.csv", document_records, export.DOCUMENT_COLUMNS)


# --- img2table (subprocess in .venv-anchors) --------------------------------------------------


def json_to_anchor_page(page: dict) -> AnchorPage:  # type: ignore[type-arg]
    tables = tuple(
        AnchorTable(
            page=int(page["page"]),
            bbox=BBox(*table["bbox"]),
            title=table.get("title", ""),
            rows=tuple(tuple(row) for row in table["rows"]),
        )
        for table in page["tables"]
    )
    return AnchorPage(int(page["page"]), float(page["width"]), float(page["height"]), tables)


def img2table_json_to_documents(data: list[dict], sources: dict[str, str]) -> list[AnchorDocument]:  # type: ignore[type-arg]
    """The script's output; ``sources`` maps each path given to its source_file name."""
    return [
        AnchorDocument(
            path=Path(item["file"]),
            source_file=sources[item["file"]],
            extraction="ocr",
            pages=tuple(json_to_anchor_page(p) for p in item["pages"]),
            seconds=float(item["seconds"]),
            page_count=len(item["pages"]),
            error=item.get("error", ""),
        )
        for item in data
    ]


def run_img2table(
    files: Sequence[tuple[Path, str]], python: Path = ANCHORS_PYTHON, keep_json: Path | None = None
) -> list[AnchorDocument]:
    """img2table + tesseract on (path, source_file) pairs, in the anchors venv.

    ``keep_json``: where to keep the script's raw output for audit (default: a temp file).
    """
    if not python.is_file():
        raise FileNotFoundError(f"{python} not found: run `make anchors` to build .venv-anchors")
    sources = {str(path): name for path, name in files}
    with tempfile.TemporaryDirectory() as folder:
        output = keep_json or Path(folder) / "img2table.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        command = [str(python), str(IMG2TABLE_SCRIPT), *sources, "--json", str(output)]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=IMG2TABLE_TIMEOUT,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        if done.returncode != 0 or not output.is_file():
            tail = done.stderr.strip().splitlines()[-3:]
            raise subprocess.SubprocessError(
                f"img2table exited {done.returncode}: {' '.join(tail)}"
            )
        data = json.loads(output.read_text(encoding="utf-8"))
    return img2table_json_to_documents(data, sources)


def tables_found(documents: Sequence[AnchorDocument]) -> dict[str, int]:
    """source_file -> how many tables the anchor found in it (before any row mapping)."""
    return {d.source_file: sum(len(p.tables) for p in d.pages) for d in documents}


# --- pdfplumber extract_tables (this venv) ----------------------------------------------------


def plumber_table_to_anchor(table, page_number: int, page_words: Sequence[Word]) -> AnchorTable:  # type: ignore[no-untyped-def]
    """pdfplumber already gives None under merged cells; its caption is found as ours is."""
    x0, top, x1, bottom = (max(0.0, float(v)) for v in table.bbox)
    bbox = BBox(x0, top, max(x0, x1), max(top, bottom))
    rows = tuple(tuple(cell for cell in row) for row in table.extract())
    return AnchorTable(
        page=page_number, bbox=bbox, rows=rows, title=caption_above(bbox, page_words)
    )


def plumber_page_to_anchor(page, page_number: int) -> AnchorPage:  # type: ignore[no-untyped-def]
    words = page_to_text_layer(page).words
    tables = tuple(plumber_table_to_anchor(t, page_number, words) for t in page.find_tables())
    return AnchorPage(page_number, float(page.width), float(page.height), tables)


def run_pdfplumber(path: Path, source_file: str) -> AnchorDocument:
    """pdfplumber's default table finder (lines strategy) on every page."""
    started = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        pages = []
        for number, page in enumerate(pdf.pages, start=1):
            pages.append(plumber_page_to_anchor(page, number))
            page.close()
        count = len(pdf.pages)
    return AnchorDocument(
        path, source_file, "text", tuple(pages), round(time.perf_counter() - started, 3), count
    )

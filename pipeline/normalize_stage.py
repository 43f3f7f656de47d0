"""The normalize stage for one document: document facts, logical tables, rows, checks."""

from __future__ import annotations

import functools
from collections.abc import Callable

from extract.models import ExtractionKind, PageExtraction, Table
from extract.tables import merge_continued_tables
from normalize.document import pages_to_document_info
from normalize.models import BudgetRow, DocumentInfo, IndicatorRow, TableIssue
from normalize.rows import TableContext, table_to_rows


@functools.cache
def ocr_repair() -> Callable[[str, str], str]:
    """The lexicon repairer, built once per worker process."""
    from normalize.repair import Repairer

    repairer = Repairer.default()
    return lambda text, column: repairer.repair_text(text, column=column).text


def keep_text(text: str, column: str) -> str:
    return text


def page_texts(extractions: list[PageExtraction], repair_ocr: bool = True) -> list[tuple[int, str]]:
    repair = ocr_repair() if repair_ocr else keep_text
    return [
        (e.ref.page, repair(e.text, "text") if e.extraction is ExtractionKind.OCR else e.text)
        for e in extractions
    ]


def logical_tables(extractions: list[PageExtraction]) -> list[Table]:
    heights = {e.ref.page: e.height for e in extractions}
    return merge_continued_tables([t for e in extractions for t in e.tables], heights)


def table_repair(
    table: Table, extraction_by_page: dict[int, str], repair_ocr: bool = True
) -> Callable[[str, str], str]:
    """OCR text is repaired against the lexicon; the text layer is kept as printed."""
    on_ocr_page = any(extraction_by_page.get(p) == "ocr" for p in table.pages)
    return ocr_repair() if repair_ocr and on_ocr_page else keep_text


def normalize_document(
    job,
    extractions: list[PageExtraction],  # type: ignore[no-untyped-def]
) -> tuple[DocumentInfo, list[Table], list[IndicatorRow], list[BudgetRow], list[TableIssue]]:
    info = pages_to_document_info(page_texts(extractions, job.repair_ocr))
    tables = logical_tables(extractions)
    extraction_by_page = {e.ref.page: e.extraction.value for e in extractions}
    context = TableContext(
        source_file=job.source_file,
        doc_sha256=job.doc_sha256,
        doc=info,
        extraction_by_page=extraction_by_page,
    )
    indicators: list[IndicatorRow] = []
    budget: list[BudgetRow] = []
    issues: list[TableIssue] = []
    table_index = 0
    kept: list[Table] = []
    for table in tables:
        rows = table_to_rows(
            table, table_index + 1, context, table_repair(table, extraction_by_page, job.repair_ocr)
        )
        if rows.kind == "skip" and not rows.issues:
            continue  # pegawai lists, layout frames: not a table of this dataset
        table_index += 1
        kept.append(table)
        indicators.extend(rows.indicators)
        budget.extend(rows.budget)
        issues.extend(rows.issues)
    return info, kept, indicators, budget, issues

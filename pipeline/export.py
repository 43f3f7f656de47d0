"""The files of ../shared/DATASETS.md: column orders, value formatting, atomic writes."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from normalize.models import BudgetRow, IndicatorRow

ROW_KEY_COLUMNS = (  # where a row comes from: the first columns of both datasets
    "source_file",
    "doc_sha256",
    "page",
    "table_index",
    "row_index",
    "extraction",
)
INDICATOR_COLUMNS = (
    *ROW_KEY_COLUMNS,
    "ocr_confidence",
    "doc_type",
    "satker",
    "tahun",
    "pihak",
    "table_title",
    "sasaran_level",
    "kelompok",
    "no",
    "sasaran",
    "indikator",
    "target",
    "target_value",
    "target_unit",
    "realisasi",
    "realisasi_value",
    "realisasi_unit",
    "capaian",
    "capaian_value",
    "capaian_computed",
    "needs_review",
    "review_reasons",
    "sasaran_raw",
    "indikator_raw",
    "target_raw",
    "realisasi_raw",
    "capaian_raw",
    # Added columns (DATASETS.md allows additions at the end): unmapped columns as printed.
    "extra",
)
BUDGET_COLUMNS = (
    *ROW_KEY_COLUMNS,
    "doc_type",
    "satker",
    "tahun",
    "level",
    "kode",
    "uraian",
    "pagu",
    "pagu_value",
    "realisasi",
    "realisasi_value",
    "persen",
    "persen_value",
    "sumber_dana",
    "needs_review",
    "review_reasons",
)
DOCUMENT_COLUMNS = (
    "source_file",
    "doc_sha256",
    "status",
    "error",
    "pages",
    "pages_text",
    "pages_ocr",
    "pages_review",
    "doc_type",
    "satker",
    "tahun",
    "indicators",
    "budget_rows",
    "seconds",
    # Added: a file whose bytes equal an earlier one's is listed, not processed twice.
    "duplicate_of",
)
PAGE_COLUMNS = (
    "source_file",
    "doc_sha256",
    "page",
    "extraction",
    "rotation",
    "skew",
    "ocr_confidence",
    "tables",
    "indicator_rows",
    "budget_rows",
    "status",
    "review_reasons",
    # Added: how long the page took, and the resolution a scan was read at.
    "seconds",
    "dpi",
)
REVIEW_COLUMNS = ("source_file", "doc_sha256", "page", "reason", "detail", "image")
ROW_ORDER = ("source_file", "page", "table_index", "row_index")


def format_cell(value: Any) -> str:
    """One CSV cell: empty for None, 1/0 for booleans, numbers without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, tuple | list):
        return ";".join(format_cell(v) for v in value)
    return str(value)


def indicator_row_to_record(row: IndicatorRow) -> dict[str, Any]:
    record = asdict(row)
    record["extra"] = " | ".join(f"{header}: {text}" for header, text in row.extra if text)
    return record


def budget_row_to_record(row: BudgetRow) -> dict[str, Any]:
    return asdict(row)


def records_to_csv(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for record in records:
        writer.writerow([format_cell(record.get(column)) for column in columns])
    return buffer.getvalue()


def sort_records(
    records: list[dict[str, Any]], keys: Sequence[str] = ROW_ORDER
) -> list[dict[str, Any]]:
    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            (record.get(k) is None, record.get(k) or 0) if k != "source_file" else record.get(k, "")
            for k in keys
        )

    return sorted(records, key=key)


def write_atomic(path: Path, text: str) -> None:
    """Write, fsync, rename: a reader never sees half a file, a crash never leaves one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes files private; outputs are for analysts
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(path: Path, records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    write_atomic(path, records_to_csv(records, columns))

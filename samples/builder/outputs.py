"""Truth CSVs, manifest.csv and README.md: the files that describe the sample PDFs."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .model import BUDGET_COLUMNS, INDICATOR_COLUMNS, TruthRow
from .tables import PageLog

MANIFEST_COLUMNS = [
    "file",
    "kind",
    "dpi",
    "skew_degrees",
    "rotation",
    "degradations",
    "exercises",
    "pages",
]


@dataclass(frozen=True, slots=True)
class ManifestRow:
    file: str
    kind: str
    dpi: str
    skew_degrees: str
    rotation: str
    degradations: str
    exercises: str
    pages: int

    def as_list(self) -> list[str]:
        return [
            self.file,
            self.kind,
            self.dpi,
            self.skew_degrees,
            self.rotation,
            self.degradations,
            self.exercises,
            str(self.pages),
        ]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def truth_records(
    rows: list[TruthRow], log: PageLog, source_file: str, columns: list[str]
) -> list[list[str]]:
    """Rows in (page, reading order) with their page filled in from the rendering."""
    placed = []
    for order, row in enumerate(rows):
        page = log.page_of(row.key, row.part)
        record = row.fields | {"source_file": source_file, "page": str(page)}
        placed.append((page, order, [record.get(c, "") for c in columns]))
    return [record for _, _, record in sorted(placed)]


def write_truth(
    truth_dir: Path,
    stem: str,
    source_file: str,
    log: PageLog,
    indicators: list[TruthRow],
    budget: list[TruthRow],
) -> list[Path]:
    """<stem>.indicators.csv and <stem>.budget.csv, each only when it has rows."""
    written = []
    for suffix, rows, columns in (
        ("indicators", indicators, INDICATOR_COLUMNS),
        ("budget", budget, BUDGET_COLUMNS),
    ):
        if rows:
            path = truth_dir / f"{stem}.{suffix}.csv"
            path.write_text(
                csv_text(columns, truth_records(rows, log, source_file, columns)), encoding="utf-8"
            )
            written.append(path)
    return written


def write_manifest(path: Path, rows: list[ManifestRow]) -> None:
    ordered = sorted(rows, key=lambda r: r.file)
    path.write_text(csv_text(MANIFEST_COLUMNS, [r.as_list() for r in ordered]), encoding="utf-8")


def readme_text(head: str, rows: list[ManifestRow]) -> str:
    """README: the hand-written head, then one table line per sample, from the manifest."""
    lines = [
        head.rstrip(),
        "",
        "## Files",
        "",
        "| file | kind | what it exercises |",
        "|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: r.file):
        detail = row.exercises
        if row.dpi:
            detail += f" ({row.dpi} dpi, {row.pages} pages)"
        else:
            detail += f" ({row.pages} pages)"
        lines.append(f"| `{row.file}` | {row.kind} | {detail.replace('|', '/')} |")
    return "\n".join(lines) + "\n"

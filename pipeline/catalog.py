"""OUT/catalog.sqlite: per input file its hash, status, timings and part file.

The catalog is updated only after a document's part file is safely on disk, so a run killed at
any moment resumes without losing or duplicating a document.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source_file TEXT PRIMARY KEY,
    doc_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    part TEXT,
    seconds REAL,
    error TEXT,
    updated REAL
);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents (doc_sha256);
"""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    source_file: str
    doc_sha256: str
    status: str
    part: str | None
    seconds: float | None
    error: str | None


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.executescript(SCHEMA)

    def done_part_for_hash(self, doc_sha256: str, out_dir: Path) -> str | None:
        """The part file of a finished document with these bytes, if it is still on disk."""
        for (part,) in self.connection.execute(
            "SELECT part FROM documents WHERE doc_sha256 = ? AND status = 'done' AND part IS NOT NULL", (doc_sha256,)
        ):
            if (out_dir / part).exists():
                return str(part)
        return None

    def mark(self, source_file: str, doc_sha256: str, status: str, part: str | None = None,
             seconds: float | None = None, error: str | None = None) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT INTO documents (source_file, doc_sha256, status, part, seconds, error, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_file) DO UPDATE SET "
                "doc_sha256 = excluded.doc_sha256, status = excluded.status, part = excluded.part, "
                "seconds = excluded.seconds, error = excluded.error, updated = excluded.updated",
                (source_file, doc_sha256, status, part, seconds, error, time.time()),
            )

    def entries(self) -> list[CatalogEntry]:
        rows = self.connection.execute(
            "SELECT source_file, doc_sha256, status, part, seconds, error FROM documents ORDER BY source_file"
        )
        return [CatalogEntry(*row) for row in rows]

    def forget_all(self) -> None:
        with self.connection:
            self.connection.execute("DELETE FROM documents")

    def close(self) -> None:
        self.connection.close()

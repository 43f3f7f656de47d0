"""OUT/catalog.sqlite: per input file its hash, status, timings, error and part file.

Only the batch driver writes the catalog (workers return their results to it), and only after a
document's part file is safely on disk: a run killed at any moment resumes without losing or
duplicating a document. A document that failed without a part (its worker died, --strict) is
recorded as failed with no part, so the next run tries it again.

It also remembers each file's hash by (absolute path, size, mtime): a resumed run over a large
archive then reads only new or changed files instead of hashing every byte again.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
CREATE TABLE IF NOT EXISTS hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    doc_sha256 TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What says a file is unchanged since it was hashed (rsync's quick check)."""

    path: str  # absolute
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    source_file: str
    doc_sha256: str
    status: str  # the document's status (ok, partial, failed, skipped) or 'done' (older catalogs)
    part: str | None  # set once the document's results are on disk
    seconds: float | None
    error: str | None


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, timeout=30)
        # WAL keeps the catalog consistent through a SIGKILL; it needs a local file system
        # (docs/scale.md: the catalog stays on the driver's disk, parts go to shared storage).
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.executescript(SCHEMA)

    def done_part_for_hash(self, doc_sha256: str, out_dir: Path) -> str | None:
        """The part file of a finished document with these bytes, if it is still on disk."""
        rows = self.connection.execute(
            "SELECT part FROM documents WHERE doc_sha256 = ? AND part IS NOT NULL "
            "ORDER BY source_file",
            (doc_sha256,),
        )
        for (part,) in rows:
            if (out_dir / part).is_file():
                return str(part)
        return None

    def known_hash(self, stamp: FileStamp) -> str | None:
        row = self.connection.execute(
            "SELECT doc_sha256 FROM hashes WHERE path = ? AND size = ? AND mtime_ns = ?",
            (stamp.path, stamp.size, stamp.mtime_ns),
        ).fetchone()
        return str(row[0]) if row else None

    def remember_hashes(self, hashed: list[tuple[FileStamp, str]]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO hashes (path, size, mtime_ns, doc_sha256) "
                "VALUES (?, ?, ?, ?)",
                [(s.path, s.size, s.mtime_ns, digest) for s, digest in hashed],
            )

    def mark(
        self,
        source_file: str,
        doc_sha256: str,
        status: str,
        part: str | None = None,
        seconds: float | None = None,
        error: str | None = None,
    ) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT INTO documents "
                "(source_file, doc_sha256, status, part, seconds, error, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_file) DO UPDATE SET "
                "doc_sha256 = excluded.doc_sha256, status = excluded.status, part = excluded.part, "
                "seconds = excluded.seconds, error = excluded.error, updated = excluded.updated",
                (source_file, doc_sha256, status, part, seconds, error, time.time()),
            )

    def mark_document(self, source_file: str, part: str, document: dict[str, Any]) -> None:
        """A document whose part (its results) is on disk, with the status and timing in it."""
        error = document.get("error") or None
        status, seconds = str(document["status"]), document.get("seconds")
        self.mark(source_file, str(document["doc_sha256"]), status, part, seconds, error)

    def entries(self) -> list[CatalogEntry]:
        rows = self.connection.execute(
            "SELECT source_file, doc_sha256, status, part, seconds, error FROM documents "
            "ORDER BY source_file"
        )
        return [CatalogEntry(*row) for row in rows]

    def forget_all(self) -> None:
        with self.connection:
            self.connection.execute("DELETE FROM documents")
            self.connection.execute("DELETE FROM hashes")

    def close(self) -> None:
        self.connection.close()

"""The order in which a local pool is handed its documents: longest first.

A batch ends when its last document does. With the long documents started first, the short
ones fill in at the end and no worker idles while another reads a long scan (the classic
longest-processing-time rule). Outputs are assembled in source_file order, whatever the order
here. The length of a document is its page count: every scanned page is read at 200 dpi at
most, so a page costs about the same whatever its file size (file size alone put a 2-page
300 dpi scan ahead of a 5-page 200 dpi one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pypdfium2 as pdfium

Item = TypeVar("Item")


def pdf_page_count(path: Path) -> int:
    """The number of pages of a PDF; 1 for an image or a file pdfium cannot open (those
    fail fast in the worker)."""
    if path.suffix.lower() != ".pdf":
        return 1
    try:
        document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError, ValueError):
        return 1
    try:
        return len(document)
    finally:
        document.close()


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def longest_first(items: Sequence[Item], path_of: Callable[[Item], Path]) -> list[Item]:
    """Most pages first; among equals the bigger file, then the path (a stable order)."""

    def key(item: Item) -> tuple[int, int, str]:
        path = path_of(item)
        return (-pdf_page_count(path), -file_size(path), str(path))

    return sorted(items, key=key)

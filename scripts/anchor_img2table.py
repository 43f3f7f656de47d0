"""img2table + tesseract over PDFs: the scanned-table anchor of `make bench`, as a JSON file.

Example: .venv-anchors/bin/python scripts/anchor_img2table.py samples/scan/a.pdf --json a.json

Runs in its own venv (.venv-anchors): img2table pulls opencv-contrib-python, which cannot share a
venv with the project's opencv-python-headless. So this file imports only img2table and the
standard library; pipeline/anchors.py runs it as a subprocess and maps its tables to rows.

Output: one JSON array, one object per file: {"file": path as given, "seconds": wall time,
"error": "" or the exception img2table raised on the file,
"pages": [{"page": 1-based, "width": points, "height": points,
           "tables": [{"bbox": [x0, top, x1, bottom] in points, "title": str,
                       "rows": [[cell text, "" if empty, null under a merged cell]]}]}]}
"""

from __future__ import annotations

import argparse
import json
import sys
import time

# img2table renders every PDF page at this resolution (img2table.document.pdf, scale=200/72).
IMG2TABLE_DPI = 200
POINTS_PER_PIXEL = 72 / IMG2TABLE_DPI


def cell_key(cell) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """img2table repeats one TableCell over every slot of a merged cell; its bbox identifies it."""
    return (cell.bbox.x1, cell.bbox.y1, cell.bbox.x2, cell.bbox.y2)


def table_to_rows(table) -> list[list[str | None]]:  # type: ignore[no-untyped-def]
    """Rows of cell texts; a slot repeating the cell on its left or above is a merge: None."""
    rows: list[list[str | None]] = []
    previous: list = []
    for cells in table.content.values():
        row: list[str | None] = []
        for col, cell in enumerate(cells):
            key = cell_key(cell)
            left = col > 0 and cell_key(cells[col - 1]) == key
            above = col < len(previous) and cell_key(previous[col]) == key
            # Keep the cell's line breaks: the row mapping splits bulleted indicators by line.
            row.append(None if left or above else clean_cell_text(cell.value))
        rows.append(row)
        previous = list(cells)
    return rows


def clean_cell_text(value: str | None) -> str:
    """img2table 2.0 prints "None" for each OCR word its noise filter emptied: drop those."""
    lines = (" ".join(t for t in line.split() if t != "None") for line in (value or "").split("\n"))
    return "\n".join(line for line in lines if line)


def bbox_to_points(bbox) -> list[float]:  # type: ignore[no-untyped-def]
    return [round(v * POINTS_PER_PIXEL, 2) for v in (bbox.x1, bbox.y1, bbox.x2, bbox.y2)]


def pdf_to_pages(path: str, lang: str) -> list[dict]:  # type: ignore[type-arg]
    # Imported here so the pure helpers above can be tested from the project's venv.
    from img2table.document import PDF
    from img2table.ocr import TesseractOCR

    # pdf_text_extraction=False: a scan's stamp or OCR overlay must not stop tesseract running.
    document = PDF(path, pdf_text_extraction=False)
    ocr = TesseractOCR(n_threads=1, lang=lang)
    found = document.extract_tables(ocr=ocr, implicit_rows=False, borderless_tables=False)
    pages = []
    for index, tables in sorted(found.items()):
        height, width = document.images[index].shape[:2]
        pages.append(
            {
                "page": index + 1,
                "width": round(width * POINTS_PER_PIXEL, 2),
                "height": round(height * POINTS_PER_PIXEL, 2),
                "tables": [
                    {
                        "bbox": bbox_to_points(t.bbox),
                        "title": t.title or "",
                        "rows": table_to_rows(t),
                    }
                    for t in tables
                ],
            }
        )
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="+")
    parser.add_argument(
        "--json", required=True, help="File to write (stdout carries tesseract's chatter)."
    )
    parser.add_argument("--lang", default="ind+eng")
    args = parser.parse_args(argv)
    output = []
    for path in args.pdfs:
        started = time.perf_counter()
        try:
            pages, error = pdf_to_pages(path, args.lang), ""
        except Exception as exc:  # one unreadable file must not lose the others' tables
            pages, error = [], f"{type(exc).__name__}: {exc}"
        seconds = round(time.perf_counter() - started, 3)
        output.append({"file": path, "seconds": seconds, "pages": pages, "error": error})
    with open(args.json, "w", encoding="utf-8") as stream:
        json.dump(output, stream, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

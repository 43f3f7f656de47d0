"""`kinerja inspect`: a page drawn with what extraction saw (pdfplumber's debug_tablefinder)."""

from __future__ import annotations

from pathlib import Path

from extract import raster as rs
from extract.debug import draw_page, save_png
from extract.page import ExtractSettings, extract_page
from extract.pdf import open_pdf
from normalize.headers import is_header_row
from pipeline.guard import GuardedEngine

INSPECT_DPI = 150


def inspect_page(path: Path, number: int, target: Path, settings: ExtractSettings) -> str:
    """Write the annotated page to ``target``; return a text summary of its tables."""
    with open_pdf(path) as source:
        if not 1 <= number <= source.page_count:
            raise ValueError(f"{path.name} has {source.page_count} pages, not {number}")
        work = extract_page(
            source, number, "inspect", settings, GuardedEngine(None, settings.lang), is_header_row
        )
        raster = work.raster or rs.render_page(source.pdfium_page(number), INSPECT_DPI)
        if work.raster is None:
            raster = rs.deskew(
                rs.rotate_right_angle(raster, work.extraction.rotation), work.extraction.skew
            )
    rulings = [
        (s.start, s.position, s.end, s.position)
        if s.horizontal
        else (s.position, s.start, s.position, s.end)
        for s in work.rulings
    ]
    picture = draw_page(rs.to_pil(raster), work.extraction, raster.scale, rulings=rulings)
    save_png(picture, target)
    return page_summary(work.extraction, target)


def page_summary(extraction, target: Path) -> str:  # type: ignore[no-untyped-def]
    lines = [
        f"page {extraction.ref.page}: {extraction.extraction.value}, "
        f"rotation {extraction.rotation}, skew {extraction.skew}, "
        f"confidence {extraction.ocr_confidence}, {len(extraction.words)} words, "
        f"{len(extraction.tables)} tables -> {target}"
    ]
    for index, table in enumerate(extraction.tables, start=1):
        lines.append(
            f"table {index}: {table.n_rows} rows x {table.n_cols} cols, {len(table.cells)} cells"
        )
        for row in range(table.n_rows):
            lines.append("  " + " | ".join(text[:40] for text in table.row_texts(row)))
    return "\n".join(lines)

"""The order documents are handed to a local pool."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen import canvas

from pipeline.order import longest_first, pdf_page_count


def write_pdf(path: Path, pages: int, padding: int = 0) -> Path:
    pdf = canvas.Canvas(str(path))
    for number in range(pages):
        pdf.drawString(72, 720, f"page {number + 1} " + "x" * padding)
        pdf.showPage()
    pdf.save()
    return path


def test_page_count_of_pdf_image_and_broken_file(tmp_path: Path) -> None:
    assert pdf_page_count(write_pdf(tmp_path / "three.pdf", 3)) == 3
    (tmp_path / "scan.png").write_bytes(b"\x89PNG")
    assert pdf_page_count(tmp_path / "scan.png") == 1
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    assert pdf_page_count(tmp_path / "broken.pdf") == 1
    assert pdf_page_count(tmp_path / "missing.pdf") == 1


def test_most_pages_first_then_bigger_file_then_path(tmp_path: Path) -> None:
    short_big = write_pdf(tmp_path / "a-short-big.pdf", 2, padding=5000)
    long_small = write_pdf(tmp_path / "b-long.pdf", 5)
    short_small = write_pdf(tmp_path / "c-short.pdf", 2)
    twin = write_pdf(tmp_path / "d-short.pdf", 2)
    ordered = longest_first([short_small, twin, short_big, long_small], lambda p: p)
    assert ordered == [long_small, short_big, short_small, twin]

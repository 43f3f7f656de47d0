"""Shared fixtures: small PDFs made on the fly, fake OCR engines for fault injection."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "samples"
RECORDED = Path(__file__).resolve().parent / "recorded"

PK_ROWS = [
    (
        "1",
        "Terwujudnya Tahapan Pemilu/Pemilihan sesuai Jadwal",
        "Persentase penyelenggaraan Pemilu/Pemilihan sesuai Jadwal",
        "100%",
    ),
    (
        "2",
        "Meningkatnya Akuntabilitas Keuangan dan Kinerja KPU",
        "Nilai Hasil Evaluasi Mandiri atas Akuntabilitas Kinerja KPU Kota Mojokerto",
        "B",
    ),
    ("", "", "Opini BPK atas Laporan Keuangan KPU", "WTP"),
    (
        "3",
        "Pembentukan Badan Penyelenggara Adhoc",
        "Jumlah Badan Adhoc yang dipersiapkan dan di bentuk",
        "454 badan adhoc",
    ),
]


def make_pk_pdf(path: Path, rows: list[tuple[str, str, str, str]] = PK_ROWS) -> Path:
    """A one-page PK: kop, title, a ruled 4-column table with a merged sasaran cell."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    data = [["NO", "SASARAN PROGRAM", "INDIKATOR KINERJA", "TARGET"], ["(1)", "(2)", "(3)", "(4)"]]
    data += [[no, Paragraph(s, cell), Paragraph(i, cell), t] for no, s, i, t in rows]
    spans = []
    for first, (no, *_rest) in enumerate(rows):
        last = first
        while no and last + 1 < len(rows) and not rows[last + 1][0]:
            last += 1
        if last > first:  # the sasaran (and its number) is merged over its indicators
            spans += [
                ("SPAN", (0, first + 2), (0, last + 2)),
                ("SPAN", (1, first + 2), (1, last + 2)),
            ]
    table = Table(data, colWidths=[30, 150, 220, 80])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *spans,
            ]
        )
    )
    story = [
        Paragraph("KOMISI PEMILIHAN UMUM KOTA MOJOKERTO", styles["Title"]),
        Paragraph("PERJANJIAN KINERJA TAHUN 2024", styles["Heading2"]),
        Paragraph(
            "Dalam rangka mewujudkan manajemen pemerintahan yang efektif, transparan dan akuntabel "
            "serta berorientasi pada hasil, kami yang bertanda tangan di bawah ini: Nama : USMUNI "
            "Jabatan : Ketua KPU Kota Mojokerto",
            cell,
        ),
        Spacer(1, 12),
        table,
    ]
    from reportlab import rl_config

    rl_config.invariant = 1
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def pdf_to_scan(source: Path, target: Path, dpi: int = 200) -> Path:
    """An image-only copy of a PDF, as a scanner would make it."""
    document = pdfium.PdfDocument(str(source))
    pages = [
        document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        for i in range(len(document))
    ]
    document.close()
    pages[0].save(target, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:])
    return target


@pytest.fixture
def pk_pdf(tmp_path: Path) -> Path:
    return make_pk_pdf(tmp_path / "pk-mojokerto.pdf")


@pytest.fixture
def scan_pdf(tmp_path: Path, pk_pdf: Path) -> Path:
    return pdf_to_scan(pk_pdf, tmp_path / "pk-mojokerto-scan.pdf")


class RecordedEngine:
    """Replays one recorded tesseract TSV for every page (fast tests of the OCR path)."""

    def __init__(self, tsv: str) -> None:
        self.tsv = tsv
        self.calls = 0

    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        self.calls += 1
        return self.tsv


class CrashingEngine:
    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        from extract.tesseract import TesseractCrashed

        raise TesseractCrashed("tesseract failed: Segmentation fault (injected)")


class HangingEngine:
    """Ignores its timeout, as a wedged OCR backend would."""

    def __init__(self, seconds: float = 30.0) -> None:
        self.seconds = seconds

    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        time.sleep(self.seconds)
        return ""


class GarbageEngine:
    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        return "this is not tesseract output\n\x00\x01"


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()

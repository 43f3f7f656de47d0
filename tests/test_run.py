"""The batch loop end to end: outputs, resume, and every kind of bad input flagged, not fatal."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import RECORDED, CrashingEngine, GarbageEngine, HangingEngine, RecordedEngine

from extract.page import ExtractSettings
from pipeline.run import EXIT_FILES_FAILED, EXIT_OK, RunSettings, discover_inputs, run_batch

OUTPUT_FILES = (
    "indicators.csv",
    "budget.csv",
    "documents.csv",
    "pages.csv",
    "reconciliation.csv",
    "review/review.csv",
    "review/index.html",
    "run.json",
    "run.log",
    "catalog.sqlite",
)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def recorded_engine() -> RecordedEngine:
    return RecordedEngine((RECORDED / "pk-mojokerto-scan-p1.tsv").read_text(encoding="utf-8"))


def settings(**changes: object) -> RunSettings:
    return RunSettings(workers=1, quiet=True, **changes)  # type: ignore[arg-type]


def test_born_digital_and_scan_give_the_same_rows(
    tmp_path: Path, pk_pdf: Path, scan_pdf: Path
) -> None:
    out = tmp_path / "out"
    summary = run_batch([pk_pdf, scan_pdf], out, settings(), engine=recorded_engine())
    assert summary.exit_code == EXIT_OK
    for name in OUTPUT_FILES:
        assert (out / name).exists(), name
    indicators = rows(out / "indicators.csv")
    by_file = {
        f: [r for r in indicators if r["source_file"] == f] for f in (pk_pdf.name, scan_pdf.name)
    }
    text_rows, ocr_rows = by_file[pk_pdf.name], by_file[scan_pdf.name]
    assert [r["indikator"] for r in text_rows][:3] == [
        "Persentase penyelenggaraan Pemilu/Pemilihan sesuai Jadwal",
        "Nilai Hasil Evaluasi Mandiri atas Akuntabilitas Kinerja KPU Kota Mojokerto",
        "Opini BPK atas Laporan Keuangan KPU",
    ]
    assert [r["target"] for r in text_rows] == ["100%", "B", "WTP", "454 badan adhoc"]
    # The merged sasaran is repeated, with its number, on each indicator row it spans.
    assert text_rows[2]["sasaran"] == text_rows[1]["sasaran"] and text_rows[2]["no"] == "2"
    assert {r["extraction"] for r in ocr_rows} == {"ocr"}
    assert [r["indikator"] for r in ocr_rows] == [r["indikator"] for r in text_rows]
    assert all(float(r["ocr_confidence"]) > 50 for r in ocr_rows)


def test_rerun_skips_finished_documents_and_writes_identical_rows(
    tmp_path: Path, pk_pdf: Path
) -> None:
    out = tmp_path / "out"
    run_batch([pk_pdf], out, settings())
    first = (out / "indicators.csv").read_bytes()
    summary = run_batch([pk_pdf], out, settings())
    assert summary.skipped_done == 1
    assert (out / "indicators.csv").read_bytes() == first
    forced = run_batch([pk_pdf], out, settings(force=True))
    assert forced.skipped_done == 0
    assert (out / "indicators.csv").read_bytes() == first


def test_duplicate_and_renamed_files_are_listed_not_processed_twice(
    tmp_path: Path, pk_pdf: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(pk_pdf.read_bytes())
    (folder / "b kopi ü.pdf").write_bytes(pk_pdf.read_bytes())
    out = tmp_path / "out"
    run_batch([folder], out, settings())
    documents = {r["source_file"]: r for r in rows(out / "documents.csv")}
    assert documents["b kopi ü.pdf"]["duplicate_of"] == "a.pdf"
    assert {r["source_file"] for r in rows(out / "indicators.csv")} == {"a.pdf"}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("truncated.pdf", None, "PDF_UNREADABLE"),
        ("not-a-pdf.pdf", b"<html><body>404 Not Found</body></html>", "PDF_UNREADABLE"),
        ("empty.pdf", b"", "PDF_UNREADABLE"),
        (
            "zero-pages.pdf",
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
            "PDF_UNREADABLE",
        ),
    ],
)
def test_unreadable_files_fail_with_a_reason_and_the_batch_goes_on(
    tmp_path: Path, pk_pdf: Path, name: str, content: bytes | None, reason: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / name
    bad.write_bytes(content if content is not None else pk_pdf.read_bytes()[:700])
    (folder / "good.pdf").write_bytes(pk_pdf.read_bytes())
    out = tmp_path / "out"
    summary = run_batch([folder], out, settings())
    assert summary.exit_code == EXIT_FILES_FAILED
    documents = {r["source_file"]: r for r in rows(out / "documents.csv")}
    assert documents[name]["status"] == "failed"
    assert documents[name]["error"].startswith(reason)
    assert documents["good.pdf"]["status"] in ("ok", "partial")
    assert any(
        r["source_file"] == name and r["reason"] == reason for r in rows(out / "review/review.csv")
    )


def test_encrypted_pdf_is_flagged(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "secret.pdf"
    pdf = canvas.Canvas(str(path), encrypt="rahasia")
    pdf.drawString(100, 700, "PERJANJIAN KINERJA")
    pdf.save()
    summary = run_batch([path], tmp_path / "out", settings())
    (document,) = rows(tmp_path / "out" / "documents.csv")
    assert summary.exit_code == EXIT_FILES_FAILED
    assert document["error"].startswith("PDF_ENCRYPTED")


def test_other_files_are_listed_as_skipped(tmp_path: Path, pk_pdf: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "catatan.docx").write_bytes(b"PK\x03\x04 not a pdf")
    (folder / "pk.pdf").write_bytes(pk_pdf.read_bytes())
    summary = run_batch([folder], tmp_path / "out", settings())
    documents = {r["source_file"]: r for r in rows(tmp_path / "out" / "documents.csv")}
    assert documents["catatan.docx"]["status"] == "skipped"
    assert summary.exit_code == EXIT_OK


@pytest.mark.parametrize(
    ("engine", "reason"),
    [
        (CrashingEngine(), "OCR_FAILED"),
        (HangingEngine(seconds=30), "PAGE_TIMEOUT"),
        (GarbageEngine(), "OCR_FAILED"),
    ],
)
def test_ocr_engine_failures_flag_the_page(
    tmp_path: Path, scan_pdf: Path, pk_pdf: Path, engine: object, reason: str
) -> None:
    out = tmp_path / "out"
    run_settings = settings(extract=ExtractSettings(page_timeout=1.0))
    summary = run_batch([scan_pdf, pk_pdf], out, run_settings, engine=engine)  # type: ignore[arg-type]
    pages = {(r["source_file"], r["page"]): r for r in rows(out / "pages.csv")}
    assert reason in pages[(scan_pdf.name, "1")]["review_reasons"]
    assert any(r["reason"] == reason for r in rows(out / "review/review.csv"))
    # The text PDF next to it is read as usual.
    assert pages[(pk_pdf.name, "1")]["indicator_rows"] == "4"
    assert summary.exit_code == EXIT_OK


def test_image_files_are_one_page_documents(tmp_path: Path, scan_pdf: Path) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(scan_pdf))
    image = document[0].render(scale=200 / 72, grayscale=True).to_pil()
    document.close()
    image.save(tmp_path / "halaman.png", dpi=(200, 200))
    run_batch([tmp_path / "halaman.png"], tmp_path / "out", settings(), engine=recorded_engine())
    indicators = rows(tmp_path / "out" / "indicators.csv")
    assert len(indicators) == 4 and {r["extraction"] for r in indicators} == {"ocr"}


def test_discover_inputs_is_recursive_and_relative(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.pdf").write_bytes(b"%PDF")
    (tmp_path / "a" / "y.pdf").write_bytes(b"%PDF")
    found = discover_inputs([tmp_path / "a"])
    assert [f.source_file for f in found] == ["b/x.pdf", "y.pdf"]

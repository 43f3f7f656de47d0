"""Faults and bad input, each ending as a coded row while the batch goes on.

tests/test_run.py covers corrupt, truncated, non-PDF, empty, zero-page and encrypted files,
duplicates, and OCR engines that crash, hang or return garbage in this process. Here: a worker
process that dies, --strict, unreadable permissions, hostile file names, a decompression bomb,
a 500-page PDF, tesseract without `ind`, and two runs on one OUT.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from conftest import PK_ROWS, RECORDED, REPO, CrashingEngine, RecordedEngine, make_pk_pdf
from PIL import Image
from test_resume import catalog_rows

from pipeline.run import (
    EXIT_FILES_FAILED,
    EXIT_OK,
    RunSettings,
    RunUsageError,
    exclusive_lock,
    run_batch,
)

CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]
NOBODY = 65534
FLAGGED_ROW = ("9", "Sasaran tanpa target", "Indikator yang targetnya kosong", "")


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def by_file(path: Path) -> dict[str, dict[str, str]]:
    return {row["source_file"]: row for row in read_rows(path)}


def settings(**changes: object) -> RunSettings:
    return RunSettings(**{"workers": 1, "quiet": True, **changes})  # type: ignore[arg-type]


def pk_variant(path: Path, number: int, flagged: bool = False) -> Path:
    rows = [
        *PK_ROWS[: 1 + number % 4],
        (str(10 + number), f"Sasaran {number}", f"Indikator nomor {number}", "90%"),
    ]
    return make_pk_pdf(path, rows + ([FLAGGED_ROW] if flagged else []))


class KillingEngine:
    """Kills the process it runs in on the first page it reads, as a segfault or the OOM killer
    would. Module-level, so worker processes can unpickle it."""

    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        os.kill(os.getpid(), signal.SIGKILL)
        return ""


def test_a_worker_that_dies_fails_only_its_document(tmp_path: Path, scan_pdf: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(scan_pdf, folder / "b-scan.pdf")
    for number in (0, 1, 2):
        pk_variant(folder / f"{'acd'[number]}-text.pdf", number)
    summary = run_batch([folder], tmp_path / "out", settings(workers=2), engine=KillingEngine())  # type: ignore[arg-type]
    documents = by_file(tmp_path / "out" / "documents.csv")
    assert documents["b-scan.pdf"]["status"] == "failed"
    assert documents["b-scan.pdf"]["error"].startswith("PDF_UNREADABLE")
    assert [documents[f"{c}-text.pdf"]["status"] for c in "acd"] == ["ok", "ok", "ok"]
    assert summary.exit_code == EXIT_FILES_FAILED
    assert any(
        r["reason"] == "PDF_UNREADABLE" for r in read_rows(tmp_path / "out" / "review/review.csv")
    )
    # No part was written for it: the next run tries it again (here with an engine that works).
    engine = RecordedEngine((RECORDED / "pk-mojokerto-scan-p1.tsv").read_text(encoding="utf-8"))
    again = run_batch([folder], tmp_path / "out", settings(), engine=engine)
    assert again.exit_code == EXIT_OK and engine.calls > 0
    assert by_file(tmp_path / "out" / "documents.csv")["b-scan.pdf"]["status"] in ("ok", "partial")


def test_strict_stops_at_the_first_failed_file(tmp_path: Path, pk_pdf: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pk_variant(folder / "a.pdf", 0)
    (folder / "b-rusak.pdf").write_bytes(pk_pdf.read_bytes()[:600])
    for name in ("c.pdf", "d.pdf", "e.pdf"):
        pk_variant(folder / name, ord(name[0]))
    out = tmp_path / "out"
    summary = run_batch([folder], out, settings(strict=True))
    documents = by_file(out / "documents.csv")
    assert summary.exit_code == EXIT_FILES_FAILED and summary.stopped_at == "b-rusak.pdf"
    assert documents["a.pdf"]["status"] == "ok"
    assert documents["b-rusak.pdf"]["error"].startswith("PDF_UNREADABLE")
    assert documents["e.pdf"] == {
        **documents["e.pdf"],
        "status": "skipped",
        "error": "not processed: --strict stopped the run at b-rusak.pdf",
    }
    assert not (out / "indicators.csv").read_text(encoding="utf-8").count("e.pdf")
    # Without --strict the rest is done, and what was done is not redone.
    rest = run_batch([folder], out, settings())
    assert rest.skipped_done == 2 and by_file(out / "documents.csv")["e.pdf"]["status"] == "ok"


def test_strict_turns_a_page_failure_into_a_failed_file_that_is_retried(
    tmp_path: Path, scan_pdf: Path
) -> None:
    out = tmp_path / "out"
    summary = run_batch([scan_pdf], out, settings(strict=True), engine=CrashingEngine())  # type: ignore[arg-type]
    (document,) = read_rows(out / "documents.csv")
    assert summary.exit_code == EXIT_FILES_FAILED
    assert document["status"] == "failed" and document["error"].startswith(
        "OCR_FAILED: TesseractCrashed"
    )
    # Flagging the page (the non-strict way) is not blocked by a part of the strict failure.
    flagged = run_batch([scan_pdf], out, settings(), engine=CrashingEngine())  # type: ignore[arg-type]
    assert flagged.exit_code == EXIT_OK and flagged.skipped_done == 0
    assert "OCR_FAILED" in read_rows(out / "pages.csv")[0]["review_reasons"]


def nobody_prefix() -> list[str]:
    """A command prefix that drops root, under which file permissions are enforced."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def test_unreadable_file_and_folder_are_listed_as_failed(pk_pdf: Path) -> None:
    prefix = nobody_prefix()
    # tmp_path is private to root; nobody needs a world-readable place of its own.
    base = Path(tempfile.mkdtemp(prefix="kinerja-perm-"))
    try:
        base.chmod(0o755)
        folder, out = base / "in", base / "out"
        (folder / "terkunci").mkdir(parents=True)
        out.mkdir()
        out.chmod(0o777)
        shutil.copy(pk_pdf, folder / "baik.pdf")
        pk_variant(folder / "rahasia.pdf", 1)
        pk_variant(folder / "terkunci" / "di-dalam.pdf", 2)
        (folder / "rahasia.pdf").chmod(0o000)
        (folder / "terkunci").chmod(0o000)
        env = {**os.environ, "HOME": str(base), "PYTHONPATH": str(REPO), "OMP_THREAD_LIMIT": "1"}
        done = subprocess.run(
            [*prefix, *CLI, "run", str(folder), "--out", str(out), "--quiet", "--workers", "1"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == EXIT_FILES_FAILED, done.stderr
        documents = by_file(out / "documents.csv")
        assert documents["baik.pdf"]["status"] == "ok"
        assert documents["rahasia.pdf"]["status"] == "failed"
        assert (
            documents["rahasia.pdf"]["error"]
            == "PDF_UNREADABLE: cannot read the file (Permission denied)"
        )
        assert (
            documents["terkunci/"]["error"]
            == "PDF_UNREADABLE: cannot list the folder (Permission denied)"
        )
        review = {(r["source_file"], r["reason"]) for r in read_rows(out / "review/review.csv")}
        assert {("rahasia.pdf", "PDF_UNREADABLE"), ("terkunci/", "PDF_UNREADABLE")} <= review
        # Listed in the catalog as failed without a part: the next run tries them again.
        catalog = {name: (status, part) for name, status, part in catalog_rows(out)}
        assert catalog["rahasia.pdf"] == catalog["terkunci/"] == ("failed", None)
    finally:
        (base / "in" / "terkunci").chmod(0o755)
        shutil.rmtree(base)


HOSTILE_NAMES = (
    "spasi dan ü ñ é.pdf",
    "%2e%2e%2fkeluar.pdf",
    "-rf.pdf",
    "x\\..\\..\\keluar.pdf",
    "baris\nbaru.pdf",
    "sub folder/ü/dalam.pdf",
)


def test_file_names_cannot_write_outside_out(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for number, name in enumerate(HOSTILE_NAMES):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        pk_variant(target, number, flagged=True)
    before = {p for p in tmp_path.rglob("*")}
    out = tmp_path / "out"
    summary = run_batch([folder], out, settings(workers=2))
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p.resolve().is_relative_to(out.resolve()) for p in created)
    documents = by_file(out / "documents.csv")
    assert len(documents) == len(HOSTILE_NAMES) and summary.exit_code == EXIT_OK
    assert documents["spasi dan ü ñ é.pdf"]["status"] == "partial"
    images = [r["image"] for r in read_rows(out / "review/review.csv")]
    assert len(set(images)) == len(HOSTILE_NAMES)  # one flagged page each, none overwriting another
    assert all(
        (out / "review" / image).resolve().is_relative_to(out / "review") for image in images
    )


def test_out_inside_the_input_folder_is_not_read_as_input(tmp_path: Path, pk_pdf: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pk_variant(folder / "pk.pdf", 0, flagged=True)
    run_batch([folder], folder / "out", settings())
    run_batch([folder], folder / "out", settings())
    assert list(by_file(folder / "out" / "documents.csv")) == ["pk.pdf"]


def test_two_runs_on_one_out_are_refused(tmp_path: Path, pk_pdf: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with exclusive_lock(out), pytest.raises(RunUsageError, match="another kinerja run"):
        run_batch([pk_pdf], out, settings())


def bomb_pdf(side: int = 20000) -> bytes:
    """One A4 page showing a side x side 1-bit image of stripes: 50 MB of pixels, 60 kB on disk."""
    packer = zlib.compressobj(9)
    black, white = b"\x00" * ((side + 7) // 8), b"\xff" * ((side + 7) // 8)
    stripes = (black * 40 + white * 160) * 5  # 1000 rows: bands of ink, as lines of text would be
    data = b"".join(packer.compress(stripes) for _ in range(side // 1000)) + packer.flush()
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]"
        b"/Resources<</XObject<</Im0 4 0 R>>>>/Contents 5 0 R>>",
        b"<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 1"
        b"/Filter/FlateDecode/Length %d>>stream\n"
        % (side, side, len(data))
        + data
        + b"\nendstream",
        b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def test_a_huge_page_image_is_refused_before_it_is_decoded(tmp_path: Path, pk_pdf: Path) -> None:
    bomb = tmp_path / "bom.pdf"
    bomb.write_bytes(bomb_pdf())
    engine = RecordedEngine((RECORDED / "pk-mojokerto-scan-p1.tsv").read_text(encoding="utf-8"))
    summary = run_batch([bomb, pk_pdf], tmp_path / "out", settings(), engine=engine)
    (page,) = [
        p for p in read_rows(tmp_path / "out" / "pages.csv") if p["source_file"] == "bom.pdf"
    ]
    assert page["status"] == "failed" and page["review_reasons"] in ("OCR_FAILED", "EMPTY_PAGE")
    (flag,) = [
        r
        for r in read_rows(tmp_path / "out" / "review/review.csv")
        if r["source_file"] == "bom.pdf"
    ]
    assert "20000x20000" in flag["detail"]
    assert engine.calls == 0  # refused before rendering, so never read either
    assert by_file(tmp_path / "out" / "documents.csv")["pk-mojokerto.pdf"]["status"] == "ok"
    assert summary.exit_code == EXIT_OK


def test_a_huge_image_file_fails_its_document_only(tmp_path: Path, pk_pdf: Path) -> None:
    Image.new("1", (20000, 20000), 1).save(tmp_path / "bom.png")
    summary = run_batch([tmp_path / "bom.png", pk_pdf], tmp_path / "out", settings())
    documents = by_file(tmp_path / "out" / "documents.csv")
    assert (
        documents["bom.png"]["status"] == "failed"
        and "DecompressionBomb" in documents["bom.png"]["error"]
    )
    assert (
        documents["pk-mojokerto.pdf"]["status"] == "ok" and summary.exit_code == EXIT_FILES_FAILED
    )


MEMORY_PROBE = """
import resource, sys
from pathlib import Path
from extract.page import ExtractSettings
from pipeline.document import DocumentJob, file_sha256, process_document
path, out = Path(sys.argv[1]), Path(sys.argv[2])
for pages in (50, 500):
    job = DocumentJob(path, path.name, file_sha256(path), out, ExtractSettings(), max_pages=pages)
    assert process_document(job).document["pages"] == pages
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_a_500_page_pdf_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """Pages are released one by one: the peak after 500 pages is that after 50, give or take.
    (Measured: +2 MB with pages released, +330 MB when pdfplumber's pages are kept.)"""
    from reportlab.pdfgen import canvas

    path = tmp_path / "panjang.pdf"
    pdf = canvas.Canvas(str(path))
    for number in range(500):
        for line in range(6):
            pdf.drawString(
                72,
                760 - 14 * line,
                f"Halaman {number + 1} baris {line}: laporan kinerja komisi pemilihan umum",
            )
        pdf.showPage()
    pdf.save()
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), str(tmp_path / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    after_50, after_500 = (int(line) // 1024 for line in probe.stdout.split())
    assert after_500 - after_50 < 80, f"peak RSS grew from {after_50} MB to {after_500} MB"


def test_tesseract_without_ind_stops_the_run_at_start(tmp_path: Path, pk_pdf: Path) -> None:
    """A fake `tesseract` first on PATH, that lists only eng and osd."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "tesseract"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0" ;;\n'
        "  --list-langs) echo 'List of available languages in \"/usr/share/tessdata/\" (2):'\n"
        "    echo eng; echo osd ;;\n"
        "  *) exit 1 ;;\n"
        "esac\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [*CLI, "run", str(pk_pdf), "--out", str(tmp_path / "out"), "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        "no ind language data" in done.stderr and "apt-get install tesseract-ocr-ind" in done.stderr
    )
    assert not (tmp_path / "out" / "documents.csv").exists()

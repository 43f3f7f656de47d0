"""The sample PDFs agree with their truth files, the manifest lists them all, and the generator
reproduces them byte for byte."""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

import pdfplumber
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT))  # samples/ is not an installed package

from samples.generate import generate  # noqa: E402

REGENERATED = "pk-mojokerto-2024-ketua"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def truth_files() -> list[Path]:
    return sorted((SAMPLES / "truth").glob("*.csv"))  # truth/real/ describes shared/real PDFs


def born_truth() -> list[Path]:
    return [
        p
        for p in truth_files()
        if p.name.endswith(".indicators.csv") and read_csv(p)[0]["source_file"].startswith("born/")
    ]


def squash(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def page_cells(page: pdfplumber.page.Page) -> list[str]:
    return [squash(cell) for table in page.extract_tables() for row in table for cell in row]


@pytest.mark.parametrize("truth", born_truth(), ids=lambda p: p.name)
def test_born_pages_hold_truth_indicators(truth: Path) -> None:
    rows = read_csv(truth)
    with pdfplumber.open(SAMPLES / rows[0]["source_file"]) as pdf:
        cells = {n: page_cells(pdf.pages[n - 1]) for n in {int(r["page"]) for r in rows}}
    for row in rows:
        start = " ".join(row["indikator"].split()[:3])
        assert any(start in cell for cell in cells[int(row["page"])]), (row["page"], start)


def test_manifest_lists_every_pdf_and_truth_names_existing_pdfs() -> None:
    listed = {row["file"] for row in read_csv(SAMPLES / "manifest.csv")}
    on_disk = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.glob("*/*.pdf")}
    assert listed == on_disk
    for truth in truth_files():
        sources = {row["source_file"] for row in read_csv(truth)}
        assert sources and all((SAMPLES / s).is_file() for s in sources), truth.name
        assert all(truth.name.startswith(Path(s).stem + ".") for s in sources), truth.name


def test_manifest_pages_match_pdfs() -> None:
    for row in read_csv(SAMPLES / "manifest.csv"):
        if row["kind"] == "bad" and row["pages"] == "0":
            continue
        with pdfplumber.open(SAMPLES / row["file"]) as pdf:
            assert len(pdf.pages) == int(row["pages"]), row["file"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", only=[REGENERATED])
    second = generate(tmp_path / "b", only=[REGENERATED])
    assert len(first.files) >= 6  # born + scan PDFs and their two truth files each
    for path in first.files:
        again = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert sha256(path) == sha256(again), again
    assert len(second.files) == len(first.files)


def test_committed_truth_is_what_the_generator_writes(tmp_path: Path) -> None:
    # The PDFs' bytes depend on the versions of reportlab / OpenCV / Pillow installed, so
    # only the truth (pure data) is compared with the committed copy; `make samples` on the
    # machine that committed them reproduces the PDFs byte for byte as well.
    written = generate(tmp_path, only=[REGENERATED])
    truth = [p for p in written.files if p.suffix == ".csv"]
    assert truth
    for path in truth:
        committed = SAMPLES / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), committed

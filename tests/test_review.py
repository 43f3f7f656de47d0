"""pipeline.review: picture paths, the review page (structure, and in a real Chromium), docs."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from pipeline.review import (
    build_review_html,
    review_image_relpath,
    review_rows_to_pages,
    safe_image_src,
    source_slug,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REVIEW_COLUMNS = ["source_file", "doc_sha256", "page", "reason", "detail", "image"]
INDICATOR_COLUMNS = [
    "source_file", "doc_sha256", "page", "table_index", "row_index", "doc_type", "satker",
    "tahun", "no", "indikator", "target", "realisasi", "capaian", "capaian_computed",
    "needs_review", "review_reasons",
]  # fmt: skip
BUDGET_COLUMNS = [
    "source_file", "page", "table_index", "row_index", "level", "kode", "uraian", "pagu",
    "realisasi", "persen", "needs_review", "review_reasons",
]  # fmt: skip
SHA_A, SHA_B = "a" * 64, "b" * 64


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_picture(out: Path, source_file: str, page: int, colour: str) -> str:
    relpath = review_image_relpath(source_file, page)
    target = out / "review" / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 160), colour).save(target)
    return relpath


def review_line(source: str, sha: str, page: int, reason: str, detail: str, image: str) -> dict:
    return dict(zip(REVIEW_COLUMNS, [source, sha, str(page), reason, detail, image], strict=True))


def indicator_line(source: str, page: int, row: int, indikator: str, **values: str) -> dict:
    line = {"source_file": source, "page": str(page), "table_index": "1", "row_index": str(row)}
    line.update(indikator=indikator, needs_review=values.pop("needs_review", "0"), **values)
    return line


@pytest.fixture
def small_out(tmp_path: Path) -> Path:
    """An OUT with three flagged pages in two files, pictures, indicator and budget rows."""
    out = tmp_path / "out"
    pk, lakip = "pk/PK 2024 Kota Bontang.pdf", "lakip/LAKIP <2024> & co.pdf"
    images = [
        write_picture(out, pk, 2, "lightblue"),
        write_picture(out, lakip, 3, "lightyellow"),
        write_picture(out, lakip, 11, "pink"),
    ]
    review = [
        review_line(lakip, SHA_B, 11, "SUM_MISMATCH", "Lines sum to 9, total 10.", images[2]),
        review_line(pk, SHA_A, 2, "VALUE_UNPARSED", "Target 'l0O%' is not a value.", images[0]),
        review_line(lakip, SHA_B, 3, "CAPAIAN_MISMATCH", "75% but 80 / 80 = 100%.", images[1]),
        review_line(lakip, SHA_B, 3, "LOW_CONFIDENCE", "<script>alert(1)</script>", images[1]),
    ]
    write_csv(out / "review" / "review.csv", REVIEW_COLUMNS, review)
    flagged = {"needs_review": "1"}
    indicators = [
        indicator_line(pk, 2, 1, "Persentase pemutakhiran data pemilih", target="l0O%",
                       review_reasons="VALUE_UNPARSED", **flagged),
        indicator_line(lakip, 3, 2, "Indeks kepuasan", target="80", realisasi="80",
                       capaian="75%", capaian_computed="100.0",
                       review_reasons="CAPAIAN_MISMATCH", **flagged),
        indicator_line(lakip, 3, 1, "Opini BPK", target="WTP", realisasi="WTP"),
        indicator_line(lakip, 4, 1, "Row on an unflagged page", target="1 dokumen"),
    ]  # fmt: skip
    write_csv(out / "indicators.csv", INDICATOR_COLUMNS, indicators)
    budget_line = {"source_file": lakip, "page": "11", "table_index": "2", "row_index": "1"}
    budget_line.update(level="program", kode="076.01.CQ", uraian="Program Dukungan Manajemen")
    budget_line.update(pagu="Rp 10", review_reasons="SUM_MISMATCH", **flagged)
    budget = [budget_line]
    write_csv(out / "budget.csv", BUDGET_COLUMNS, budget)
    return out


def sections_of(html_text: str) -> list[str]:
    return re.findall(r'<section class="page" data-page-key="([^"]*)"', html_text)


@given(st.text(max_size=80), st.integers(1, 99_999))
def test_review_image_relpath_never_leaves_review_dir(source_file: str, page: int):
    relpath = review_image_relpath(source_file, page)
    assert re.fullmatch(r"pages/[a-z0-9-]+-[0-9a-f]{8}-p\d{4,}\.png", relpath), relpath
    assert ".." not in relpath.split("/") and not relpath.startswith("/")
    root = Path("/srv/out/review")
    assert (root / relpath).resolve().is_relative_to(root)


def test_review_image_relpath_examples():
    assert review_image_relpath("../../etc/passwd", 3).startswith("pages/etc-passwd-")
    assert review_image_relpath("LAKIP 2024.pdf", 3).endswith("-p0003.png")
    assert source_slug("///") == "file"
    # Two names with one slug still get two pictures.
    assert review_image_relpath("a b.pdf", 1) != review_image_relpath("a-b.pdf", 1)
    with pytest.raises(ValueError):
        review_image_relpath("x.pdf", 0)


@pytest.mark.parametrize(
    "image", ["/etc/passwd", "../x.png", "pages/../../x.png", "javascript:alert(1)", "a\\b.png", ""]
)
def test_unsafe_image_paths_get_no_src(image: str):
    assert safe_image_src(image) is None


def test_review_rows_group_by_page_in_page_order():
    rows = [
        review_line("b.pdf", SHA_B, 10, "EMPTY_PAGE", "x", ""),
        review_line("b.pdf", SHA_B, 9, "OCR_FAILED", "y", ""),
        review_line("a.pdf", SHA_A, 2, "PAGE_TIMEOUT", "z", ""),
        review_line("b.pdf", SHA_B, 9, "LOW_CONFIDENCE", "w", ""),
    ]
    pages = review_rows_to_pages(rows)
    assert [(p.source_file, p.page) for p in pages] == [("a.pdf", 2), ("b.pdf", 9), ("b.pdf", 10)]
    assert pages[1].codes == ("LOW_CONFIDENCE", "OCR_FAILED")


def test_every_flagged_page_has_one_section_with_its_rows(small_out: Path):
    html_text = build_review_html(small_out).read_text(encoding="utf-8")
    assert sections_of(html_text) == [
        "lakip/LAKIP &lt;2024&gt; &amp; co.pdf#p3",
        "lakip/LAKIP &lt;2024&gt; &amp; co.pdf#p11",
        "pk/PK 2024 Kota Bontang.pdf#p2",
    ]
    assert 'data-pages="3"' in html_text
    assert html_text.index("Opini BPK") < html_text.index("Indeks kepuasan"), "row order"
    assert "Row on an unflagged page" not in html_text
    assert "Program Dukungan Manajemen" in html_text and "076.01.CQ" in html_text
    assert html_text.count("<img ") == 3


def test_reason_counts_and_filter_buttons(small_out: Path):
    html_text = build_review_html(small_out).read_text(encoding="utf-8")
    buttons = re.findall(r'data-reason="([A-Z_]*)">[^<]*<span class="n">(\d+)</span>', html_text)
    assert buttons == [
        ("", "3"),
        ("CAPAIAN_MISMATCH", "1"),
        ("LOW_CONFIDENCE", "1"),
        ("SUM_MISMATCH", "1"),
        ("VALUE_UNPARSED", "1"),
    ]
    assert 'data-reasons="CAPAIAN_MISMATCH LOW_CONFIDENCE"' in html_text


def test_text_is_escaped_and_page_is_self_contained(small_out: Path):
    html_text = build_review_html(small_out).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert html_text.count("<script>") == 1, "only the page's own inline script"
    assert not re.search(r'(src|href)="(https?:)?//', html_text), "no network resources"
    srcs = re.findall(r'<img src="([^"]+)"', html_text)
    assert all((small_out / "review" / src.replace("%20", " ")).is_file() for src in srcs)


def test_build_is_deterministic(small_out: Path):
    first = build_review_html(small_out).read_bytes()
    second = build_review_html(small_out).read_bytes()
    assert first == second


def test_missing_or_empty_inputs_give_an_empty_queue(tmp_path: Path):
    (tmp_path / "review").mkdir()
    (tmp_path / "review" / "review.csv").write_text("")
    html_text = build_review_html(tmp_path).read_text(encoding="utf-8")
    assert sections_of(html_text) == []
    assert "no page was flagged" in html_text


def test_page_without_rows_or_picture_says_so(tmp_path: Path):
    line = review_line("scan.pdf", SHA_A, 1, "OCR_FAILED", "tesseract crashed", "")
    write_csv(tmp_path / "review" / "review.csv", REVIEW_COLUMNS, [line])
    html_text = build_review_html(tmp_path).read_text(encoding="utf-8")
    assert "no picture for this page" in html_text
    assert "no rows were extracted" in html_text


# --- a real browser -----------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str | None:
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def run_chromium(page: Path, profile: Path, *extra: str) -> str:
    return run_chromium_url(page.as_uri(), profile, *extra)


def run_chromium_url(url: str, profile: Path, *extra: str) -> str:
    """Run headless Chromium on a file:// URL; the network is never touched."""
    binary = chromium_binary()
    assert binary is not None
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra, url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


needs_chromium = pytest.mark.skipif(
    chromium_binary() is None,
    reason="no chromium binary on PATH (Debian: apt-get install -y chromium)",
)


@pytest.mark.browser
@needs_chromium
def test_review_page_loads_every_picture_in_chromium(small_out: Path, tmp_path: Path):
    page = build_review_html(small_out)
    dom = run_chromium(page, tmp_path / "profile", "--dump-dom")
    body = re.search(r"<body([^>]*)>", dom)
    assert body is not None, dom[:500]
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))
    assert attributes["data-images-total"] == "3"
    assert attributes["data-images-loaded"] == "3"
    assert attributes["data-images-broken"] == "0"
    assert attributes["data-sections-shown"] == "3", "the filter script ran"
    assert len(sections_of(dom)) == 3


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize(("reason", "shown"), [("SUM_MISMATCH", 1), ("LOW_CONFIDENCE", 1), ("", 3)])
def test_reason_filter_in_chromium(small_out: Path, tmp_path: Path, reason: str, shown: int):
    page = build_review_html(small_out)
    url = f"{page.as_uri()}#reason={reason}"
    dom = run_chromium_url(url, tmp_path / "profile", "--dump-dom")
    assert f'data-sections-shown="{shown}"' in dom
    hidden = re.findall(r'<section class="page" data-page-key="([^"]*)"[^>]*hidden', dom)
    assert len(hidden) == 3 - shown


@pytest.mark.browser
@needs_chromium
def test_chromium_reports_a_missing_picture_as_broken(small_out: Path, tmp_path: Path):
    next((small_out / "review" / "pages").glob("*.png")).unlink()
    dom = run_chromium(build_review_html(small_out), tmp_path / "profile", "--dump-dom")
    assert 'data-images-broken="1"' in dom and 'data-images-loaded="2"' in dom


@pytest.mark.browser
@needs_chromium
def test_review_page_screenshot(small_out: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    page = build_review_html(small_out)
    run_chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,1000")
    with Image.open(shot) as image:
        assert image.size == (1400, 1000)
        assert len(image.convert("RGB").getcolors(1_000_000) or ()) > 20, "not a blank page"


# --- docs ---------------------------------------------------------------------------------


def contract_reason_codes(datasets_md: str) -> list[str]:
    """The codes of the '## Reason codes' table of DATASETS.md."""
    section = datasets_md.split("## Reason codes", 1)[1]
    return re.findall(r"^\|\s*([A-Z][A-Z_]+)\s*\|", section, flags=re.MULTILINE)


def test_every_reason_code_documented():
    datasets = SHARED / "DATASETS.md"
    if not datasets.is_file():
        pytest.skip(f"{datasets} not found: the output contract lives in ../shared")
    codes = contract_reason_codes(datasets.read_text(encoding="utf-8"))
    assert len(codes) >= 11, codes
    errors_md = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+\s*`?([A-Z_]+)`?", errors_md, flags=re.MULTILINE))
    assert [code for code in codes if code not in headings] == []

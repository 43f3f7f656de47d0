"""The review queue's pictures paths and its one-file HTML page (OUT/review/index.html).

The page is self-contained (inline CSS and JS, no network) so a reviewer can open it from
disk; every text it shows comes from the run's CSVs and is escaped.
"""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from string import Template
from urllib.parse import quote

FILE_MODE = 0o644
REVIEW_DIR = "review"
REVIEW_CSV = "review.csv"
REVIEW_HTML = "index.html"
PAGES_DIR = "pages"
SLUG_MAX_CHARS = 60
TEMPLATE_PATH = Path(__file__).parent / "templates" / "review.html"

INDICATOR_COLUMNS = (
    ("no", "No"),
    ("indikator", "Indikator"),
    ("target", "Target"),
    ("realisasi", "Realisasi"),
    ("capaian", "Capaian"),
    ("capaian_computed", "Capaian (hitung)"),
    ("review_reasons", "Alasan"),
)
BUDGET_COLUMNS = (
    ("level", "Level"),
    ("kode", "Kode"),
    ("uraian", "Uraian"),
    ("pagu", "Pagu"),
    ("realisasi", "Realisasi"),
    ("persen", "%"),
    ("review_reasons", "Alasan"),
)
NUMERIC_COLUMNS = frozenset(
    {"target", "realisasi", "capaian", "capaian_computed", "pagu", "persen"}
)

PageKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class FlaggedPage:
    """One page of review.csv with all its reasons (review.csv has one line per reason)."""

    source_file: str
    doc_sha256: str
    page: int
    reasons: tuple[tuple[str, str], ...]  # (code, detail), sorted
    image: str  # relative to review/, as review.csv gives it; "" when none

    @property
    def key(self) -> PageKey:
        return (self.source_file, self.page)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted({code for code, _ in self.reasons}))


def source_slug(source_file: str) -> str:
    """A file-name-safe slug of a source path: only [a-z0-9-], never empty."""
    ascii_text = unicodedata.normalize("NFKD", source_file).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX_CHARS].strip("-") or "file"


def review_image_relpath(source_file: str, page: int) -> str:
    """Where the picture of ``page`` goes, relative to review/: the slug keeps it inside OUT
    whatever the file name holds, the sha1 keeps two names with one slug apart."""
    if page < 1:
        raise ValueError(f"page numbers are 1-based, got {page}")
    digest = hashlib.sha1(source_file.encode("utf-8")).hexdigest()[:8]
    return f"{PAGES_DIR}/{source_slug(source_file)}-{digest}-p{page:04d}.png"


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV as dicts of strings; a missing or empty file has none."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as stream:
        return [dict(row) for row in csv.DictReader(stream)]


def page_number(text: str | None) -> int:
    """A CSV page/index cell as an int; unparseable cells sort last instead of failing."""
    try:
        return int(str(text).strip())
    except ValueError:
        return 10**9


def review_rows_to_pages(rows: Iterable[dict[str, str]]) -> list[FlaggedPage]:
    """Group review.csv lines by (source_file, page), sorted."""
    grouped: dict[PageKey, list[dict[str, str]]] = {}
    for row in rows:
        key = (row.get("source_file", ""), page_number(row.get("page")))
        grouped.setdefault(key, []).append(row)
    return [lines_to_page(key, lines) for key, lines in sorted(grouped.items())]


def lines_to_page(key: PageKey, lines: list[dict[str, str]]) -> FlaggedPage:
    reasons = sorted({(line.get("reason", ""), line.get("detail", "")) for line in lines})
    images = sorted({line.get("image", "") for line in lines} - {""})
    hashes = sorted({line.get("doc_sha256", "") for line in lines} - {""})
    return FlaggedPage(
        source_file=key[0],
        doc_sha256=hashes[0] if hashes else "",
        page=key[1],
        reasons=tuple(reasons),
        image=images[0] if images else "",
    )


def rows_by_page(rows: Iterable[dict[str, str]]) -> dict[PageKey, list[dict[str, str]]]:
    """indicators.csv / budget.csv rows keyed by page, each list in table/row order."""
    grouped: dict[PageKey, list[dict[str, str]]] = {}
    for row in rows:
        key = (row.get("source_file", ""), page_number(row.get("page")))
        grouped.setdefault(key, []).append(row)
    return {key: sorted(found, key=table_row_order) for key, found in grouped.items()}


def table_row_order(row: dict[str, str]) -> tuple[int, int]:
    return (page_number(row.get("table_index")), page_number(row.get("row_index")))


def safe_image_src(image: str) -> str | None:
    """A URL for an <img> relative to review/, or None when the path could leave it."""
    path = PurePosixPath(image)
    if not image or "\\" in image or ":" in image or path.is_absolute() or ".." in path.parts:
        return None
    return quote(image)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_table(
    caption: str, columns: Sequence[tuple[str, str]], rows: list[dict[str, str]]
) -> str:
    head = "".join(f"<th>{esc(label)}</th>" for _, label in columns)
    body = [f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>"]
    for row in rows:
        flagged = ' class="flagged"' if row.get("needs_review", "") == "1" else ""
        cells = "".join(render_cell(name, row.get(name, "")) for name, _ in columns)
        body.append(f"<tr{flagged}>{cells}</tr>")
    body.append("</tbody></table>")
    return "".join(body)


def render_cell(name: str, text: str) -> str:
    numeric = ' class="num"' if name in NUMERIC_COLUMNS else ""
    return f"<td{numeric}>{esc(text)}</td>"


def render_picture(flagged: FlaggedPage) -> str:
    src = safe_image_src(flagged.image)
    if src is None:
        return '<div class="picture"><p class="none">no picture for this page</p></div>'
    alt = esc(f"page {flagged.page} of {flagged.source_file} ({flagged.image})")
    return f'<div class="picture"><a href="{src}"><img src="{src}" alt="{alt}"></a></div>'


def render_reasons(flagged: FlaggedPage) -> str:
    items = "".join(
        f'<li><span class="code">{esc(code)}</span>{esc(detail)}</li>'
        for code, detail in flagged.reasons
    )
    return f'<ul class="reasons">{items}</ul>'


def render_section(
    flagged: FlaggedPage, indicators: list[dict[str, str]], budget: list[dict[str, str]]
) -> str:
    """One flagged page: its picture beside its reasons and the rows extracted from it."""
    tables = []
    if indicators:
        tables.append(render_table(f"Indikator ({len(indicators)})", INDICATOR_COLUMNS, indicators))
    if budget:
        tables.append(render_table(f"Anggaran ({len(budget)})", BUDGET_COLUMNS, budget))
    if not tables:
        tables.append('<p class="empty">no rows were extracted from this page</p>')
    page_key = f"{flagged.source_file}#p{flagged.page}"
    title = f"{esc(flagged.source_file)} &middot; page {flagged.page}"
    sha = f' <span class="sha">{esc(flagged.doc_sha256[:12])}</span>' if flagged.doc_sha256 else ""
    return (
        f'<section class="page" data-page-key="{esc(page_key)}" '
        f'data-reasons="{esc(" ".join(flagged.codes))}">'
        f"{render_picture(flagged)}"
        f'<div class="facts"><h2>{title}{sha}</h2>{render_reasons(flagged)}{"".join(tables)}</div>'
        "</section>"
    )


def reason_page_counts(pages: Sequence[FlaggedPage]) -> list[tuple[str, int]]:
    """How many flagged pages carry each reason code, by code."""
    counts = Counter(code for flagged in pages for code in flagged.codes)
    return sorted(counts.items())


def render_filters(pages: Sequence[FlaggedPage]) -> str:
    buttons = [
        f'<button type="button" data-reason="">all<span class="n">{len(pages)}</span></button>'
    ]
    for code, count in reason_page_counts(pages):
        buttons.append(
            f'<button type="button" data-reason="{esc(code)}">{esc(code)}'
            f'<span class="n">{count}</span></button>'
        )
    return "\n".join(f"    {button}" for button in buttons)


def render_summary(pages: Sequence[FlaggedPage]) -> str:
    files = len({flagged.source_file for flagged in pages})
    reasons = sum(len(flagged.reasons) for flagged in pages)
    return f"{len(pages)} flagged pages in {files} files, {reasons} reasons."


def render_review_html(
    pages: Sequence[FlaggedPage],
    indicators: dict[PageKey, list[dict[str, str]]],
    budget: dict[PageKey, list[dict[str, str]]],
) -> str:
    """The whole review page as a string (pure)."""
    sections = [
        render_section(flagged, indicators.get(flagged.key, []), budget.get(flagged.key, []))
        for flagged in pages
    ]
    template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return template.substitute(
        title="kinerja review queue",
        page_count=len(pages),
        summary=esc(render_summary(pages)),
        filters=render_filters(pages),
        sections="\n".join(sections) or '<p class="empty">no page was flagged in this run</p>',
    )


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` via a temp file, fsync and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, FILE_MODE)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def build_review_html(out_dir: Path) -> Path:
    """Read OUT/review/review.csv, OUT/indicators.csv and OUT/budget.csv; write
    OUT/review/index.html and return its path."""
    out_dir = Path(out_dir)
    review_dir = out_dir / REVIEW_DIR
    pages = review_rows_to_pages(read_csv_rows(review_dir / REVIEW_CSV))
    indicators = rows_by_page(read_csv_rows(out_dir / "indicators.csv"))
    budget = rows_by_page(read_csv_rows(out_dir / "budget.csv"))
    return write_text_atomic(
        review_dir / REVIEW_HTML, render_review_html(pages, indicators, budget)
    )

"""Generate the sample PDFs, their truth CSVs, manifest.csv and README.md.

Run from the repository root: `python samples/generate.py` (or `make samples`). The documents are
specified in samples/source/*.json with the real rows of the seed documents; each is rendered
born-digital (samples/born/), as a degraded scan (samples/scan/), and some also as a mix of both
(samples/mixed/); samples/bad/ holds a truncated PDF and a blank + photo PDF. Output is
deterministic: running twice gives byte-identical files.

Example: python samples/generate.py --only pk-mojokerto-2024-ketua --out /tmp/samples
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent
if __package__ in (None, ""):  # run as a script: make `samples.builder` importable
    sys.path.insert(0, str(SAMPLES.parent))

from samples.builder import scan  # noqa: E402
from samples.builder.born import render_born, render_mixed  # noqa: E402
from samples.builder.model import load_specs, spec_truth  # noqa: E402
from samples.builder.outputs import (  # noqa: E402
    ManifestRow,
    readme_text,
    write_manifest,
    write_truth,
)
from samples.builder.tables import PageLog  # noqa: E402

SOURCE = SAMPLES / "source"
README_HEAD = SAMPLES / "builder" / "README.head.md"
KINDS = ("born", "scan", "mixed", "bad")
TRUNCATE_SOURCE = "pk-mojokerto-2024-sekretaris"
TRUNCATE_FRACTION = 0.35  # cut inside the first page's content stream: nothing survives
BAD_STEM = "bad"


@dataclass
class Written:
    """What one generate() call produced."""

    files: list[Path]
    manifest: list[ManifestRow]


def stamp_label(spec: dict[str, Any]) -> str:
    unit = spec["satker"].removeprefix("Sekretariat ").removeprefix("KPU ")
    return f"KOMISI PEMILIHAN UMUM {unit.upper()}"


def page_count(pdf: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def joined(values: Iterable[object]) -> str:
    return ";".join(str(v) for v in values)


def born_outputs(spec: dict[str, Any], out: Path, pdf: bytes, log: PageLog) -> Written:
    stem = spec["stem"]
    path = out / "born" / f"{stem}.pdf"
    path.write_bytes(pdf)
    indicators, budget = spec_truth(spec)
    truth = write_truth(out / "truth", stem, f"born/{stem}.pdf", log, indicators, budget)
    row = ManifestRow(
        f"born/{stem}.pdf", "born", "", "", "", "", spec["exercises"], page_count(pdf)
    )
    return Written([path, *truth], [row])


def scan_outputs(spec: dict[str, Any], out: Path, pdf: bytes, log: PageLog) -> Written:
    dpi = int(spec["scan_dpi"])
    stem = f"{spec['stem']}-{dpi}dpi"
    pages = list(range(1, page_count(pdf) + 1))
    rotate = set(spec.get("scan_rotate_pages", []))
    scans = scan.scan_pages(pdf, stem, dpi, log.marks, stamp_label(spec), pages, rotate)
    path = out / "scan" / f"{stem}.pdf"
    path.write_bytes(scan.scans_to_pdf(scans, stem))
    indicators, budget = spec_truth(spec)
    truth = write_truth(out / "truth", stem, f"scan/{stem}.pdf", log, indicators, budget)
    exercises = (
        f"image-only scan of born/{spec['stem']}.pdf (same rows, OCR path): skewed, faded "
        "photocopy with a stamp and signatures over the signature block"
    )
    if rotate:
        exercises += f"; page {joined(sorted(rotate))} turned sideways (90 degrees)"
    row = ManifestRow(
        f"scan/{stem}.pdf",
        "scan",
        str(dpi),
        joined(s.skew for s in scans),
        joined(s.rotation for s in scans),
        scan.DEGRADATIONS,
        exercises,
        len(scans),
    )
    return Written([path, *truth], [row])


def mixed_outputs(spec: dict[str, Any], out: Path, pdf: bytes, log: PageLog) -> Written:
    """Pages before `mixed_scan_from_page` stay born-digital, the rest are scans."""
    first_scanned = int(spec["mixed_scan_from_page"])
    upto = [b["type"] for b in spec["blocks"]].index("pagebreak")
    if page_count(render_born(spec, upto)[0]) != first_scanned - 1:
        raise ValueError(
            f"{spec['stem']}: blocks before the first page break must fill "
            f"exactly {first_scanned - 1} page(s)"
        )
    dpi, stem = int(spec["scan_dpi"]), f"{spec['stem']}-mixed"
    pages = list(range(first_scanned, page_count(pdf) + 1))
    scans = scan.scan_pages(pdf, stem, dpi, log.marks, stamp_label(spec), pages, set())
    path = out / "mixed" / f"{stem}.pdf"
    path.write_bytes(render_mixed(spec, upto, scans))
    indicators, budget = spec_truth(spec)
    truth = write_truth(out / "truth", stem, f"mixed/{stem}.pdf", log, indicators, budget)
    born_marks = ["-"] * (first_scanned - 1)
    row = ManifestRow(
        f"mixed/{stem}.pdf",
        "mixed",
        str(dpi),
        joined(born_marks + [s.skew for s in scans]),
        joined(born_marks + [s.rotation for s in scans]),
        scan.DEGRADATIONS,
        f"pages 1-{first_scanned - 1} born-digital, pages {first_scanned}-{page_count(pdf)} "
        f"scanned (one document, both extraction paths); {spec['exercises']}",
        first_scanned - 1 + len(scans),
    )
    return Written([path, *truth], [row])


def bad_outputs(out: Path, specs: dict[str, dict[str, Any]]) -> Written:
    """A truncated PDF and a PDF whose pages hold no table (blank sheet, photo)."""
    source = render_born(specs[TRUNCATE_SOURCE])[0]
    truncated = out / "bad" / "corrupt-truncated.pdf"
    truncated.write_bytes(source[: int(len(source) * TRUNCATE_FRACTION)])
    rng = scan.page_rng(BAD_STEM, 1)
    pages = [
        scan.image_page(scan.blank_page(150, rng), 150, rng),
        scan.image_page(scan.photo_page(150, rng), 150, rng),
    ]
    blank = out / "bad" / "blank-and-photo.pdf"
    blank.write_bytes(scan.scans_to_pdf(pages, "blank-and-photo"))
    rows = [
        ManifestRow(
            "bad/corrupt-truncated.pdf",
            "bad",
            "",
            "",
            "",
            "truncated",
            f"the first {TRUNCATE_FRACTION:.0%} of born/{TRUNCATE_SOURCE}.pdf: "
            "no xref, no trailer (PDF_UNREADABLE); no truth",
            0,
        ),
        ManifestRow(
            "bad/blank-and-photo.pdf",
            "bad",
            "150",
            "0;0",
            "0;0",
            "fade;noise;jpeg",
            "page 1 blank paper, page 2 a photo-like picture: no table, no text "
            "(EMPTY_PAGE); no truth",
            2,
        ),
    ]
    return Written([truncated, blank], rows)


def clean(out: Path) -> None:
    """Remove earlier outputs so that renamed samples do not linger (truth/real is kept)."""
    for kind in KINDS:
        for old in (out / kind).glob("*.pdf"):
            old.unlink()
    for old in (out / "truth").glob("*.csv"):
        old.unlink()


def generate(out_dir: Path = SAMPLES, only: list[str] | None = None) -> Written:
    """Write the samples into out_dir; `only` limits it to the named specs (no bad/, no
    manifest or README), which is what the regeneration test uses."""
    specs = {spec["stem"]: spec for spec in load_specs(SOURCE)}
    unknown = set(only or []) - set(specs)
    if unknown:
        raise ValueError(f"unknown sample(s): {sorted(unknown)}")
    for kind in (*KINDS, "truth"):
        (out_dir / kind).mkdir(parents=True, exist_ok=True)
    if only is None:
        clean(out_dir)
    result = Written([], [])
    for stem in only or sorted(specs):
        spec = specs[stem]
        pdf, log = render_born(spec)
        parts = [born_outputs(spec, out_dir, pdf, log), scan_outputs(spec, out_dir, pdf, log)]
        if "mixed_scan_from_page" in spec:
            parts.append(mixed_outputs(spec, out_dir, pdf, log))
        for part in parts:
            result.files += part.files
            result.manifest += part.manifest
    if only is None:
        bad = bad_outputs(out_dir, specs)
        result.files += bad.files
        result.manifest += bad.manifest
        write_manifest(out_dir / "manifest.csv", result.manifest)
        readme = readme_text(README_HEAD.read_text(encoding="utf-8"), result.manifest)
        (out_dir / "README.md").write_text(readme, encoding="utf-8")
        result.files += [out_dir / "manifest.csv", out_dir / "README.md"]
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES, help="output folder")
    parser.add_argument("--only", action="append", help="generate just this spec (repeatable)")
    args = parser.parse_args(argv)
    result = generate(args.out, args.only)
    total = sum(p.stat().st_size for p in result.files)
    print(f"wrote {len(result.files)} files, {total / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: speed, memory, resume and accuracy against anchors, in one run, as bench.json.

Example: python -m pipeline.bench --out bench-out/ --only timing,anchors

Parts (``--only``, comma-separated; all by default):
* timing   seconds per scanned page, kinerja's extract_pages (a document's scanned pages
           together, as a run reads them) against plain `tesseract IMG - -l ind+eng --psm 4
           tsv` on each page's scan at its own resolution
* born     born-digital pages per second on one core (extract_page on text pages)
* runs     whole `kinerja run` over the scanned set and over the born set with --workers 1 and
           2: pages/s, speedup, and the scanned --workers 1 run against plain tesseract over
           the same page images

Timed things are timed ``--repeat`` times (2 by default; whole runs at least 3) and the fastest
counts.
* rss      peak RSS of the largest process of a run on lakip-mixed.pdf and a 500-page PDF
* resume   a re-run over 100 already-done copies of a small sample (everything skipped)
* repair   OCR repair tokens per second over ../shared/dev/ocr_lines_dev.jsonl, start-up included
* anchors  row F1 / target accuracy / fully-correct share of img2table (scans) and pdfplumber
           (born-digital) beside kinerja's on the same files (pipeline/anchors.py)

The scanned set is samples/ files of kind `scan` plus the real fixtures with truth that have no
text layer; the born set is kind `born` plus the real fixtures with truth that are all text.
Every figure records its date, the bench command, what was measured and the machine.
"""

from __future__ import annotations

import compileall
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from pipeline import evaluate as ev

REPO_ROOT = Path(__file__).resolve().parents[1]
PARTS = ("timing", "born", "runs", "rss", "resume", "repair", "anchors")
TESSERACT_COMMAND = ("tesseract", "IMG", "-", "-l", "ind+eng", "--psm", "4", "tsv")
RESUME_COPIES = 100
REPAIR_MIN_REPEAT = 5  # a 0.15 s measurement: its spread is large, five fresh processes cheap
BIG_PDF_PAGES = 500
BORN_RUN_COPIES = 5  # the born set read this many times over in the runs part
# The runs are compared as a ratio of two fastest times, each at this VM's mercy: they get at
# least 3 rounds (2 gave 1.76x and 1.82x round by round for the same scanned code).
RUN_MIN_ROUNDS = 3
DEV_LINES = REPO_ROOT.parent / "shared" / "dev" / "ocr_lines_dev.jsonl"
# Runs the command given and reports the largest RSS among its process tree (RUSAGE_CHILDREN
# of this wrapper covers only that tree, not the bench's own earlier children).
RSS_WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "with open(sys.argv[1], 'w') as log:\n"
    "    code = subprocess.run(sys.argv[3:], stdout=log, stderr=subprocess.STDOUT).returncode\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[2], 'w').write(json.dumps({'returncode': code, 'max_rss_kb': rss}))\n"
)


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageTiming:
    """One scanned page read by kinerja and by plain tesseract from the same scan."""

    source_file: str
    page: int
    dpi: int  # the scan's own resolution: plain tesseract's image (kinerja may read it lower)
    render_seconds: float
    tesseract_seconds: float  # the fastest of the repeats
    kinerja_seconds: float
    tesseract_each: tuple[float, ...] = ()  # every repeat, in order
    kinerja_each: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class RunMeasure:
    """One `kinerja run` subprocess: wall time, pages done, the largest process's peak RSS."""

    command: tuple[str, ...]
    out: str
    returncode: int
    seconds: float
    pages: int
    max_rss_mb: float | None


@dataclass(slots=True)
class Bench:
    """What every part needs: paths, the figures so far, the kinerja runs to reuse."""

    out_dir: Path
    samples_dir: Path
    real_dir: Path
    anchors_python: Path
    command: str
    machine: dict[str, Any]
    use_real: bool = True
    repeat: int = 2  # timed things are timed this often; the fastest counts (timeit's rule)
    figures: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    runs: dict[tuple[str, ...], Path] = field(default_factory=dict)
    page_images: list[Path] = field(default_factory=list)  # the timing part's, in page order

    def add(
        self, name: str, value: float | None, unit: str, what: str, measured: str = "", **extra: Any
    ) -> None:
        self.figures.append(
            {
                "name": name,
                "value": value,
                "unit": unit,
                "what": what,
                "measured_with": measured,
                "date": now_iso(),
                "command": self.command,
                "machine": self.machine,
                # Other work on the 2 cores skews timings: the load says how quiet it was.
                "loadavg_1min": round(os.getloadavg()[0], 2),
                **extra,
            }
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- pure summaries ---------------------------------------------------------------------------


def safe_ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def page_timings_to_summary(timings: Sequence[PageTiming]) -> dict[str, float | int | None]:
    """Totals and ratios over the pages: pooled (sum / sum) and the median page's ratio."""
    kinerja = sum(t.kinerja_seconds for t in timings)
    plain = sum(t.tesseract_seconds for t in timings)
    per_page = [r for t in timings if (r := safe_ratio(t.kinerja_seconds, t.tesseract_seconds))]
    return {
        "tesseract_fastest_pass_seconds": fastest_pass(
            [t.tesseract_each or (t.tesseract_seconds,) for t in timings]
        ),
        "pages": len(timings),
        "kinerja_seconds": round(kinerja, 3),
        "tesseract_seconds": round(plain, 3),
        "render_seconds": round(sum(t.render_seconds for t in timings), 3),
        "kinerja_seconds_per_page": safe_ratio(kinerja, len(timings)),
        "tesseract_seconds_per_page": safe_ratio(plain, len(timings)),
        "ratio": safe_ratio(kinerja, plain),
        "median_page_ratio": statistics.median(per_page) if per_page else None,
    }


def fastest_pass(each_page: Sequence[Sequence[float]]) -> float | None:
    """The fastest of the repeated passes over all pages (pass i = every page's i-th time):
    what one uninterrupted plain-tesseract run over the pages costs, to set beside the
    fastest whole kinerja run. Summing each page's own fastest time would pick the luckiest
    call of every page and understate it."""
    passes = min((len(times) for times in each_page), default=0)
    if not passes:
        return None
    return round(min(sum(times[i] for times in each_page) for i in range(passes)), 3)


def pages_per_second(pages: int, seconds: float) -> float | None:
    return safe_ratio(pages, seconds)


def speedup(one: RunMeasure, two: RunMeasure) -> float | None:
    """How many times faster the second run went, in pages per second."""
    return safe_ratio(
        pages_per_second(two.pages, two.seconds), pages_per_second(one.pages, one.seconds)
    )


def scores_to_headline(scores: dict[str, Any] | None) -> dict[str, Any]:
    """The figures compared with the anchors, from one evaluate.aggregate() entry."""
    indicators = (scores or {}).get("indicators") or {}
    return {
        "truth_rows": indicators.get("truth_rows"),
        "predicted_rows": indicators.get("predicted_rows"),
        "f1": indicators.get("f1"),
        "target_accuracy": (indicators.get("field_accuracy") or {}).get("target"),
        "fully_correct": indicators.get("fully_correct"),
        "seconds_per_page": (scores or {}).get("seconds_per_page"),
    }


def resume_copy_bytes(original: bytes, index: int) -> bytes:
    """The PDF's bytes with a trailing comment: same document, different SHA-256."""
    return original + f"\n%kinerja-bench copy {index}\n".encode("ascii")


# --- machine ----------------------------------------------------------------------------------


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_facts() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").is_file() else ""
    mem_kb = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0
    )
    version = subprocess.run(
        ["tesseract", "--version"], capture_output=True, text=True, check=False
    )
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_model": cpu_model(cpuinfo),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "gpu": "none (not used)" if shutil.which("nvidia-smi") is None else "present (not used)",
        "python": platform.python_version(),
        "tesseract": (version.stdout or version.stderr).splitlines()[0]
        if version.returncode == 0
        else "missing",
        "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT", ""),
    }


# --- file sets --------------------------------------------------------------------------------


def pdf_text_share(path: Path) -> float:
    """Share of the file's pages whose text layer kinerja would use."""
    from extract.pdf import open_pdf, page_to_text_layer

    with open_pdf(path) as source:
        usable = [
            page_to_text_layer(source.plumber_page(n)).usable
            for n in range(1, source.page_count + 1)
        ]
    return sum(usable) / len(usable)


def real_truth_files(bench: Bench) -> list[Path]:
    groups = ev.split_truth(bench.samples_dir / "truth")
    found, _ = ev.locate_real_files(ev.truth_source_names(groups[ev.REAL_KIND]), bench.real_dir)
    return found


def file_set(bench: Bench, kind: str) -> list[Path]:
    """Sample files of this kind (manifest), plus real fixtures with truth of the same kind."""
    kinds = ev.read_kinds(bench.samples_dir)
    files = [bench.samples_dir / name for name, k in sorted(kinds.items()) if k == kind]
    files = [f for f in files if f.is_file()]
    if bench.use_real:
        wanted = {"scan": 0.0, "born": 1.0}[kind]
        files += [f for f in real_truth_files(bench) if pdf_text_share(f) == wanted]
    return files


# --- kinerja runs -----------------------------------------------------------------------------


def run_measured(command: Sequence[str], log_path: Path) -> tuple[int, float, float | None]:
    """(returncode, wall seconds, peak RSS MB of the largest process) of a command."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "rss.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", RSS_WRAPPER, str(log_path), str(report), *command],
            cwd=REPO_ROOT,
            env=bench_env(),
            check=False,
        )
        seconds = time.perf_counter() - started
        if not report.is_file():  # the wrapper itself failed
            return -1, seconds, None
        data = json.loads(report.read_text())
    return int(data["returncode"]), seconds, round(int(data["max_rss_kb"]) / 1024, 1)


def compile_sources() -> None:
    """Byte-compile kinerja's packages, as installing a package does. With
    PYTHONDONTWRITEBYTECODE set (it is on these machines) every process of a run would
    otherwise compile them anew: ~0.25 s a process, measured as kinerja's time."""
    for package in ("extract", "normalize", "lexicon", "pipeline"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


def bench_env() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def cli_run(
    files: Sequence[Path], out: Path, workers: int | None, fresh: bool = True
) -> RunMeasure:
    """`python -m pipeline.cli run FILES --out OUT [--workers N] --quiet`, measured."""
    if fresh and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "run",
        *map(str, files),
        "--out",
        str(out),
        "--quiet",
    ]
    command += ["--workers", str(workers)] if workers else []
    code, seconds, rss = run_measured(command, out.parent / f"{out.name}.log")
    pages = sum(int(float(r.get("pages") or 0)) for r in ev.read_csv_rows(out / "documents.csv"))
    return RunMeasure(tuple(command), str(out), code, round(seconds, 3), pages, rss)


def kinerja_run_dir(bench: Bench, files: Sequence[Path], name: str) -> Path:
    """A kinerja run over exactly these files: one made earlier in this bench, or a new one."""
    key = tuple(sorted(map(str, files)))
    if key not in bench.runs:
        measure = cli_run(files, bench.out_dir / "kinerja" / name, None)
        bench.details.setdefault("kinerja_runs", []).append(asdict(measure))
        bench.runs[key] = Path(measure.out)
    return bench.runs[key]


# --- parts ------------------------------------------------------------------------------------


def time_scanned_pages(  # type: ignore[no-untyped-def]
    source, path: Path, folder: Path, repeat: int = 1
) -> list[PageTiming]:
    """Time plain tesseract on each scanned page's scan at its own resolution (what a user of
    plain tesseract feeds it), then extract_pages on all of them, as the pipeline reads a
    document (one tesseract call for the pages' first reading, one for their doubtful cells);
    each ``repeat`` times, alternately, keeping the fastest of each (a VM's timings wander by
    +-15 % from one call to the next). A page's share of the extract_pages call is its own
    work plus an even share of the calls it shared (PageExtraction.seconds), scaled so that
    the pages add up to the call's wall time."""
    from extract import raster as rs
    from extract.page import ExtractSettings, PageWork, extract_pages
    from extract.pdf import page_to_embedded_images, page_to_text_layer
    from pipeline.document import file_sha256

    scans: list[tuple[int, int, float, Path]] = []  # page, dpi, render seconds, image
    for number in range(1, source.page_count + 1):
        plumber_page = source.plumber_page(number)
        if page_to_text_layer(plumber_page).usable:
            continue
        images = page_to_embedded_images(plumber_page)
        native = rs.native_dpi(images, float(plumber_page.width), float(plumber_page.height))
        dpi = round(native) if native else rs.DEFAULT_OCR_DPI
        started = time.perf_counter()
        raster = rs.render_page(source.pdfium_page(number), dpi)
        render_seconds = time.perf_counter() - started
        image = folder / f"{path.stem}-{number}.png"
        rs.to_pil(raster).save(image)
        scans.append((number, dpi, render_seconds, image))
    if not scans:
        return []
    sha = file_sha256(path)
    numbers = [number for number, _, _, _ in scans]
    plain: list[list[float]] = [[] for _ in scans]
    ours: list[list[float]] = [[] for _ in scans]
    for _ in range(max(1, repeat)):
        for times, (_, _, _, image) in zip(plain, scans, strict=True):
            times.append(time_plain_tesseract(image))
        for number in numbers:
            source.release_page(number)  # drop pdfplumber's cached parse: kinerja pays for it
        started = time.perf_counter()
        results = extract_pages(source, numbers, sha, ExtractSettings(), None)
        wall = time.perf_counter() - started
        clocked = [r.extraction.seconds if isinstance(r, PageWork) else r.seconds for r in results]
        share = wall / sum(clocked) if sum(clocked) > 0 else 1.0
        for times, seconds in zip(ours, clocked, strict=True):
            times.append(seconds * share)
    return [
        PageTiming(
            path.name,
            number,
            dpi,
            round(render_seconds, 3),
            round(min(plain_each), 3),
            round(min(ours_each), 3),
            tuple(round(t, 3) for t in plain_each),
            tuple(round(t, 3) for t in ours_each),
        )
        for (number, dpi, render_seconds, _), plain_each, ours_each in zip(
            scans, plain, ours, strict=True
        )
    ]


def time_plain_tesseract(image: Path) -> float:
    command = [str(image) if part == "IMG" else part for part in TESSERACT_COMMAND]
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=bench_env())
    return time.perf_counter() - started


def part_timing(bench: Bench) -> None:
    from extract.pdf import open_pdf

    timings: list[PageTiming] = []
    folder = bench.out_dir / "page-images"  # kept: the runs part times plain passes on them
    folder.mkdir(parents=True, exist_ok=True)
    for path in file_set(bench, "scan"):
        with open_pdf(path) as source:
            for timing in time_scanned_pages(source, path, folder, bench.repeat):
                timings.append(timing)
                bench.page_images.append(folder / f"{path.stem}-{timing.page}.png")
    summary = page_timings_to_summary(timings)
    bench.details["scan_pages"] = [asdict(t) for t in timings]
    bench.details["scan_timing"] = summary
    plain = " ".join(TESSERACT_COMMAND) + " (OMP_THREAD_LIMIT=1)"
    what = f"over {summary['pages']} scanned pages, fastest of {bench.repeat}"
    bench.add(
        "scan.kinerja_seconds_per_page",
        summary["kinerja_seconds_per_page"],
        "s/page",
        f"extract_pages on each document's scanned pages (render, deskew, OCR, cell "
        f"re-reads, tables) {what}",
        "extract.page.extract_pages",
    )
    bench.add(
        "scan.tesseract_seconds_per_page",
        summary["tesseract_seconds_per_page"],
        "s/page",
        f"plain tesseract on the same page images {what} (rendering not included)",
        plain,
    )
    bench.add(
        "scan.kinerja_vs_tesseract",
        summary["ratio"],
        "x",
        f"sum of kinerja seconds / sum of plain tesseract seconds {what}",
        plain,
    )
    bench.add(
        "scan.kinerja_vs_tesseract_median_page",
        summary["median_page_ratio"],
        "x",
        f"median of the per-page ratios {what}",
        plain,
    )


def part_born(bench: Bench) -> None:
    from extract.models import ExtractionKind
    from extract.page import ExtractSettings, extract_page
    from extract.pdf import open_pdf
    from pipeline.document import file_sha256

    passes = []
    for _ in range(max(1, bench.repeat)):
        pages, seconds = 0, 0.0
        for path in file_set(bench, "born"):
            sha = file_sha256(path)
            with open_pdf(path) as source:
                for number in range(1, source.page_count + 1):
                    started = time.perf_counter()
                    work = extract_page(source, number, sha, ExtractSettings(), None)
                    if work.extraction.extraction is ExtractionKind.TEXT:  # scans not counted
                        seconds += time.perf_counter() - started
                        pages += 1
        passes.append(round(seconds, 3))
    seconds = min(passes)
    bench.details["born_timing"] = {"pages": pages, "seconds": seconds, "passes": passes}
    bench.add(
        "born.pages_per_second_one_core",
        pages_per_second(pages, seconds),
        "pages/s",
        f"extract_page on {pages} text-layer pages of the born set, one process, "
        f"fastest of {len(passes)} passes",
        "extract.page.extract_page",
    )


def plain_pass_seconds(images: Sequence[Path]) -> float:
    """Plain tesseract over every page image once, one after the other."""
    return sum(time_plain_tesseract(image) for image in images)


def interleaved_runs(
    bench: Bench,
    kind: str,
    files: Sequence[Path],
    plain_images: Sequence[Path],
    rounds: int,
) -> tuple[RunMeasure, RunMeasure, float | None]:
    """``rounds`` rounds of (a plain tesseract pass over
    ``plain_images``, a --workers 1 run, a --workers 2 run), each thing's fastest kept.
    Interleaved because this VM's speed drifts by 10-30 % over minutes: what is compared must
    be measured side by side."""
    ones, twos, plains = [], [], []
    for _ in range(max(1, rounds)):
        if plain_images:
            plains.append(round(plain_pass_seconds(plain_images), 3))
        ones.append(cli_run(files, bench.out_dir / "runs" / f"{kind}-workers-1", 1))
        twos.append(cli_run(files, bench.out_dir / "runs" / f"{kind}-workers-2", 2))
    bench.details.setdefault("run_attempts", {})[kind] = {
        "plain_pass": plains,
        "workers_1": [m.seconds for m in ones],
        "workers_2": [m.seconds for m in twos],
    }
    one, two = (min(ms, key=lambda m: m.seconds) for ms in (ones, twos))
    return one, two, (min(plains) if plains else None)


def add_run_figures(bench: Bench, kind: str, one: RunMeasure, two: RunMeasure, rounds: int) -> None:
    """Pages per second with --workers 1 and 2 (fastest of ``rounds``), and the speedup."""
    bench.details[f"{kind}_runs"] = [asdict(one), asdict(two)]
    for measure, workers in ((one, 1), (two, 2)):
        bench.add(
            f"{kind}.run_pages_per_second_workers_{workers}",
            pages_per_second(measure.pages, measure.seconds),
            "pages/s",
            f"whole run over the {kind} set ({measure.pages} pages), fresh OUT, "
            f"fastest of {rounds}, exit {measure.returncode}",
            " ".join(measure.command[1:4]) + f" ... --workers {workers} --quiet",
        )
    bench.add(
        f"{kind}.run_speedup_2_vs_1",
        speedup(one, two),
        "x",
        "pages/s with --workers 2 over --workers 1 (runs interleaved)",
        "python -m pipeline.cli run ... --workers 1|2 --quiet",
    )


def part_runs(bench: Bench) -> None:
    files = file_set(bench, "scan")
    rounds = max(RUN_MIN_ROUNDS, bench.repeat)
    one, two, plain = interleaved_runs(bench, "scan", files, bench.page_images, rounds)
    add_run_figures(bench, "scan", one, two, rounds)
    bench.runs.setdefault(tuple(sorted(map(str, files))), Path(one.out))
    bench.add(
        "scan.run_vs_tesseract",
        safe_ratio(one.seconds, plain),
        "x",
        "fastest whole --workers 1 run / fastest plain tesseract pass over the same page "
        "images, the two interleaved (needs the timing part's images)",
        " ".join(TESSERACT_COMMAND),
    )
    born = born_run_files(file_set(bench, "born"), bench.out_dir / "born-copies")
    born_one, born_two, _ = interleaved_runs(bench, "born", born, (), rounds)
    add_run_figures(bench, "born", born_one, born_two, rounds)


def born_run_files(files: Sequence[Path], folder: Path) -> list[Path]:
    """The born set BORN_RUN_COPIES times over, each copy made distinct by a PDF comment. Read
    once, the set is 33 pages in ~4 s, a third of it the driver's own start and end, which no
    second worker can share: the copies make a run long enough to show what workers add."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in files:
        original = path.read_bytes()
        for index in range(BORN_RUN_COPIES):
            copy = folder / f"{path.stem}-copy{index + 1}.pdf"
            copy.write_bytes(resume_copy_bytes(original, index))
            copies.append(copy)
    return copies


def write_big_pdf(path: Path, pages: int = BIG_PDF_PAGES) -> None:
    """A PK-like page (title, ruled indicator table) repeated: the 500-page memory test."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    style = getSampleStyleSheet()["Normal"]
    rows = [["NO", "SASARAN", "INDIKATOR KINERJA", "TARGET"]] + [
        [
            str(i),
            f"Meningkatnya kualitas layanan {i}",
            f"Persentase laporan kinerja tepat waktu {i}",
            f"{80 + i}%",
        ]
        for i in range(1, 9)
    ]
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.7, colors.black)])
    story: list[Any] = []
    for number in range(pages):
        story += [
            Paragraph(f"PERJANJIAN KINERJA TAHUN 2024 - halaman {number + 1}", style),
            Table(rows, style=grid),
            PageBreak(),
        ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def part_rss(bench: Bench) -> None:
    mixed = bench.real_dir / "lakip-mixed.pdf"
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / f"repeated-{BIG_PDF_PAGES}-pages.pdf"
        write_big_pdf(big)
        for name, path in (("lakip_mixed", mixed), (f"pdf_{BIG_PDF_PAGES}_pages", big)):
            if not path.is_file():
                bench.add(f"rss.{name}_peak_mb", None, "MB", f"{path} not found")
                continue
            measure = cli_run([path], bench.out_dir / "rss" / name, 1)
            bench.details.setdefault("rss_runs", []).append(asdict(measure))
            bench.add(
                f"rss.{name}_peak_mb",
                measure.max_rss_mb,
                "MB",
                f"peak RSS of the largest process (worker or its tesseract) running {path.name} "
                f"({measure.pages} pages, {measure.seconds:.1f} s, exit {measure.returncode})",
                f"python -m pipeline.cli run {path.name} --out tmp --workers 1 --quiet",
            )


def smallest_pdf(files: Sequence[Path]) -> Path | None:
    return min(files, key=lambda f: f.stat().st_size, default=None)


def part_resume(bench: Bench) -> None:
    original = smallest_pdf(file_set(bench, "born"))
    if original is None:
        bench.add("resume.rerun_seconds", None, "s", "no born-digital sample to copy")
        return
    folder = bench.out_dir / "resume" / "inputs"
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    data = original.read_bytes()
    for index in range(RESUME_COPIES):
        (folder / f"copy-{index:03d}.pdf").write_bytes(resume_copy_bytes(data, index))
    out = bench.out_dir / "resume" / "out"
    first = cli_run([folder], out, None)
    again = cli_run([folder], out, None, fresh=False)
    bench.details["resume_runs"] = [asdict(first), asdict(again)]
    command = "python -m pipeline.cli run inputs/ --out out --quiet"
    what = f"{RESUME_COPIES} copies of {original.name} with distinct hashes"
    bench.add("resume.first_run_seconds", first.seconds, "s", f"first run over {what}", command)
    bench.add(
        "resume.rerun_seconds",
        again.seconds,
        "s",
        f"second run over the same OUT, every document already done ({what}); "
        "includes interpreter start-up",
        command,
    )


def pin_to_one_core() -> int | None:
    """Keep this process on one core (the last it may use), as the figure is per core: left
    free, the scheduler moves a 0.1 s process between this VM's two cores, and each move
    costs it its warm caches. None where affinity cannot be set."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def repair_speed(lines_path: Path) -> dict[str, Any]:
    """Repairer start-up and repair_text over every `noisy` line (run in a fresh process, kept
    on one core)."""
    core = pin_to_one_core()
    started = time.perf_counter()
    from normalize.repair import Repairer

    repairer = Repairer.default()
    startup = time.perf_counter() - started
    lines = [
        json.loads(line)["noisy"]
        for line in lines_path.read_text(encoding="utf-8").splitlines()
        if line
    ]
    for line in lines:
        repairer.repair_text(line)
    total = time.perf_counter() - started
    tokens = sum(len(line.split()) for line in lines)
    from lexicon import compiled

    return {
        "core": core,
        "code": compiled.describe(),
        "lines": len(lines),
        "tokens": tokens,
        "startup_seconds": round(startup, 3),
        "total_seconds": round(total, 3),
        "tokens_per_second": safe_ratio(tokens, total),
        "tokens_per_second_after_startup": safe_ratio(tokens, total - startup),
    }


REPAIR_CODES = {"default": {}, "python": {"KINERJA_COMPILED": "0"}}
REFERENCE_LOOP = 1_000_000  # additions of a plain Python loop: this VM's speed at the moment


def reference_loop_seconds(rounds: int = 5) -> float:
    """The fastest of ``rounds`` runs of a fixed Python loop, on one core: the same code takes
    0.09 s at one moment of this VM and 0.16 s at another, and the repair figure with it."""
    pin_to_one_core()
    best = math.inf
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(REFERENCE_LOOP):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best, 4)


RepairRuns = tuple[dict[str, list[dict[str, Any]]], list[float]]


def repair_processes(bench: Bench) -> RepairRuns | str:
    """``repair_speed`` in fresh processes, the default code and plain Python taking turns (so
    both see the same moments of this VM), with the reference loop before and after them; an
    error text if one fails."""
    code = (
        "import json, sys; from pathlib import Path; from pipeline.bench import repair_speed; "
        "print(json.dumps(repair_speed(Path(sys.argv[1]))))"
    )
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in REPAIR_CODES}
    reference = [reference_loop_in_process()]
    for _ in range(max(REPAIR_MIN_REPEAT, bench.repeat)):
        for name, env in REPAIR_CODES.items():
            done = subprocess.run(
                [sys.executable, "-c", code, str(DEV_LINES)],
                cwd=REPO_ROOT,
                env={**bench_env(), **env},
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                return f"failed: {done.stderr.strip()[-300:]}"
            results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    reference.append(reference_loop_in_process())
    return results, reference


def reference_loop_in_process() -> float:
    code = "from pipeline.bench import reference_loop_seconds; print(reference_loop_seconds())"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def part_repair(bench: Bench) -> None:
    measured_runs = repair_processes(bench)
    if isinstance(measured_runs, str):
        bench.add("repair.tokens_per_second", None, "tokens/s", measured_runs)
        return
    runs, reference = measured_runs
    fastest = {name: min(rs, key=lambda r: r["total_seconds"]) for name, rs in runs.items()}
    result, plain = fastest["default"], fastest["python"]
    each = [r["total_seconds"] for r in runs["default"]]
    median_rate = safe_ratio(result["tokens"], statistics.median(each))
    bench.details["repair"] = {
        **result,
        "total_seconds_each": each,
        "tokens_per_second_median_process": median_rate,
        "python": {**plain, "total_seconds_each": [r["total_seconds"] for r in runs["python"]]},
    }
    measured = "normalize.repair.Repairer.default().repair_text over each noisy line"
    bench.add(
        "repair.tokens_per_second",
        result["tokens_per_second"],
        "tokens/s",
        f"{result['tokens']} tokens in {result['lines']} lines, lexicon start-up included, "
        f"fastest of {len(each)} fresh processes, each kept on one core (the median "
        f"process: {median_rate or 0:.0f} tokens/s); code: {result['code']}",
        measured,
    )
    bench.add(
        "repair.tokens_per_second_python",
        plain["tokens_per_second"],
        "tokens/s",
        f"the same with KINERJA_COMPILED=0 (plain Python modules), in turns with the above; "
        f"code: {plain['code']}",
        measured,
    )
    bench.add(
        "repair.reference_loop_seconds",
        min(reference),
        "s",
        f"{REFERENCE_LOOP:,} additions of a Python loop on one core, fastest of 5, before and "
        f"after the repair processes ({reference[0]} / {reference[1]} s): this VM's speed then",
        "pipeline.bench.reference_loop_seconds",
    )
    bench.add(
        "repair.startup_seconds",
        result["startup_seconds"],
        "s",
        f"Repairer.default() in a fresh process (plain Python: {plain['startup_seconds']} s)",
        measured,
    )


def score_files(bench: Bench, run_dir: Path, files: Sequence[Path], kind: str) -> dict[str, Any]:
    """evaluate's report (pooled and per file) of a run, restricted to these files' truth."""
    groups = ev.split_truth(bench.samples_dir / "truth")
    paths = {s.name: groups["samples"][s.name] + groups[ev.REAL_KIND][s.name] for s in ev.TABLES}
    names = {f.name for f in files}
    exclude = [n for n in ev.truth_source_names(paths) if Path(n).name not in names]
    results = ev.score_group(paths, run_dir, {}, kind, exclude)
    return ev.results_to_report([r for r in results if Path(r.source_file).name in names])


def report_to_comparison(report: dict[str, Any]) -> dict[str, Any]:
    """Headline figures pooled over the files, and per file."""
    per_file = {name: scores_to_headline(entry) for name, entry in report["per_file"].items()}
    return {**scores_to_headline(report["overall"]), "per_file": per_file}


AnchorRunner = Callable[[Bench, Sequence[Path]], list[Any]]


def img2table_documents(bench: Bench, files: Sequence[Path]) -> list[Any]:
    from pipeline.anchors import run_img2table

    keep = bench.out_dir / "anchors" / "img2table" / "img2table.json"
    return run_img2table([(f, f.name) for f in files], bench.anchors_python, keep)


def pdfplumber_documents(bench: Bench, files: Sequence[Path]) -> list[Any]:
    from pipeline.anchors import run_pdfplumber

    return [run_pdfplumber(f, f.name) for f in files]


ANCHORS: tuple[tuple[str, str, AnchorRunner], ...] = (
    ("scan", "img2table", img2table_documents),
    ("born", "pdfplumber", pdfplumber_documents),
)


def part_anchors(bench: Bench) -> None:
    from pipeline.anchors import read_document_infos, tables_found, write_anchor_run

    comparison: dict[str, Any] = {}
    for kind, tool, runner in ANCHORS:
        files = file_set(bench, kind)
        ours_dir = kinerja_run_dir(bench, files, kind)
        anchor_dir = bench.out_dir / "anchors" / tool
        try:
            documents = runner(bench, files)
        except (FileNotFoundError, subprocess.SubprocessError) as exc:
            bench.add(f"anchors.{kind}.{tool}.f1", None, "", f"anchor not run: {exc}")
            continue
        write_anchor_run(documents, read_document_infos(ours_dir), anchor_dir)
        entry: dict[str, Any] = {
            "files": [f.name for f in files],
            f"{tool}_tables_found": tables_found(documents),
            "kinerja": report_to_comparison(score_files(bench, ours_dir, files, kind)),
            tool: report_to_comparison(score_files(bench, anchor_dir, files, kind)),
        }
        comparison[kind] = entry
        for who in ("kinerja", tool):
            for metric in ("f1", "target_accuracy", "fully_correct"):
                bench.add(
                    f"anchors.{kind}.{who}.{metric}",
                    entry[who][metric],
                    "share",
                    f"indicator rows of {len(files)} {kind} files vs truth "
                    f"({entry[who]['predicted_rows']} predicted, {entry[who]['truth_rows']} truth)",
                    "pipeline.evaluate scoring of OUT/"
                    + ("kinerja/" if who == "kinerja" else "anchors/")
                    + (kind if who == "kinerja" else tool),
                )
    bench.details["anchors"] = comparison


PART_FUNCTIONS: dict[str, Callable[[Bench], None]] = {
    "timing": part_timing,
    "born": part_born,
    "runs": part_runs,
    "rss": part_rss,
    "resume": part_resume,
    "repair": part_repair,
    "anchors": part_anchors,
}


# --- report -----------------------------------------------------------------------------------


def format_value(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"


def format_figures(figures: Sequence[dict[str, Any]]) -> str:
    """name, value, unit and the 1-minute load average when it was measured."""
    width = max((len(f["name"]) for f in figures), default=10)
    lines = [f"{'figure':<{width}}  {'value':>10}  {'unit':<9} load"]
    for f in figures:
        value = format_value(f["value"])
        lines.append(
            f"{f['name']:<{width}}  {value:>10}  {f['unit']:<9} {f.get('loadavg_1min', '')}"
        )
    return "\n".join(lines)


def parse_parts(only: str | None) -> list[str]:
    """The parts to run, in PARTS order; unknown names raise ValueError."""
    if not only:
        return list(PARTS)
    wanted = {p.strip() for p in only.split(",") if p.strip()}
    unknown = wanted - set(PARTS)
    if unknown:
        raise ValueError(
            f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}"
        )
    return [p for p in PARTS if p in wanted]


def write_report(bench: Bench, parts: Sequence[str], seconds: float, path: Path) -> None:
    report = {
        "date": now_iso(),
        "command": bench.command,
        "machine": bench.machine,
        "parts": list(parts),
        "seconds": round(seconds, 1),
        "figures": bench.figures,
        "details": bench.details,
    }
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench-out"),
    show_default=True,
    help="Where runs, anchors and bench.json go.",
)
@click.option(
    "--only", default=None, help=f"Comma-separated parts: {','.join(PARTS)} (default: all)."
)
@click.option(
    "--samples",
    "samples_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=REPO_ROOT / "samples",
    show_default=True,
)
@click.option(
    "--real-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ev.DEFAULT_REAL_DIR,
    show_default=True,
    help="Real fixtures (lakip-mixed.pdf, files with truth).",
)
@click.option(
    "--anchors-python",
    type=click.Path(dir_okay=False, path_type=Path),
    default=REPO_ROOT / ".venv-anchors" / "bin" / "python",
    show_default=True,
    help="Python of the venv with img2table (make anchors).",
)
@click.option("--no-real", is_flag=True, help="Only samples/ in the scanned and born sets.")
@click.option(
    "--repeat",
    default=2,
    show_default=True,
    type=click.IntRange(1, 10),
    help="Time each page and each run this often; the fastest counts.",
)
def main(
    out_dir: Path,
    only: str | None,
    samples_dir: Path,
    real_dir: Path,
    anchors_python: Path,
    no_real: bool,
    repeat: int,
) -> None:
    """Measure speed, memory, resume and accuracy against anchors; write OUT/bench.json.

    Example: python -m pipeline.bench --out bench-out/ --only timing,anchors
    """
    try:
        parts = parse_parts(only)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from exc
    os.environ["OMP_THREAD_LIMIT"] = "1"  # also for the in-process extract_page calls
    out_dir.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python -m pipeline.bench", *sys.argv[1:]])
    bench = Bench(
        out_dir.resolve(),
        samples_dir.resolve(),
        real_dir.resolve(),
        anchors_python.absolute(),
        command,
        machine_facts(),
        use_real=not no_real,
        repeat=repeat,
    )
    compile_sources()
    started = time.perf_counter()
    for part in parts:
        click.echo(f"bench: {part} ...", err=True)
        PART_FUNCTIONS[part](bench)
        # Written after every part: a long bench that dies late keeps what it measured.
        write_report(bench, parts, time.perf_counter() - started, out_dir / "bench.json")
    click.echo(format_figures(bench.figures))
    click.echo(f"wrote {out_dir / 'bench.json'}", err=True)


if __name__ == "__main__":
    main()

"""The kinerja command line: one click group, a few verbs.

Only this module turns errors into exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import click

from extract.page import ExtractSettings
from extract.tesseract import DEFAULT_LANG, TesseractError, check_languages
from pipeline.run import EXIT_USAGE, RunSettings, RunUsageError, run_batch


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kinerja")
def cli() -> None:
    """Turn scanned and born-digital KPU PK / RKT / LAKIP documents into CSV datasets."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Parallel documents (default: cores).",
)
@click.option(
    "--dpi",
    type=click.IntRange(50, 600),
    default=None,
    help="Read scans at this dpi (default: the scan's own, within 150-200).",
)
@click.option("--lang", default=DEFAULT_LANG, show_default=True, help="Tesseract languages.")
@click.option(
    "--page-timeout",
    type=click.FloatRange(min=1),
    default=120.0,
    show_default=True,
    help="Seconds per page before PAGE_TIMEOUT.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=None,
    help="Read at most this many pages per document.",
)
@click.option("--force", is_flag=True, help="Redo documents already done in OUT.")
@click.option("--strict", is_flag=True, help="Stop at the first failure instead of flagging it.")
@click.option(
    "--no-repair",
    "no_repair",
    is_flag=True,
    help="Keep OCR text as tesseract read it (to measure what the lexicon repair adds).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--scheduler", default=None, help="Dask scheduler address, or 'local' for a LocalCluster."
)
def run(
    inputs: tuple[Path, ...],
    out_dir: Path,
    workers: int | None,
    dpi: int | None,
    lang: str,
    page_timeout: float,
    max_pages: int | None,
    force: bool,
    strict: bool,
    no_repair: bool,
    quiet: bool,
    scheduler: str | None,
) -> None:
    """Extract indicator and budget rows from PDFs (files or folders, recursively).

    Example: kinerja run samples/ --out out/
    """
    try:
        check_languages(lang)
    except TesseractError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    settings = RunSettings(
        extract=ExtractSettings(dpi=dpi, lang=lang, page_timeout=page_timeout),
        workers=workers or RunSettings().workers,
        max_pages=max_pages,
        force=force,
        strict=strict,
        quiet=quiet,
        scheduler=scheduler,
        repair_ocr=not no_repair,
    )
    try:
        summary = run_batch(list(inputs), out_dir, settings)
    except RunUsageError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(summary.line())
    if summary.reasons:
        click.echo(
            "flags: " + ", ".join(f"{code} {count}" for code, count in summary.reasons.items())
        )
    click.echo(
        f"outputs in {out_dir}/ (indicators.csv, budget.csv, documents.csv, pages.csv, "
        "review/index.html)"
    )
    sys.exit(summary.exit_code)


@cli.command()
@click.argument("file", required=False, type=click.File("r", encoding="utf-8"))
@click.option(
    "--jsonl",
    is_flag=True,
    help="Read objects with a 'noisy' field, write them with a 'text' field.",
)
def repair(file: TextIO | None, jsonl: bool) -> None:
    """Repair OCR noise line by line (stdin to stdout without FILE).

    Example: kinerja repair noisy.txt > clean.txt
    """
    from normalize.repair import repair_jsonl, repair_lines

    stream = file or sys.stdin
    lines = (line.rstrip("\n") for line in stream)
    for line in repair_jsonl(lines) if jsonl else repair_lines(lines):
        click.echo(line)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--page", "page_number", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--out",
    "out_png",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PNG to write (default: FILE-pN.png).",
)
@click.option("--dpi", type=click.IntRange(50, 600), default=None)
def inspect(file: Path, page_number: int, out_png: Path | None, dpi: int | None) -> None:
    """Draw a page with its words, rulings, cells and their row/column, and print its tables.

    Example: kinerja inspect samples/scan/rkt-kuburaya-2024-200dpi.pdf --page 2 --out p2.png
    """
    from pipeline.inspect import inspect_page

    target = out_png or Path(f"{file.stem}-p{page_number}.png")
    try:
        report = inspect_page(file, page_number, target, ExtractSettings(dpi=dpi))
    except Exception as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report)


@cli.command()
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def review(out_dir: Path) -> None:
    """Rebuild OUT/review/index.html from OUT/review/review.csv.

    Example: kinerja review out/
    """
    from pipeline.review import build_review_html

    try:
        click.echo(build_review_html(out_dir))
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def reconcile(out_dir: Path) -> None:
    """Match PK targets to LAKIP results again on existing outputs.

    Example: kinerja reconcile out/
    """
    from pipeline.reconcile import reconcile_out_dir

    try:
        click.echo(reconcile_out_dir(out_dir))
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.option("--lang", default=DEFAULT_LANG, show_default=True)
def doctor(lang: str) -> None:
    """Check tesseract, its languages and the lexicon; print the versions a run records.

    Example: kinerja doctor
    """
    from pipeline.versions import tool_versions

    try:
        check_languages(lang)
    except TesseractError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(json.dumps(tool_versions(lang), indent=2, sort_keys=True))


@cli.group()
def lexicon() -> None:
    """The KPU lexicon under lexicon/data."""


@lexicon.command("build")
@click.option(
    "--shared",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("../shared"),
    show_default=True,
    help="The shared folder with domain/, seeds/ and lexicon-sources/.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Default: the lexicon package's data folder.",
)
def lexicon_build(shared: Path, out_dir: Path | None) -> None:
    """Regenerate the lexicon files deterministically from their sources.

    Example: kinerja lexicon build --shared ../shared
    """
    from lexicon.build import build_lexicon

    target = out_dir or Path(__file__).resolve().parent.parent / "lexicon" / "data"
    for path in build_lexicon(shared, target):
        click.echo(path)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

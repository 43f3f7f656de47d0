"""The batch loop: find inputs, skip what is done, process the rest in parallel, assemble.

Each document's result is written to OUT/parts/<sha256>.json atomically before the catalog
marks it done; the CSVs are assembled from the parts on every run, in a stable order.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from extract.page import ExtractSettings
from extract.tesseract import OcrEngine
from pipeline import export
from pipeline.catalog import Catalog
from pipeline.document import IMAGE_SUFFIXES, DocumentJob, DocumentResult, file_sha256, process_document

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FILES_FAILED = 3
PDF_SUFFIXES = (".pdf",)
log = logging.getLogger("kinerja")


@dataclass(frozen=True, slots=True)
class RunSettings:
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    workers: int = max(1, os.cpu_count() or 1)
    max_pages: int | None = None
    force: bool = False
    strict: bool = False
    quiet: bool = False
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    source_file: str

    @property
    def supported(self) -> bool:
        return self.path.suffix.lower() in PDF_SUFFIXES + IMAGE_SUFFIXES


@dataclass(slots=True)
class RunSummary:
    documents: int = 0
    pages: int = 0
    indicator_rows: int = 0
    budget_rows: int = 0
    flagged_pages: int = 0
    failed_files: int = 0
    skipped_done: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_FILES_FAILED if self.failed_files else EXIT_OK

    def line(self) -> str:
        return (
            f"{self.documents} documents, {self.pages} pages, {self.indicator_rows} indicator rows, "
            f"{self.budget_rows} budget rows, {self.flagged_pages} flagged pages, "
            f"{self.failed_files} failed files, {self.seconds:.1f} s"
            + (f" ({self.skipped_done} already done)" if self.skipped_done else "")
        )


def discover_inputs(inputs: Sequence[Path]) -> list[InputFile]:
    """Files as given, folders recursively; source_file relative to the folder given."""
    found: dict[str, InputFile] = {}
    for given in inputs:
        if given.is_dir():
            for path in sorted(p for p in given.rglob("*") if p.is_file() and not p.name.startswith(".")):
                relative = path.relative_to(given).as_posix()
                found.setdefault(relative, InputFile(path, relative))
        else:
            found.setdefault(given.name, InputFile(given, given.name))
    return [found[key] for key in sorted(found)]


def run_batch(inputs: Sequence[Path], out_dir: Path, settings: RunSettings, engine: OcrEngine | None = None) -> RunSummary:
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    _configure_log(out_dir)
    catalog = Catalog(out_dir / "catalog.sqlite")
    if settings.force:
        catalog.forget_all()
    files = discover_inputs(inputs)
    plan = plan_batch(files, catalog, out_dir)
    summary = RunSummary(skipped_done=sum(1 for item in plan if item.part and not item.duplicate_of))
    try:
        for item, result in process_pending(plan, out_dir, settings, engine):
            part = write_part(out_dir, item.doc_sha256, result)
            catalog.mark(item.file.source_file, item.doc_sha256, "done", part, result.document.get("seconds"), result.document.get("error") or None)
            item.part = part
    finally:
        catalog.close()
    assemble(plan, out_dir, summary)
    summary.seconds = round(time.perf_counter() - started, 2)
    write_run_json(out_dir, settings, summary)
    log.info(summary.line())
    return summary


@dataclass(slots=True)
class PlanItem:
    file: InputFile
    doc_sha256: str
    part: str | None = None  # set once the document is done
    duplicate_of: str = ""
    skip_reason: str = ""


def plan_batch(files: list[InputFile], catalog: Catalog, out_dir: Path) -> list[PlanItem]:
    """Hash every file; reuse finished parts; a file whose bytes came earlier is a duplicate."""
    plan: list[PlanItem] = []
    first_by_hash: dict[str, str] = {}
    for file in files:
        try:
            digest = file_sha256(file.path)
        except OSError as exc:
            plan.append(PlanItem(file, "", skip_reason=f"PDF_UNREADABLE: cannot read the file ({exc.strerror or exc})"))
            continue
        if not file.supported:
            plan.append(PlanItem(file, digest, skip_reason=f"not a PDF or image scan ({file.path.suffix or 'no extension'})"))
            continue
        item = PlanItem(file, digest, part=catalog.done_part_for_hash(digest, out_dir))
        if digest in first_by_hash:
            item.duplicate_of = first_by_hash[digest]
        else:
            first_by_hash[digest] = file.source_file
        plan.append(item)
    return plan


def process_pending(plan: list[PlanItem], out_dir: Path, settings: RunSettings, engine: OcrEngine | None) -> Iterator[tuple[PlanItem, DocumentResult]]:
    pending = [i for i in plan if not i.part and not i.duplicate_of and not i.skip_reason]
    jobs = {id(i): DocumentJob(i.file.path, i.file.source_file, i.doc_sha256, out_dir, settings.extract, settings.max_pages, settings.strict) for i in pending}
    progress = tqdm(total=len(pending), unit="doc", disable=settings.quiet or not pending, file=sys.stderr, dynamic_ncols=True)
    pages = flagged = 0
    started = time.perf_counter()
    for item, result in _results(pending, jobs, settings, engine):
        pages += int(result.document.get("pages") or 0)
        flagged += int(result.document.get("pages_review") or 0)
        rate = pages / max(1e-6, time.perf_counter() - started)
        progress.set_postfix_str(f"{pages} pages, {rate:.2f} pages/s, {flagged} flagged")
        progress.update(1)
        log.info("%s: %s, %s pages, %.1f s", item.file.source_file, result.document["status"], result.document["pages"], result.document["seconds"])
        yield item, result
    progress.close()


def _results(pending: list[PlanItem], jobs: dict[int, DocumentJob], settings: RunSettings, engine: OcrEngine | None) -> Iterator[tuple[PlanItem, DocumentResult]]:
    if settings.scheduler:
        from pipeline.distributed import results_on_cluster

        yield from results_on_cluster(pending, jobs, settings.scheduler)
        return
    if settings.workers == 1 or len(pending) <= 1 or engine is not None:
        # An injected engine (tests) lives in this process; one document needs no pool.
        for item in pending:
            yield item, process_document(jobs[id(item)], engine)
        return
    with ProcessPoolExecutor(max_workers=min(settings.workers, len(pending))) as pool:
        futures: dict[Future[DocumentResult], PlanItem] = {}
        queue = list(pending)
        while queue or futures:
            while queue and len(futures) < settings.workers * 2:
                item = queue.pop(0)
                futures[pool.submit(process_document, jobs[id(item)])] = item
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                yield futures.pop(future), future.result()


def write_part(out_dir: Path, doc_sha256: str, result: DocumentResult) -> str:
    relative = f"parts/{doc_sha256}.json"
    export.write_atomic(out_dir / relative, json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True))
    return relative


def load_part(out_dir: Path, relative: str) -> dict[str, Any]:
    return json.loads((out_dir / relative).read_text(encoding="utf-8"))


def _renamed(records: list[dict[str, Any]], source_file: str) -> list[dict[str, Any]]:
    """A part made for the same bytes under another name serves this file too."""
    return [{**r, "source_file": source_file} for r in records]


def assemble(plan: list[PlanItem], out_dir: Path, summary: RunSummary) -> None:
    """Build every output file from the parts, in source_file / page / table / row order."""
    tables: dict[str, list[dict[str, Any]]] = {"documents": [], "pages": [], "indicators": [], "budget": [], "review": []}
    for item in plan:
        _assemble_item(item, out_dir, tables, summary)
    export.write_csv(out_dir / "indicators.csv", export.sort_records(tables["indicators"]), export.INDICATOR_COLUMNS)
    export.write_csv(out_dir / "budget.csv", export.sort_records(tables["budget"]), export.BUDGET_COLUMNS)
    export.write_csv(out_dir / "documents.csv", sorted(tables["documents"], key=lambda r: r["source_file"]), export.DOCUMENT_COLUMNS)
    export.write_csv(out_dir / "pages.csv", export.sort_records(tables["pages"], ("source_file", "page")), export.PAGE_COLUMNS)
    review = export.sort_records(tables["review"], ("source_file", "page"))
    export.write_csv(out_dir / "review" / "review.csv", review, export.REVIEW_COLUMNS)
    summary.reasons = dict(sorted(Counter(r["reason"] for r in review).items()))
    from pipeline.reconcile import reconcile_out_dir
    from pipeline.review import build_review_html

    build_review_html(out_dir)
    reconcile_out_dir(out_dir)


def _assemble_item(item: PlanItem, out_dir: Path, tables: dict[str, list[dict[str, Any]]], summary: RunSummary) -> None:
    name = item.file.source_file
    summary.documents += 1
    if item.skip_reason:
        tables["documents"].append({"source_file": name, "doc_sha256": item.doc_sha256, "status": "skipped", "error": item.skip_reason, "pages": 0})
        return
    if item.duplicate_of:
        tables["documents"].append({"source_file": name, "doc_sha256": item.doc_sha256, "status": "ok", "pages": 0, "indicators": 0, "budget_rows": 0, "duplicate_of": item.duplicate_of})
        return
    if not item.part:
        tables["documents"].append({"source_file": name, "doc_sha256": item.doc_sha256, "status": "failed", "error": "not processed (run interrupted)"})
        summary.failed_files += 1
        return
    part = load_part(out_dir, item.part)
    document = {**part["document"], "source_file": name}
    tables["documents"].append(document)
    for key in ("pages", "indicators", "budget", "review"):
        tables[key].extend(_renamed(part[key], name))
    summary.pages += int(document.get("pages") or 0)
    summary.flagged_pages += int(document.get("pages_review") or 0)
    summary.indicator_rows += len(part["indicators"])
    summary.budget_rows += len(part["budget"])
    summary.failed_files += document.get("status") == "failed"


def write_run_json(out_dir: Path, settings: RunSettings, summary: RunSummary) -> None:
    from pipeline.versions import tool_versions

    record = {
        "versions": tool_versions(settings.extract.lang),
        "settings": _jsonable(asdict(settings)),
        "counts": {key: value for key, value in asdict(summary).items() if key != "reasons"},
        "reasons": summary.reasons,
        "exit_code": summary.exit_code,
    }
    export.write_atomic(out_dir / "run.json", json.dumps(record, indent=2, sort_keys=True) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def _configure_log(out_dir: Path) -> None:
    handler = logging.FileHandler(out_dir / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    for old in list(log.handlers):
        log.removeHandler(old)
        old.close()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


_ = replace

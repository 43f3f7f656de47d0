"""The batch loop: find inputs, skip what is done, process the rest in parallel, assemble.

Each document's result is written to OUT/parts/<sha256>.json atomically (write, fsync, rename)
before the catalog records it; the CSVs are assembled from the parts on every run, in a stable
order, each written atomically. A run killed at any moment and started again therefore ends
with the same rows as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from extract.page import ExtractSettings
from extract.tesseract import OcrEngine
from pipeline import distributed, export
from pipeline.catalog import Catalog, FileStamp
from pipeline.document import (
    IMAGE_SUFFIXES,
    DocumentJob,
    DocumentResult,
    failed_result,
    file_sha256,
)
from pipeline.order import longest_first

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FILES_FAILED = 3
PDF_SUFFIXES = (".pdf",)
# An exception no stage turned into a reason code: reported with the contract's code for a
# file that could not be read, the exception in the message and the traceback in run.log.
INTERNAL_ERROR = "PDF_UNREADABLE"
LOCK_NAME = ".kinerja.lock"
OUTPUT_MODE = 0o644  # mkstemp makes files private; outputs are for analysts
log = logging.getLogger("kinerja")


class RunUsageError(Exception):
    """The run cannot start (OUT in use, --scheduler unreachable): exit code 2."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    workers: int = max(1, os.cpu_count() or 1)
    max_pages: int | None = None
    force: bool = False
    strict: bool = False
    quiet: bool = False
    scheduler: str | None = None
    repair_ocr: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    source_file: str
    error: str = ""  # set for a folder that cannot be listed

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
    skipped_files: int = 0  # inputs that are not documents (listed in documents.csv)
    seconds: float = 0.0
    stopped_at: str = ""  # the file --strict stopped at
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_FILES_FAILED if self.failed_files else EXIT_OK

    def line(self) -> str:
        return (
            f"{self.documents} documents, {self.pages} pages, "
            f"{self.indicator_rows} indicator rows, {self.budget_rows} budget rows, "
            f"{self.flagged_pages} flagged pages, "
            f"{self.failed_files} failed files, {self.seconds:.1f} s"
            + (f" ({self.skipped_done} already done)" if self.skipped_done else "")
            + (f"; {self.skipped_files} other files skipped" if self.skipped_files else "")
            + (f"; stopped at {self.stopped_at} (--strict)" if self.stopped_at else "")
        )


@dataclass(slots=True)
class PlanItem:
    file: InputFile
    doc_sha256: str
    part: str | None = None  # set once the document's results are on disk
    duplicate_of: str = ""
    skip_reason: str = ""
    failure: DocumentResult | None = None  # failed without a part: tried again next run
    reused: bool = False  # the part came from an earlier run
    status: str = ""  # the document's status once processed in this run


def discover_inputs(inputs: Sequence[Path], exclude: Path | None = None) -> list[InputFile]:
    """Files as given, folders recursively; source_file relative to the folder given.

    A folder that cannot be listed is itself an entry (with its error), never silently
    missing; anything under ``exclude`` (OUT, when it lies inside an input) is left out."""
    found: dict[str, InputFile] = {}
    for given in inputs:
        entries = _walk(given, exclude) if given.is_dir() else [InputFile(given, given.name)]
        for entry in entries:
            found.setdefault(entry.source_file, entry)
    return [found[key] for key in sorted(found)]


def _walk(folder: Path, exclude: Path | None) -> list[InputFile]:
    entries: list[InputFile] = []

    def unreadable(error: OSError) -> None:
        path = Path(error.filename)
        relative = path.relative_to(folder).as_posix() + "/"
        entries.append(
            InputFile(path, relative, f"cannot list the folder ({error.strerror or error})")
        )

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if exclude is None or (here / d).resolve() != exclude)
        for name in sorted(files):
            path = here / name
            if not name.startswith(".") and path.is_file():
                entries.append(InputFile(path, path.relative_to(folder).as_posix()))
    return entries


def run_batch(
    inputs: Sequence[Path], out_dir: Path, settings: RunSettings, engine: OcrEngine | None = None
) -> RunSummary:
    """Process every input not done yet into OUT and assemble OUT's files from all parts."""
    started = time.perf_counter()
    out_dir = out_dir.resolve()  # workers elsewhere (Dask) write review pictures by this path
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out_dir):
        _configure_log(out_dir)
        remove_stale_temporaries(out_dir)
        catalog = Catalog(out_dir / "catalog.sqlite")
        try:
            if settings.force:
                catalog.forget_all()
            plan = plan_batch(discover_inputs(inputs, exclude=out_dir), catalog, out_dir)
            record_planned(plan, catalog, out_dir)
            stopped_at = process_plan(plan, out_dir, settings, engine, catalog)
        finally:
            catalog.close()
        summary = RunSummary(skipped_done=sum(item.reused for item in plan), stopped_at=stopped_at)
        assemble(plan, out_dir, summary)
        summary.seconds = round(time.perf_counter() - started, 2)
        write_run_json(out_dir, settings, summary)
    log.info(summary.line())
    return summary


@contextlib.contextmanager
def exclusive_lock(out_dir: Path) -> Iterator[None]:
    """One run per OUT at a time; the kernel drops the lock with its process, even on SIGKILL."""
    with (out_dir / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunUsageError(
                f"another kinerja run is writing {out_dir}; wait for it or use another --out"
            ) from exc
        yield


def remove_stale_temporaries(out_dir: Path) -> None:
    """Half-written files of a killed run (write_atomic's .NAME.*.tmp): never read, only tidied."""
    for folder in (out_dir, out_dir / "parts", out_dir / "review", out_dir / "review" / "pages"):
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)


def plan_batch(files: list[InputFile], catalog: Catalog, out_dir: Path) -> list[PlanItem]:
    """Hash every file; reuse finished parts; a file whose bytes came earlier is a duplicate."""
    plan: list[PlanItem] = []
    first_by_hash: dict[str, str] = {}
    hashed: list[tuple[FileStamp, str]] = []
    for file in files:
        item = _plan_item(file, catalog, out_dir, hashed)
        if item.doc_sha256 and not item.skip_reason and not item.failure:
            if item.doc_sha256 in first_by_hash:
                item.duplicate_of = first_by_hash[item.doc_sha256]
                item.part, item.reused = None, False
            else:
                first_by_hash[item.doc_sha256] = file.source_file
        plan.append(item)
    catalog.remember_hashes(hashed)
    return plan


def _plan_item(
    file: InputFile, catalog: Catalog, out_dir: Path, hashed: list[tuple[FileStamp, str]]
) -> PlanItem:
    if file.error:
        return PlanItem(file, "", failure=unreadable_result(file, file.error))
    try:
        digest = file_digest(file.path, catalog, hashed)
    except OSError as exc:
        message = f"cannot read the file ({exc.strerror or exc})"
        return PlanItem(file, "", failure=unreadable_result(file, message))
    if not file.supported:
        reason = f"not a PDF or image scan ({file.path.suffix or 'no extension'})"
        return PlanItem(file, digest, skip_reason=reason)
    part = catalog.done_part_for_hash(digest, out_dir)
    return PlanItem(file, digest, part=part, reused=part is not None)


def file_digest(path: Path, catalog: Catalog, hashed: list[tuple[FileStamp, str]]) -> str:
    """The file's sha256, read again only when its size or mtime changed since last hashed."""
    status = path.stat()
    stamp = FileStamp(str(path.resolve()), status.st_size, status.st_mtime_ns)
    known = catalog.known_hash(stamp)
    if known is not None:
        return known
    digest = file_sha256(path)
    hashed.append((stamp, digest))
    return digest


def unreadable_result(file: InputFile, message: str) -> DocumentResult:
    job = DocumentJob(file.path, file.source_file, "", Path("."), ExtractSettings())
    return failed_result(job, "PDF_UNREADABLE", message)


def record_planned(plan: list[PlanItem], catalog: Catalog, out_dir: Path) -> None:
    """Catalog entries for what planning settled: a file served by a part made under another
    name (renamed, or replaced by a copy of another file), and a file that cannot be read."""
    parts = {entry.source_file: entry.part for entry in catalog.entries()}
    for item in plan:
        name = item.file.source_file
        if item.failure is not None:
            catalog.mark(name, "", "failed", None, None, item.failure.document["error"])
        elif item.reused and item.part and parts.get(name) != item.part:
            catalog.mark_document(name, item.part, load_part(out_dir, item.part)["document"])


def process_plan(
    plan: list[PlanItem],
    out_dir: Path,
    settings: RunSettings,
    engine: OcrEngine | None,
    catalog: Catalog,
) -> str:
    """Process what is pending, recording each outcome; returns the file --strict stopped at."""
    pending, stop_before = pending_items(plan, settings.strict)
    for item, outcome in process_pending(pending, out_dir, settings, engine):
        record_outcome(item, outcome, out_dir, settings, catalog)
        if settings.strict and item.status == "failed":
            log.error("--strict: stopping at %s", item.file.source_file)
            return item.file.source_file
    return stop_before


def pending_items(plan: list[PlanItem], strict: bool) -> tuple[list[PlanItem], str]:
    """The items to process; with --strict only those before a file that planning already
    found unreadable, whose name is returned as where the run stops."""
    pending: list[PlanItem] = []
    for item in plan:
        if item.failure is not None and strict:
            return pending, item.file.source_file
        if not item.part and not item.duplicate_of and not item.skip_reason and not item.failure:
            pending.append(item)
    return pending, ""


def job_for(item: PlanItem, out_dir: Path, settings: RunSettings) -> DocumentJob:
    """Absolute paths: a Dask worker does not share the driver's working directory."""
    return DocumentJob(
        item.file.path.absolute(),
        item.file.source_file,
        item.doc_sha256,
        out_dir,
        settings.extract,
        settings.max_pages,
        settings.strict,
        settings.repair_ocr,
    )


def process_pending(
    pending: list[PlanItem], out_dir: Path, settings: RunSettings, engine: OcrEngine | None
) -> Iterator[tuple[PlanItem, distributed.Outcome]]:
    """Outcomes as documents finish, with progress on stderr."""
    progress = tqdm(
        total=len(pending),
        unit="doc",
        disable=settings.quiet or not pending,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    pages = flagged = 0
    started = time.perf_counter()
    try:
        for item, outcome in _outcomes(pending, out_dir, settings, engine):
            if isinstance(outcome, DocumentResult):
                pages += int(outcome.document.get("pages") or 0)
                flagged += int(outcome.document.get("pages_review") or 0)
            rate = pages / max(1e-6, time.perf_counter() - started)
            progress.set_postfix_str(f"{pages} pages, {rate:.2f} pages/s, {flagged} flagged")
            progress.update(1)
            yield item, outcome
    finally:
        progress.close()


def _outcomes(
    pending: list[PlanItem], out_dir: Path, settings: RunSettings, engine: OcrEngine | None
) -> Iterator[tuple[PlanItem, distributed.Outcome]]:
    def job_of(item: PlanItem) -> DocumentJob:
        return job_for(item, out_dir, settings)

    if settings.scheduler:
        try:
            yield from distributed.results_on_cluster(
                pending, job_of, settings.scheduler, settings.workers, engine
            )
        except distributed.SchedulerUnavailable as exc:
            raise RunUsageError(str(exc)) from exc
    elif engine is not None and settings.workers == 1:
        # An engine injected by a test, in one process: no pickling, easy to debug.
        yield from distributed.results_in_this_process(pending, job_of, engine)
    else:
        # Even one worker runs in a child process: a segfault there fails one document only.
        # (Dask balances its own queue; with allowed-failures a reordering there would change
        # which documents share a worker when it dies.)
        ordered = (
            longest_first(pending, lambda item: item.file.path) if settings.workers > 1 else pending
        )
        yield from distributed.results_in_processes(ordered, job_of, settings.workers, engine)


def record_outcome(
    item: PlanItem,
    outcome: distributed.Outcome,
    out_dir: Path,
    settings: RunSettings,
    catalog: Catalog,
) -> None:
    """A result becomes a part, then a catalog entry; an exception a failure without a part."""
    name = item.file.source_file
    if isinstance(outcome, DocumentResult):
        item.part = write_part(out_dir, item.doc_sha256, outcome)
        document = outcome.document
        item.status = str(document["status"])
        catalog.mark_document(name, item.part, document)
        log.info(
            "%s: %s, %s pages, %.1f s", name, item.status, document["pages"], document["seconds"]
        )
        return
    item.failure = exception_to_result(job_for(item, out_dir, settings), outcome)
    item.status, error = "failed", item.failure.document["error"]
    catalog.mark(name, item.doc_sha256, "failed", None, None, error)
    log.error(
        "%s: failed: %s\n%s", name, error, "".join(traceback.format_exception(outcome)).rstrip()
    )


def exception_to_result(job: DocumentJob, error: BaseException) -> DocumentResult:
    reason = getattr(error, "reason", INTERNAL_ERROR)
    message = (
        str(error)
        if isinstance(error, distributed.WorkerCrashed)
        else f"{type(error).__name__}: {error}"
    )
    return failed_result(job, reason, message)


def write_part(out_dir: Path, doc_sha256: str, result: DocumentResult) -> str:
    """Keyed by the bytes: a renamed or copied file is served by the same part."""
    relative = f"parts/{doc_sha256}.json"
    export.write_atomic(
        out_dir / relative, json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True)
    )
    return relative


def load_part(out_dir: Path, relative: str) -> dict[str, Any]:
    return json.loads((out_dir / relative).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


OUTPUT_TABLES = (
    ("indicators.csv", "indicators", export.INDICATOR_COLUMNS, export.ROW_ORDER),
    ("budget.csv", "budget", export.BUDGET_COLUMNS, export.ROW_ORDER),
    ("documents.csv", "documents", export.DOCUMENT_COLUMNS, ("source_file",)),
    ("pages.csv", "pages", export.PAGE_COLUMNS, ("source_file", "page")),
    ("review/review.csv", "review", export.REVIEW_COLUMNS, ("source_file", "page", "reason")),
)


def assemble(plan: list[PlanItem], out_dir: Path, summary: RunSummary) -> None:
    """Build every output file from the parts, in source_file / page / table / row order.

    Document by document, in source_file order (every table sorts by source_file first), so
    memory holds one part at a time however large the archive; an original always precedes its
    duplicates, which repeat its status."""
    reasons: Counter[str] = Counter()
    status_of: dict[str, str] = {}
    with csv_sinks(out_dir) as sinks:
        for item in sorted(plan, key=lambda i: i.file.source_file):
            status, tables = _item_tables(item, out_dir, summary, status_of)
            status_of[item.file.source_file] = status
            for _, key, columns, order in OUTPUT_TABLES:
                sinks[key].write(
                    _csv_rows(export.sort_records(tables.get(key, []), order), columns)
                )
            reasons.update(r["reason"] for r in tables.get("review", []))
    summary.reasons = dict(sorted(reasons.items()))
    from pipeline.reconcile import reconcile_out_dir
    from pipeline.review import build_review_html

    build_review_html(out_dir)
    reconcile_out_dir(out_dir)


@contextlib.contextmanager
def csv_sinks(out_dir: Path) -> Iterator[dict[str, IO[str]]]:
    """The output CSVs, written side by side and each renamed into place (after fsync) only
    when all are complete: a reader never sees half a file."""
    sinks: dict[str, IO[str]] = {}
    targets: dict[str, tuple[Path, str]] = {}
    try:
        for name, key, columns, _ in OUTPUT_TABLES:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            targets[key] = (target, temporary)
            sinks[key] = os.fdopen(handle, "w", encoding="utf-8", newline="")
            sinks[key].write(export.records_to_csv([], columns))
        yield sinks
        for key, sink in sinks.items():
            sink.flush()
            os.fsync(sink.fileno())
            sink.close()
            os.chmod(targets[key][1], OUTPUT_MODE)
            os.replace(targets[key][1], targets[key][0])
    finally:
        for key, sink in sinks.items():
            sink.close()
            Path(targets[key][1]).unlink(missing_ok=True)


def _csv_rows(records: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """The CSV lines of ``records`` without the header, formatted exactly as export does."""
    return export.records_to_csv(records, columns).partition("\n")[2]


def _item_tables(
    item: PlanItem, out_dir: Path, summary: RunSummary, status_of: dict[str, str]
) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """One input's status and records, by table."""
    name = item.file.source_file
    listed = {"source_file": name, "doc_sha256": item.doc_sha256, "pages": 0}
    if item.skip_reason:
        summary.skipped_files += 1
        return "skipped", {
            "documents": [{**listed, "status": "skipped", "error": item.skip_reason}]
        }
    summary.documents += 1
    if item.duplicate_of:
        status = status_of.get(item.duplicate_of, "ok")
        duplicate = {
            "status": status,
            "indicators": 0,
            "budget_rows": 0,
            "duplicate_of": item.duplicate_of,
        }
        return status, {"documents": [{**listed, **duplicate}]}
    if item.failure is None and not item.part:
        stop = f": --strict stopped the run at {summary.stopped_at}" if summary.stopped_at else ""
        return "skipped", {
            "documents": [{**listed, "status": "skipped", "error": f"not processed{stop}"}]
        }
    part = item.failure.to_json() if item.failure else load_part(out_dir, item.part or "")
    document = {**part["document"], "source_file": name}
    tables = {key: _renamed(part[key], name) for key in ("pages", "indicators", "budget")}
    tables.update(documents=[document], review=_renamed_review(part["review"], name, out_dir))
    summary.pages += int(document.get("pages") or 0)
    summary.flagged_pages += int(document.get("pages_review") or 0)
    summary.indicator_rows += len(part["indicators"])
    summary.budget_rows += len(part["budget"])
    summary.failed_files += document.get("status") == "failed"
    return str(document.get("status", "")), tables


def _renamed(records: list[dict[str, Any]], source_file: str) -> list[dict[str, Any]]:
    """A part made for the same bytes under another name serves this file too."""
    return [{**r, "source_file": source_file} for r in records]


def _renamed_review(
    records: list[dict[str, Any]], source_file: str, out_dir: Path
) -> list[dict[str, Any]]:
    """Review rows under this file's name, each picture at the path this name gives it, so
    review.csv does not depend on which name the bytes were first read under."""
    from pipeline.review import review_image_relpath

    renamed = []
    for record in records:
        image = record.get("image") or ""
        if image and record.get("source_file") != source_file:
            image = _copied_picture(
                out_dir / "review", image, review_image_relpath(source_file, int(record["page"]))
            )
        renamed.append({**record, "source_file": source_file, "image": image})
    return renamed


def _copied_picture(review_dir: Path, old: str, new: str) -> str:
    target = review_dir / new
    if not target.is_file():
        if not (review_dir / old).is_file():
            return ""
        temporary = target.with_name(f".{target.name}.copy.tmp")
        shutil.copyfile(review_dir / old, temporary)
        os.replace(temporary, target)
    return new


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

"""Where documents run: in this process, in local worker processes, or on a Dask cluster.

Every executor yields ``(item, outcome)`` as documents finish, in completion order (the batch
loop sorts when it assembles). An outcome is the DocumentResult, or the exception that ended the
document: ``WorkerCrashed`` when its process died (segfault, OOM kill), or whatever --strict
re-raised. A crash fails only its document; the batch goes on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from extract.tesseract import OcrEngine
from pipeline.document import DocumentJob, DocumentResult, process_document

Item = TypeVar("Item")
Outcome = DocumentResult | BaseException
IN_FLIGHT_PER_WORKER = 2  # enough to keep a worker busy, few enough to keep memory flat
PR_SET_PDEATHSIG = 1  # linux/prctl.h
CLUSTER_CONNECT_TIMEOUT = "20s"


class WorkerCrashed(Exception):
    # DATASETS.md has a fixed set of reason codes: a file that kills the process reading it
    # (a pdfium or tesseract crash, memory exhausted) is, for the analyst, an unreadable file;
    # the message says what happened.
    reason = "PDF_UNREADABLE"


class SchedulerUnavailable(Exception):
    """--scheduler cannot be used: dask is not installed or the address does not answer."""


def results_in_this_process(
    items: Sequence[Item], job_of: Callable[[Item], DocumentJob], engine: OcrEngine | None
) -> Iterator[tuple[Item, Outcome]]:
    """One after another here: for an engine injected by a test, or a debugger."""
    for item in items:
        try:
            yield item, process_document(job_of(item), engine)
        except Exception as exc:  # handed to the batch loop, which records it
            yield item, exc


def results_in_processes(
    items: Sequence[Item],
    job_of: Callable[[Item], DocumentJob],
    workers: int,
    engine: OcrEngine | None,
) -> Iterator[tuple[Item, Outcome]]:
    """A local process pool. When a worker dies the pool is lost with every document in it:
    those documents are run again one at a time in a pool of their own, and the one that kills
    that pool too is the culprit."""
    queue = deque(items)
    while queue:
        suspects = yield from _pool_pass(queue, job_of, min(workers, len(queue)), engine)
        for item in suspects:
            yield item, _run_alone(job_of(item), engine)


def _pool_pass(
    queue: deque[Item],
    job_of: Callable[[Item], DocumentJob],
    workers: int,
    engine: OcrEngine | None,
) -> Generator[tuple[Item, Outcome], None, list[Item]]:
    """Run from the queue until it is empty (returns []) or the pool breaks (returns the
    documents that were in it)."""
    pool = _new_pool(workers)
    running: dict[Future[DocumentResult], Item] = {}
    try:
        while queue or running:
            while queue and len(running) < IN_FLIGHT_PER_WORKER * workers:
                try:
                    running[_submit(pool, job_of(queue[0]), engine)] = queue[0]
                except BrokenProcessPool:  # broke while the last results were recorded
                    return list(running.values())
                queue.popleft()
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            suspects = []
            for future in [f for f in running if f in done]:  # in the order they were submitted
                item = running.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    suspects.append(item)
                else:
                    yield item, _future_outcome(future)
            if suspects:
                return suspects + list(running.values())
        return []
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_alone(job: DocumentJob, engine: OcrEngine | None) -> Outcome:
    pool = _new_pool(1)
    try:
        future = _submit(pool, job, engine)
        if isinstance(future.exception(), BrokenProcessPool):
            return WorkerCrashed(
                f"the worker process reading {job.source_file} died (a crash in a native library, "
                "or killed by the system for lack of memory)"
            )
        return _future_outcome(future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
    )


def _submit(
    pool: ProcessPoolExecutor, job: DocumentJob, engine: OcrEngine | None
) -> Future[DocumentResult]:
    return (
        pool.submit(process_document, job, engine)
        if engine is not None
        else pool.submit(process_document, job)
    )


def _future_outcome(future: Future[DocumentResult]) -> Outcome:
    error = future.exception()
    return error if error is not None else future.result()


def die_with_parent(parent_pid: int) -> None:
    """Linux: the worker gets SIGKILL when the driver dies, so no orphan keeps writing into OUT
    after the run was killed (a resumed run would race it)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the driver died before prctl took effect
        os._exit(1)


def results_on_cluster(
    items: Sequence[Item],
    job_of: Callable[[Item], DocumentJob],
    address: str,
    workers: int,
    engine: OcrEngine | None = None,
) -> Iterator[tuple[Item, Outcome]]:
    """One Dask task per document, a bounded number in flight; results come back to this
    process, which writes the parts and the catalog. ``address`` is a scheduler address, or
    'local' for a LocalCluster of ``workers`` single-threaded worker processes."""
    from distributed import as_completed  # noqa: PLC0415  (optional extra: kinerja[scale])

    with cluster_client(address, workers) as client:
        # pdfium is not thread-safe: one document at a time per worker thread is all we ask
        # for, and docs/scale.md tells to start workers with --nthreads 1.
        window = IN_FLIGHT_PER_WORKER * max(1, sum(client.nthreads().values()))
        queue, running, completed = deque(items), {}, as_completed()

        def submit_next() -> None:
            item = queue.popleft()
            running[_submit_task(client, completed, job_of(item), engine)] = item

        for _ in range(min(window, len(queue))):
            submit_next()
        for future in completed:
            item = running.pop(future.key)
            yield item, _task_outcome(future)
            future.release()
            if queue:
                submit_next()


@contextlib.contextmanager
def cluster_client(address: str, workers: int) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise SchedulerUnavailable("--scheduler needs dask: pip install 'kinerja[scale]'") from exc
    if address == "local":
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CLUSTER_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnavailable(f"no Dask scheduler answers at {address}: {exc}") from exc
    with client:
        yield client


def _submit_task(client: Any, completed: Any, job: DocumentJob, engine: OcrEngine | None) -> str:
    key = f"kinerja-document-{job.doc_sha256[:16]}-{uuid.uuid4().hex[:8]}"
    future = client.submit(process_document, job, engine, key=key, pure=False)
    completed.add(future)
    return str(future.key)


def _task_outcome(future: Any) -> Outcome:
    from distributed import KilledWorker

    if future.status != "error":
        return future.result()  # type: ignore[no-any-return]
    error = future.exception()
    if isinstance(error, KilledWorker):
        return WorkerCrashed(f"every Dask worker that ran this document died ({error})")
    return error  # type: ignore[no-any-return]

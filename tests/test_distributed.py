"""--scheduler: the same documents as Dask tasks give the same CSVs as the local run.

A LocalCluster of 2 single-threaded worker processes on the loopback interface stands in for a
real cluster; the run is given its address, as it would be given a remote scheduler's. Rows
files are compared byte for byte; documents.csv and pages.csv with their timing column
(`seconds`) dropped, since how long a document took differs between any two runs. A document
whose worker dies fails alone, as with the local process pool.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_resume import assert_same_outputs, catalog_rows, finished_parts, make_batch

from pipeline.run import EXIT_FILES_FAILED, RunSettings, run_batch

distributed = pytest.importorskip("distributed", reason="dask[distributed] is the `scale` extra")


def test_cluster_run_equals_local_run(tmp_path: Path) -> None:
    inputs = make_batch(tmp_path / "in")
    local = run_batch([inputs], tmp_path / "local", RunSettings(workers=2, quiet=True))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        settings = RunSettings(workers=2, quiet=True, scheduler=cluster.scheduler_address)
        remote = run_batch([inputs], tmp_path / "cluster", settings)
    assert local.exit_code == remote.exit_code == EXIT_FILES_FAILED
    assert_same_outputs(tmp_path / "local", tmp_path / "cluster")
    assert catalog_rows(tmp_path / "cluster") == catalog_rows(tmp_path / "local")
    assert finished_parts(tmp_path / "cluster") == 7


def test_scheduler_local_starts_its_own_cluster(tmp_path: Path) -> None:
    """`--scheduler local` through the command line: a LocalCluster of --workers processes."""
    from test_resume import start_run

    inputs = make_batch(tmp_path / "in")
    (tmp_path / "cluster").mkdir()
    process = start_run(inputs, tmp_path / "cluster", "--scheduler", "local", "--workers", "2")
    assert process.wait(timeout=180) == EXIT_FILES_FAILED
    run_batch([inputs], tmp_path / "local", RunSettings(workers=2, quiet=True))
    assert_same_outputs(tmp_path / "local", tmp_path / "cluster")


@pytest.mark.slow
def test_a_document_that_kills_its_dask_worker_fails_alone(tmp_path: Path, scan_pdf: Path) -> None:
    """The scheduler gives up on a task whose workers die (allowed-failures, 0 here to be
    quick): that document fails with PDF_UNREADABLE (worker died), the others are read,
    and no part is written
    for it, so the next run tries it again."""
    import sys

    import cloudpickle
    import dask
    from test_faults import KillingEngine, by_file, pk_variant

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b-scan.pdf").write_bytes(scan_pdf.read_bytes())
    pk_variant(folder / "a-text.pdf", 0)
    pk_variant(folder / "c-text.pdf", 1)
    # The workers cannot import the tests' modules: the engine travels by value.
    cloudpickle.register_pickle_by_value(sys.modules[KillingEngine.__module__])
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            settings = RunSettings(workers=2, quiet=True, scheduler="local")
            summary = run_batch([folder], tmp_path / "out", settings, engine=KillingEngine())  # type: ignore[arg-type]
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[KillingEngine.__module__])
    documents = by_file(tmp_path / "out" / "documents.csv")
    assert documents["b-scan.pdf"]["error"].startswith("PDF_UNREADABLE")
    assert documents["a-text.pdf"]["status"] == documents["c-text.pdf"]["status"] == "ok"
    assert summary.exit_code == EXIT_FILES_FAILED
    assert ("b-scan.pdf", "failed", None) in catalog_rows(tmp_path / "out")

"""--scheduler: the same documents as Dask tasks give the same CSVs as the local run.

A LocalCluster of 2 single-threaded worker processes on the loopback interface stands in for a
real cluster; the run is given its address, as it would be given a remote scheduler's. Rows
files are compared byte for byte; documents.csv and pages.csv with their timing column
(`seconds`) dropped, since how long a document took differs between any two runs.
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

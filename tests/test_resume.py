"""A run killed with SIGKILL at any moment and started again ends with the same outputs as an
uninterrupted run: no row lost, none duplicated.

The runs go through the real command line in a subprocess, on born-digital PDFs (no OCR, so it
is fast). Compared byte for byte: indicators.csv, budget.csv, reconciliation.csv,
review/review.csv. documents.csv and pages.csv are compared with their timing column
(`seconds`) dropped: how long a document took is the one thing that differs between runs.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import PK_ROWS, REPO, make_pk_pdf

CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]
BYTE_IDENTICAL = ("indicators.csv", "budget.csv", "reconciliation.csv", "review/review.csv")
TIMING_COLUMNS = {"documents.csv": ("seconds",), "pages.csv": ("seconds",)}
RUN_TIMEOUT = 120.0


def cli_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(REPO), **extra}
    env.pop("COLUMNS", None)
    return env


def start_run(
    inputs: Path, out: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`kinerja run` in its own session, so a kill reaches the driver and its workers."""
    command = [*CLI, "run", str(inputs), "--out", str(out), "--quiet", *options]
    with (out.parent / f"{out.name}.stderr").open("ab") as stderr:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=env or cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )


def finished_parts(out: Path) -> int:
    parts = out / "parts"
    return sum(1 for p in parts.glob("*.json")) if parts.is_dir() else 0


def run_until(inputs: Path, out: Path, moment: Callable[[float, Path], bool]) -> int | None:
    """Start a run and SIGKILL it (driver first, then anything left of its session) at
    ``moment``; returns its exit status (-9 when killed)."""
    process = start_run(inputs, out, "--workers", "2")
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < RUN_TIMEOUT:
        if moment(time.monotonic() - started, out):
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait(timeout=RUN_TIMEOUT)
    with_workers_gone(process.pid)
    return process.returncode


def with_workers_gone(session: int) -> None:
    """Workers die with their driver (PR_SET_PDEATHSIG); make sure of it before the next run."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(session, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(session, signal.SIGKILL)


def run_to_end(inputs: Path, out: Path, *options: str) -> int:
    process = start_run(inputs, out, "--workers", "2", *options)
    return process.wait(timeout=RUN_TIMEOUT)


def csv_without(path: Path, dropped: tuple[str, ...]) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    keep = [i for i, name in enumerate(rows[0]) if name not in dropped]
    return [[row[i] for i in keep] for row in rows]


def assert_same_outputs(expected: Path, actual: Path) -> None:
    for name in BYTE_IDENTICAL:
        assert (actual / name).read_bytes() == (expected / name).read_bytes(), name
    for name, dropped in TIMING_COLUMNS.items():
        assert csv_without(actual / name, dropped) == csv_without(expected / name, dropped), name


def make_batch(folder: Path) -> Path:
    """Six small PK PDFs with different rows (one with a row that goes to review), a copy of
    one of them and a truncated file."""
    folder.mkdir()
    for number in range(6):
        extra = (
            "9",
            f"Sasaran tambahan {number}",
            f"Indikator tambahan nomor {number}",
            f"{50 + number}%",
        )
        rows = [*PK_ROWS[: 1 + number % 4], extra]
        if number == 4:
            rows.append(("10", "Sasaran tanpa target", "Indikator yang targetnya kosong", ""))
        make_pk_pdf(folder / f"pk-{number}.pdf", rows)
    (folder / "salinan pk-2.pdf").write_bytes((folder / "pk-2.pdf").read_bytes())
    (folder / "rusak.pdf").write_bytes((folder / "pk-1.pdf").read_bytes()[:600])
    return folder


def catalog_rows(out: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(out / "catalog.sqlite") as connection:
        return list(
            connection.execute(
                "SELECT source_file, status, part FROM documents ORDER BY source_file"
            )
        )


def test_killed_and_resumed_run_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    inputs = make_batch(tmp_path / "in")
    expected, resumed = tmp_path / "expected", tmp_path / "resumed"
    started = time.monotonic()
    expected_code = run_to_end(inputs, expected)
    # Killed before it read anything, then (a fresh run again) while the first documents are
    # read: within 1.5 s, or sooner on a machine that finishes the whole run in under 2.5 s.
    early = min(1.5, 0.6 * (time.monotonic() - started))
    assert expected_code == 3  # rusak.pdf is unreadable: the run completes with failed files
    moments: list[tuple[str, Callable[[float, Path], bool]]] = [
        ("after 0.5 s", lambda elapsed, out: elapsed > 0.5),
        (f"after {early:.1f} s", lambda elapsed, out: elapsed > early),
        ("once parts/ has 2 files", lambda elapsed, out: finished_parts(out) >= 2),
        ("once parts/ has 5 files", lambda elapsed, out: finished_parts(out) >= 5),
        ("after the last part", lambda elapsed, out: finished_parts(out) >= 7),
    ]
    for label, moment in moments:
        assert run_until(inputs, resumed, moment) == -signal.SIGKILL, (
            f"the run ended before it was killed {label}"
        )
    assert run_to_end(inputs, resumed) == expected_code
    assert_same_outputs(expected, resumed)
    assert finished_parts(resumed) == finished_parts(expected) == 7
    assert catalog_rows(resumed) == catalog_rows(expected)
    assert not list(resumed.rglob(".*.tmp")), "half-written files of the killed runs are left"
    # A rerun of the finished run redoes nothing: even the timings (the parts' own) stay.
    before = {
        name: (resumed / name).read_bytes()
        for name in (*BYTE_IDENTICAL, "documents.csv", "pages.csv")
    }
    assert run_to_end(inputs, resumed) == expected_code
    assert {name: (resumed / name).read_bytes() for name in before} == before


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_renamed_file_reuses_its_part_and_gets_its_own_picture(tmp_path: Path) -> None:
    """The part is keyed by the bytes; review.csv is the same as if the new name came first."""
    from pipeline.run import RunSettings, run_batch

    rows = [*PK_ROWS, ("4", "Sasaran tanpa target", "Indikator yang targetnya kosong", "")]
    original = make_pk_pdf(tmp_path / "asli.pdf", rows)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "nama baru ü.pdf").write_bytes(original.read_bytes())
    settings = RunSettings(workers=1, quiet=True)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    run_batch([original], out, settings)
    (first,) = read_rows(out / "documents.csv")
    summary = run_batch([folder], out, settings)
    run_batch([folder], fresh, settings)
    assert summary.skipped_done == 1
    assert (out / "review/review.csv").read_bytes() == (fresh / "review/review.csv").read_bytes()
    images = {r["image"] for r in read_rows(out / "review/review.csv")}
    assert images and all((out / "review" / image).is_file() for image in images)
    (renamed,) = read_rows(out / "documents.csv")
    assert renamed["source_file"] == "nama baru ü.pdf"
    # A reused part keeps the original's timing: the document was not read again.
    assert renamed["seconds"] == first["seconds"]
    assert (
        "nama baru ü.pdf",
        "partial",
        renamed_part := f"parts/{renamed['doc_sha256']}.json",
    ) in catalog_rows(out)
    assert (out / renamed_part).is_file()


def test_unchanged_files_are_not_hashed_again_and_changed_ones_are(tmp_path: Path) -> None:
    """The catalog's quick check, (path, size, mtime), as rsync's: proven by a file whose bytes
    change behind its back (size and mtime restored), which only --force notices."""
    from pipeline.run import RunSettings, run_batch

    path = make_pk_pdf(
        tmp_path / "pk.pdf", [*PK_ROWS[:2], ("5", "Sasaran", "Indikator lima", "50%")]
    )
    settings = RunSettings(workers=1, quiet=True)
    run_batch([path], tmp_path / "out", settings)
    (first,) = read_rows(tmp_path / "out" / "documents.csv")
    stamp = path.stat()
    path.write_bytes(path.read_bytes().replace(b"ReportLab Generated", b"ReportLab generated", 1))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    assert run_batch([path], tmp_path / "out", settings).skipped_done == 1
    assert read_rows(tmp_path / "out" / "documents.csv")[0]["doc_sha256"] == first["doc_sha256"]
    run_batch([path], tmp_path / "out", RunSettings(workers=1, quiet=True, force=True))
    (forced,) = read_rows(tmp_path / "out" / "documents.csv")
    assert forced["doc_sha256"] != first["doc_sha256"]
    # A normal edit changes the mtime: seen without --force.
    path.write_bytes(path.read_bytes().replace(b"ReportLab generated", b"Reportlab generated", 1))
    assert run_batch([path], tmp_path / "out", settings).skipped_done == 0

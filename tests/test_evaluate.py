"""The `make eval` scorer: matching, field accuracy, fully-correct share, CER, reports."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import evaluate as ev

INDICATOR_COLUMNS = [
    "source_file",
    "page",
    "no",
    "sasaran",
    "indikator",
    "target",
    "realisasi",
    "capaian",
    "kelompok",
    "doc_type",
    "satker",
    "tahun",
    "pihak",
    "table_title",
]
BUDGET_COLUMNS = ["source_file", "page", "level", "kode", "uraian", "pagu", "realisasi", "persen"]
SASARAN_A = "Meningkatnya Kapasitas dan Akuntabilitas Birokrasi"
SASARAN_B = "Terpenuhinya kebutuhan sarana dan prasarana pelayanan masyarakat"
TRUTH_ROWS = [
    {
        "no": "1.",
        "sasaran": SASARAN_A,
        "indikator": "Prosentase Temuan BPK Yang Ditindaklanjuti",
        "target": "100%",
    },
    {
        "no": "1.",
        "sasaran": SASARAN_A,
        "indikator": "Prosentase Pegawai Yang Mematuhi PP 53",
        "target": "12 Dokumen",
    },
    {
        "no": "2.",
        "sasaran": SASARAN_B,
        "indikator": "Prosentase ketersediaan sarana publik",
        "target": "87,5%",
    },
    {"no": "2.", "sasaran": SASARAN_B, "indikator": "Index Kepuasan Masyarakat", "target": "B"},
]
SOURCE = "born/pk-sample.pdf"


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({c: row.get(c, "") for c in columns} for row in rows)
    return path


def with_source(rows: Sequence[Mapping[str, str]], source: str = SOURCE) -> list[dict[str, str]]:
    return [{"source_file": source, "page": "2", "tahun": "2024", **row} for row in rows]


def score(
    tmp_path: Path, truth: Sequence[Mapping[str, str]], pred: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """Write both row sets as CSVs, read them back and score them like the evaluation does."""
    truth_csv = write_csv(tmp_path / "truth.csv", INDICATOR_COLUMNS, with_source(truth))
    pred_csv = write_csv(tmp_path / "pred.csv", INDICATOR_COLUMNS, with_source(pred))
    truth_records = ev.records_by_file(ev.read_csv_rows(truth_csv), ev.INDICATORS)
    pred_records = ev.records_by_file(ev.read_csv_rows(pred_csv), ev.INDICATORS)
    counts = ev.file_counts(truth_records[SOURCE], pred_records.get(SOURCE, []), ev.INDICATORS)
    return ev.counts_to_scores(counts, ev.INDICATORS)


def test_truth_against_itself_scores_one_everywhere(tmp_path: Path) -> None:
    scores = score(tmp_path, TRUTH_ROWS, TRUTH_ROWS)
    assert scores["recall"] == scores["precision"] == scores["f1"] == 1.0
    assert scores["fully_correct"] == 1.0
    accuracy = scores["field_accuracy"]
    assert accuracy["sasaran"] == accuracy["indikator"] == accuracy["target"] == 1.0
    # No row has a realisasi or capaian on either side: no evidence, so no figure.
    assert accuracy["realisasi"] is None and accuracy["capaian"] is None
    assert scores["cer"] == {"sasaran": 0.0, "indikator": 0.0}


def test_one_wrong_target_lowers_only_target_accuracy_and_fully_correct(tmp_path: Path) -> None:
    pred = [dict(row) for row in TRUTH_ROWS]
    pred[2]["target"] = "85,5%"
    scores = score(tmp_path, TRUTH_ROWS, pred)
    assert scores["field_accuracy"]["target"] == 0.75
    assert scores["fully_correct"] == 0.75
    assert scores["field_accuracy"]["sasaran"] == scores["field_accuracy"]["indikator"] == 1.0
    assert scores["recall"] == scores["precision"] == 1.0
    assert scores["cer"] == {"sasaran": 0.0, "indikator": 0.0}


def test_missing_row_lowers_recall_not_precision_or_fields(tmp_path: Path) -> None:
    scores = score(tmp_path, TRUTH_ROWS, TRUTH_ROWS[:3])
    assert scores["recall"] == 0.75
    assert scores["precision"] == 1.0
    assert scores["f1"] == pytest.approx(2 * 0.75 / 1.75)
    assert all(v in (1.0, None) for v in scores["field_accuracy"].values())
    # Counted over all truth rows: the unmatched truth row is not fully correct.
    assert scores["fully_correct"] == 0.75


def test_invented_row_lowers_precision_only(tmp_path: Path) -> None:
    invented = {
        "no": "3",
        "sasaran": "Terwujudnya ikan hias",
        "indikator": "Jumlah ikan",
        "target": "9",
    }
    scores = score(tmp_path, TRUTH_ROWS, [*TRUTH_ROWS, invented])
    assert scores["precision"] == 0.8
    assert scores["recall"] == 1.0
    assert scores["fully_correct"] == 1.0
    assert all(v in (1.0, None) for v in scores["field_accuracy"].values())


def test_cer_of_one_character_change(tmp_path: Path) -> None:
    pred = [dict(row) for row in TRUTH_ROWS]
    pred[3]["indikator"] = "Index Kepuasan Masyarakot"
    scores = score(tmp_path, TRUTH_ROWS, pred)
    truth_chars = sum(len(row["indikator"]) for row in TRUTH_ROWS)
    assert scores["cer"]["indikator"] == pytest.approx(1 / truth_chars)
    assert scores["cer"]["sasaran"] == 0.0
    assert scores["field_accuracy"]["indikator"] == 0.75
    assert scores["recall"] == 1.0


def test_whitespace_is_normalised_before_comparing(tmp_path: Path) -> None:
    pred = [dict(row) for row in TRUTH_ROWS]
    pred[0]["indikator"] = "  Prosentase Temuan  BPK\nYang Ditindaklanjuti "
    assert score(tmp_path, TRUTH_ROWS, pred)["field_accuracy"]["indikator"] == 1.0


def test_value_where_truth_is_empty_counts_as_wrong(tmp_path: Path) -> None:
    pred = [dict(row) for row in TRUTH_ROWS]
    pred[0]["realisasi"] = "100%"
    scores = score(tmp_path, TRUTH_ROWS, pred)
    assert scores["field_accuracy"]["realisasi"] == 0.0
    assert scores["fully_correct"] == 0.75


def test_text_below_cutoff_does_not_match(tmp_path: Path) -> None:
    pred = [{**TRUTH_ROWS[3], "indikator": "Indeks Kepuasan Pegawai"}]
    scores = score(tmp_path, TRUTH_ROWS[3:], pred)
    assert scores["matched_rows"] == 0
    assert scores["recall"] == scores["precision"] == 0.0


def record(key: str, page: str = "1", tahun: str = "", target: str = "") -> ev.Record:
    return ev.Record("f.pdf", page, tahun, key, {"indikator": key, "target": target})


def test_same_indicator_over_years_pairs_by_tahun() -> None:
    truth = [record("Persentase X", tahun="2023"), record("Persentase X", tahun="2024")]
    pred = [record("Persentase X", tahun="2024"), record("Persentase X", tahun="2023")]
    assert ev.match_records(truth, pred) == [(0, 1), (1, 0)]


def test_same_indicator_in_two_copies_pairs_by_page() -> None:
    truth = [record("Persentase X", page="3"), record("Persentase X", page="9")]
    pred = [record("Persentase X", page="9"), record("Persentase X", page="3")]
    assert ev.match_records(truth, pred) == [(0, 1), (1, 0)]


def test_unlabelled_budget_total_pairs_by_level() -> None:
    row = {"source_file": "f.pdf", "level": "total", "uraian": "", "pagu": "Rp 8.334.721.988"}
    truth = ev.records_by_file([row], ev.BUDGET)["f.pdf"]
    pred = ev.records_by_file([dict(row)], ev.BUDGET)["f.pdf"]
    scores = ev.counts_to_scores(ev.file_counts(truth, pred, ev.BUDGET), ev.BUDGET)
    assert scores["recall"] == 1.0 and scores["field_accuracy"]["pagu"] == 1.0


texts = st.sampled_from(["Persentase A", "Persentase B", "Jumlah dokumen", "Index C", ""])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(texts, st.sampled_from(["1", "2"]), texts), min_size=1, max_size=8))
def test_any_rows_score_perfectly_against_themselves(rows: list[tuple[str, str, str]]) -> None:
    records = [
        ev.Record("f.pdf", page, "", key, {"indikator": key, "target": t}) for key, page, t in rows
    ]
    spec = ev.TableSpec("indicators", "indikator", ("indikator", "target"), ("indikator",))
    scores = ev.counts_to_scores(ev.file_counts(records, records, spec), spec)
    keyed = sum(1 for key, _, _ in rows if key)
    assert scores["matched_rows"] == keyed
    assert all(v in (1.0, None) for v in scores["field_accuracy"].values())


def make_samples(tmp_path: Path) -> tuple[Path, Path]:
    """A samples folder with truth and a manifest, and an out folder holding a finished run."""
    samples, out = tmp_path / "samples", tmp_path / "eval-out"
    truth = with_source(TRUTH_ROWS)
    write_csv(samples / "truth" / "pk-sample.indicators.csv", INDICATOR_COLUMNS, truth)
    write_csv(samples / "truth" / "bad-photo.indicators.csv", INDICATOR_COLUMNS, [])
    write_csv(
        samples / "manifest.csv",
        ["file", "kind"],
        [{"file": SOURCE, "kind": "born"}, {"file": "bad/bad-photo.pdf", "kind": "bad"}],
    )
    invented = with_source([TRUTH_ROWS[0]], "bad/bad-photo.pdf")
    write_csv(out / "samples" / "indicators.csv", INDICATOR_COLUMNS, truth + invented)
    documents = [
        {"source_file": SOURCE, "pages": "2", "seconds": "3.0"},
        {"source_file": "bad/bad-photo.pdf", "pages": "1", "seconds": "1.0"},
    ]
    write_csv(out / "samples" / "documents.csv", ["source_file", "pages", "seconds"], documents)
    return samples, out


def test_evaluate_scores_per_file_and_kind_without_running(tmp_path: Path) -> None:
    samples, out = make_samples(tmp_path)
    report = ev.evaluate(samples, out, tmp_path / "no-real", runner=None)
    born = report["per_file"][SOURCE]
    assert born["kind"] == "born" and born["indicators"]["fully_correct"] == 1.0
    assert born["budget"] is None
    assert born["seconds_per_page"] == 1.5
    # A header-only truth file means no rows: the one predicted row there is invented.
    bad = report["per_kind"]["bad"]["indicators"]
    assert bad["precision"] == 0.0 and bad["recall"] is None
    assert report["overall"]["indicators"]["precision"] == 0.8
    assert report["overall"]["seconds_per_page"] == pytest.approx(4.0 / 3)
    assert report["runs"] == []


def test_real_truth_without_its_pdf_is_skipped(tmp_path: Path) -> None:
    samples, out = make_samples(tmp_path)
    real_truth = with_source(TRUTH_ROWS, "pk-real.pdf")
    write_csv(samples / "truth" / "real" / "pk-real.indicators.csv", INDICATOR_COLUMNS, real_truth)
    args = [str(samples), "--out", str(out), "--real-dir", str(tmp_path / "absent"), "--no-run"]
    result = CliRunner().invoke(ev.main, [*args, "--json", str(tmp_path / "eval.json")])
    assert result.exit_code == 0, result.output
    assert "skipped: real file pk-real.pdf not found" in result.stderr
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["skipped"] == ["pk-real.pdf"] and "pk-real.pdf" not in report["per_file"]
    assert SOURCE in result.stdout and "born" in result.stdout


def test_real_run_output_is_scored_as_kind_real(tmp_path: Path) -> None:
    samples, out = make_samples(tmp_path)
    real_dir = tmp_path / "real-pdfs"
    real_dir.mkdir()
    (real_dir / "pk-real.pdf").write_bytes(b"%PDF-1.4\n")
    real_truth = with_source(TRUTH_ROWS, "pk-real.pdf")
    write_csv(samples / "truth" / "real" / "pk-real.indicators.csv", INDICATOR_COLUMNS, real_truth)
    # A run over several files may name them by path: the base name still finds the truth.
    write_csv(
        out / "real" / "indicators.csv",
        INDICATOR_COLUMNS,
        with_source(TRUTH_ROWS[:2], "x/pk-real.pdf"),
    )
    report = ev.evaluate(samples, out, real_dir, runner=None)
    real = report["per_kind"]["real"]["indicators"]
    assert real["recall"] == 0.5 and real["precision"] == 1.0
    assert report["per_file"]["pk-real.pdf"]["kind"] == "real"


def test_resolve_source_falls_back_to_a_unique_base_name() -> None:
    assert ev.resolve_source("a.pdf", ["born/a.pdf", "scan/b.pdf"]) == "born/a.pdf"
    assert ev.resolve_source("a.pdf", ["born/a.pdf", "scan/a.pdf"]) is None
    assert ev.resolve_source("scan/a.pdf", ["born/a.pdf", "scan/a.pdf"]) == "scan/a.pdf"


def test_evaluate_runs_samples_then_the_real_files_with_truth(tmp_path: Path) -> None:
    samples, out = make_samples(tmp_path)
    real_dir = tmp_path / "real-pdfs"
    real_dir.mkdir()
    (real_dir / "pk-real.pdf").write_bytes(b"%PDF-1.4\n")
    for stem in ("pk-real", "pk-absent"):
        rows = with_source(TRUTH_ROWS, f"{stem}.pdf")
        write_csv(samples / "truth" / "real" / f"{stem}.indicators.csv", INDICATOR_COLUMNS, rows)
    calls: list[tuple[list[Path], Path]] = []

    def fake_runner(inputs: Sequence[Path], run_out: Path) -> ev.RunResult:
        calls.append((list(inputs), run_out))
        return ev.RunResult(tuple(map(str, inputs)), str(run_out), 3)

    report = ev.evaluate(samples, out, real_dir, runner=fake_runner)
    assert calls == [([samples], out / "samples"), ([real_dir / "pk-real.pdf"], out / "real")]
    assert [r["returncode"] for r in report["runs"]] == [3, 3]
    assert report["skipped"] == ["pk-absent.pdf"]


def test_eval_runs_redo_documents_an_earlier_eval_left_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OUT from an earlier eval holds every document as done: without --force the run
    would skip them all and the earlier code's rows would be scored again."""
    seen: list[list[str]] = []

    class Done:
        returncode = 0

    def fake_run(command: list[str], **_: Any) -> Done:
        seen.append(command)
        return Done()

    monkeypatch.setattr(ev.subprocess, "run", fake_run)
    ev.run_pipeline([tmp_path / "in.pdf"], tmp_path / "out", ["--no-repair"])
    assert "--force" in seen[0]
    assert seen[0][-1] == "--no-repair"

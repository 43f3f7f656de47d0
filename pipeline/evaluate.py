"""Score `kinerja run` output against the hand-made truth in samples/truth/ (`make eval`).

Example: python -m pipeline.evaluate samples/ --out eval-out/ --json eval.json

Truth is every `samples/truth/**/<stem>.indicators.csv` and `<stem>.budget.csv`. Files under
`samples/truth/real/` describe PDFs in --real-dir (never copied into the repo) and are scored
against the run in OUT/real; all other truth is scored against the run over the samples folder in
OUT/samples. A file is scored for a table only when it has a truth CSV for that table (a header-only
truth CSV means "this file has no such rows": every predicted row is invented). Predicted rows of
files without truth are ignored.

Definitions (all texts whitespace-normalised: runs of whitespace -> one space, ends stripped):
* match: a predicted and a truth row of the same source_file match when fuzz.ratio of their key
  texts (indikator; for budget uraian, or `[level]` when uraian is empty, e.g. an unlabelled total)
  is >= MATCH_CUTOFF. Rows are paired one to one, greedily: candidate pairs are taken best first
  by (same tahun, same page, ratio), so identical texts printed for several years or in several
  copies pair with the row of the same year, then of the same page.
* recall = matched / truth rows; precision = matched / predicted rows; F1 their harmonic mean
  (2 * matched / (truth + predicted), so 0 when nothing was predicted).
* field accuracy of a field = exact equal values / matched pairs where the field *counts*; a field
  counts in a pair when the truth OR the prediction has a non-empty value (both empty is no
  evidence either way; a value where the truth has none is wrong).
* fully correct share = truth rows that are matched AND exact in every counting field, over ALL
  truth rows (an unmatched truth row is not correct).
* CER of a text field = sum of Levenshtein distances / sum of truth lengths over matched pairs.
* seconds per page = sum of documents.csv `seconds` / sum of `pages`, over every file run (files
  without truth are listed with their timing only).
Per-kind and overall figures pool the counts of their files (micro averages). A ratio with a zero
denominator is null in the JSON and `-` in the table.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

MATCH_CUTOFF = 90.0
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REAL_DIR = REPO_ROOT.parent / "shared" / "real"
REAL_KIND = "real"
UNKNOWN_KIND = "unknown"
# Columns of samples/manifest.csv that may name the sample file, most specific first.
MANIFEST_FILE_COLUMNS = ("source_file", "file", "path", "filename", "name")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What is scored in one output table."""

    name: str
    key_field: str
    fields: tuple[str, ...]
    cer_fields: tuple[str, ...]


INDICATORS = TableSpec(
    "indicators",
    "indikator",
    ("sasaran", "indikator", "target", "realisasi", "capaian"),
    ("sasaran", "indikator"),
)
BUDGET = TableSpec("budget", "uraian", ("uraian", "pagu", "realisasi", "persen"), ("uraian",))
TABLES = (INDICATORS, BUDGET)


@dataclass(frozen=True, slots=True)
class Record:
    """One truth or predicted row, reduced to what the scorer compares."""

    source_file: str
    page: str
    tahun: str
    key: str
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Counts:
    """Raw tallies of one file (or a pool of files) for one table; scores derive from these."""

    n_truth: int = 0
    n_pred: int = 0
    n_matched: int = 0
    fully_correct: int = 0
    counted: Mapping[str, int] = field(default_factory=dict)
    correct: Mapping[str, int] = field(default_factory=dict)
    distance: Mapping[str, int] = field(default_factory=dict)
    truth_chars: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything measured for one input file."""

    source_file: str
    kind: str
    counts: Mapping[str, Counts | None]
    seconds: float | None
    pages: int | None


# --- csv -> records ---------------------------------------------------------------------------


def normalize_ws(text: str | None) -> str:
    return " ".join((text or "").split())


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts of whitespace-normalised strings; [] when the file is absent."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [{k: normalize_ws(v) for k, v in row.items() if k} for row in csv.DictReader(handle)]


def row_to_key(row: Mapping[str, str], spec: TableSpec) -> str:
    key = row.get(spec.key_field, "")
    # An unlabelled total line has no uraian; its level is the only thing to pair it by.
    if not key and spec is BUDGET and row.get("level"):
        return f"[{row['level']}]"
    return key


def row_to_record(row: Mapping[str, str], spec: TableSpec) -> Record:
    return Record(
        source_file=row.get("source_file", ""),
        page=row.get("page", ""),
        tahun=row.get("tahun", ""),
        key=row_to_key(row, spec),
        values={name: row.get(name, "") for name in spec.fields},
    )


def records_by_file(rows: Iterable[Mapping[str, str]], spec: TableSpec) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for row in rows:
        record = row_to_record(row, spec)
        grouped.setdefault(record.source_file, []).append(record)
    return grouped


# --- records -> matches -----------------------------------------------------------------------


def candidate_pairs(truth: Sequence[Record], pred: Sequence[Record]) -> list[tuple[Any, ...]]:
    """(same tahun, same page, ratio, i, j) for every pair whose key texts reach the cutoff."""
    pairs = []
    for i, t in enumerate(truth):
        for j, p in enumerate(pred):
            if not t.key or not p.key:
                continue
            ratio = fuzz.ratio(t.key, p.key, score_cutoff=MATCH_CUTOFF)
            if ratio:
                same_tahun = bool(t.tahun) and t.tahun == p.tahun
                pairs.append((same_tahun, t.page == p.page, ratio, i, j))
    return pairs


def match_records(truth: Sequence[Record], pred: Sequence[Record]) -> list[tuple[int, int]]:
    """One-to-one (truth index, pred index) pairs, taken greedily best first."""
    pairs = sorted(candidate_pairs(truth, pred), key=lambda c: (-c[0], -c[1], -c[2], c[3], c[4]))
    used_truth: set[int] = set()
    used_pred: set[int] = set()
    matches = []
    for *_, i, j in pairs:
        if i not in used_truth and j not in used_pred:
            used_truth.add(i)
            used_pred.add(j)
            matches.append((i, j))
    return sorted(matches)


# --- matches -> counts -> scores --------------------------------------------------------------


def pair_field_results(truth: Record, pred: Record, spec: TableSpec) -> dict[str, bool]:
    """Field -> exact equal, for the fields that count in this pair (see module docstring)."""
    results = {}
    for name in spec.fields:
        expected, got = truth.values.get(name, ""), pred.values.get(name, "")
        if expected or got:
            results[name] = expected == got
    return results


def add_to(tally: dict[str, int], name: str, amount: int) -> None:
    tally[name] = tally.get(name, 0) + amount


def file_counts(truth: Sequence[Record], pred: Sequence[Record], spec: TableSpec) -> Counts:
    counted: dict[str, int] = {}
    correct: dict[str, int] = {}
    distance: dict[str, int] = {}
    chars: dict[str, int] = {}
    matches = match_records(truth, pred)
    fully = 0
    for i, j in matches:
        results = pair_field_results(truth[i], pred[j], spec)
        fully += all(results.values())
        for name, ok in results.items():
            add_to(counted, name, 1)
            add_to(correct, name, int(ok))
        for name in spec.cer_fields:
            expected = truth[i].values.get(name, "")
            add_to(distance, name, Levenshtein.distance(expected, pred[j].values.get(name, "")))
            add_to(chars, name, len(expected))
    return Counts(len(truth), len(pred), len(matches), fully, counted, correct, distance, chars)


def merge_tallies(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {name: a.get(name, 0) + b.get(name, 0) for name in {*a, *b}}


def sum_counts(items: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in items:
        total = Counts(
            total.n_truth + c.n_truth,
            total.n_pred + c.n_pred,
            total.n_matched + c.n_matched,
            total.fully_correct + c.fully_correct,
            merge_tallies(total.counted, c.counted),
            merge_tallies(total.correct, c.correct),
            merge_tallies(total.distance, c.distance),
            merge_tallies(total.truth_chars, c.truth_chars),
        )
    return total


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def f1_score(counts: Counts) -> float | None:
    """Harmonic mean of precision and recall, written so that no predictions give 0, not null."""
    return ratio(2 * counts.n_matched, counts.n_truth + counts.n_pred)


def counts_to_scores(counts: Counts, spec: TableSpec) -> dict[str, Any]:
    recall = ratio(counts.n_matched, counts.n_truth)
    precision = ratio(counts.n_matched, counts.n_pred)
    return {
        "truth_rows": counts.n_truth,
        "predicted_rows": counts.n_pred,
        "matched_rows": counts.n_matched,
        "recall": recall,
        "precision": precision,
        "f1": f1_score(counts),
        "field_accuracy": {
            name: ratio(counts.correct.get(name, 0), counts.counted.get(name, 0))
            for name in spec.fields
        },
        "fully_correct": ratio(counts.fully_correct, counts.n_truth),
        "cer": {
            name: ratio(counts.distance.get(name, 0), counts.truth_chars.get(name, 0))
            for name in spec.cer_fields
        },
    }


# --- files on disk -> results -----------------------------------------------------------------


def split_truth(truth_dir: Path) -> dict[str, dict[str, list[Path]]]:
    """{"samples" | "real": {table name: truth CSV paths}}; real truth lives in truth_dir/real."""
    groups: dict[str, dict[str, list[Path]]] = {"samples": {}, REAL_KIND: {}}
    for spec in TABLES:
        paths = sorted(truth_dir.rglob(f"*.{spec.name}.csv")) if truth_dir.is_dir() else []
        real = [p for p in paths if truth_dir / REAL_KIND in p.parents]
        groups[REAL_KIND][spec.name] = real
        groups["samples"][spec.name] = [p for p in paths if p not in real]
    return groups


def path_to_stem(path: Path, spec: TableSpec) -> str:
    return path.name.removesuffix(f".{spec.name}.csv")


def stem_to_source(stem: str, known_sources: Iterable[str]) -> str:
    """The source file a header-only truth CSV stands for, by its file-name stem."""
    same_stem = sorted(k for k in known_sources if Path(k).stem == stem)
    return same_stem[0] if same_stem else f"{stem}.pdf"


def resolve_source(name: str, available: Iterable[str]) -> str | None:
    """`name` itself, else the one available name with the same base name (runs over single
    files name them bare, the manifest may name them with a folder)."""
    names = list(available)
    if name in names:
        return name
    same_base = [n for n in names if Path(n).name == Path(name).name]
    return same_base[0] if len(same_base) == 1 else None


def load_truth(
    paths: Sequence[Path], spec: TableSpec, known_sources: Iterable[str]
) -> dict[str, list[Record]]:
    truth: dict[str, list[Record]] = {}
    known = list(known_sources)
    for path in paths:
        rows = read_csv_rows(path)
        if not rows:
            truth.setdefault(stem_to_source(path_to_stem(path, spec), known), [])
        for source, records in records_by_file(rows, spec).items():
            truth.setdefault(source, []).extend(records)
    return truth


def read_timing(run_dir: Path) -> dict[str, tuple[float, int]]:
    """source_file -> (seconds, pages) from the run's documents.csv; unparsable rows left out."""
    timing = {}
    for row in read_csv_rows(run_dir / "documents.csv"):
        try:
            timing[row["source_file"]] = (float(row["seconds"]), int(float(row["pages"])))
        except (KeyError, ValueError):
            continue
    return timing


def read_kinds(samples_dir: Path) -> dict[str, str]:
    """Sample file -> kind (born, scan, mixed, bad) from samples/manifest.csv."""
    rows = read_csv_rows(samples_dir / "manifest.csv")
    column = next((c for c in MANIFEST_FILE_COLUMNS if rows and c in rows[0]), None)
    if column is None:
        return {}
    return {row[column]: row.get("kind") or UNKNOWN_KIND for row in rows if row[column]}


def file_result(
    source: str,
    truth: Mapping[str, Mapping[str, list[Record]]],
    pred: Mapping[str, Mapping[str, list[Record]]],
    timing: Mapping[str, tuple[float, int]],
    kind: str,
) -> FileResult:
    counts: dict[str, Counts | None] = {}
    for spec in TABLES:
        truth_rows = truth[spec.name].get(source)
        pred_key = resolve_source(source, pred[spec.name])
        pred_rows = pred[spec.name].get(pred_key, []) if pred_key else []
        counts[spec.name] = None if truth_rows is None else file_counts(truth_rows, pred_rows, spec)
    timing_key = resolve_source(source, timing)
    seconds, pages = timing[timing_key] if timing_key else (None, None)
    return FileResult(source, kind, counts, seconds, pages)


def score_group(
    truth_paths: Mapping[str, Sequence[Path]],
    run_dir: Path,
    kinds: Mapping[str, str],
    fixed_kind: str | None = None,
    exclude: Iterable[str] = (),
) -> list[FileResult]:
    """Results for every file with truth, plus timing-only results for the other files run."""
    timing = read_timing(run_dir)
    truth = {s.name: load_truth(truth_paths.get(s.name, []), s, [*timing, *kinds]) for s in TABLES}
    pred = {s.name: records_by_file(read_csv_rows(run_dir / f"{s.name}.csv"), s) for s in TABLES}
    skipped = set(exclude)
    sources = sorted({src for t in truth.values() for src in t} - skipped)
    covered = {resolve_source(src, timing) for src in sources}
    sources += sorted(src for src in timing if src not in covered and src not in skipped)
    return [
        file_result(src, truth, pred, timing, fixed_kind or kind_of(src, kinds)) for src in sources
    ]


def kind_of(source: str, kinds: Mapping[str, str]) -> str:
    key = resolve_source(source, kinds)
    return kinds[key] if key else UNKNOWN_KIND


# --- results -> report ------------------------------------------------------------------------


def aggregate(results: Sequence[FileResult]) -> dict[str, Any]:
    """Pooled scores of a set of files: counts are summed before any ratio is taken."""
    entry: dict[str, Any] = {"files": len(results)}
    for spec in TABLES:
        present = [c for r in results if (c := r.counts[spec.name]) is not None]
        entry[spec.name] = counts_to_scores(sum_counts(present), spec) if present else None
    timed = [r for r in results if r.seconds is not None and r.pages]
    seconds = sum(r.seconds or 0.0 for r in timed)
    pages = sum(r.pages or 0 for r in timed)
    entry.update(seconds=seconds, pages=pages, seconds_per_page=ratio(seconds, pages))
    return entry


def results_to_report(results: Sequence[FileResult]) -> dict[str, Any]:
    kinds = sorted({r.kind for r in results})
    return {
        "overall": aggregate(results),
        "per_kind": {k: aggregate([r for r in results if r.kind == k]) for k in kinds},
        "per_file": {r.source_file: {"kind": r.kind, **aggregate([r])} for r in results},
    }


def format_value(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_line(name: str, entry: Mapping[str, Any], spec: TableSpec) -> str:
    scores = entry[spec.name]
    cells = [f"{name[:44]:<44}"]
    if scores is None:
        cells += ["(no truth)".rjust(6 * (7 + len(spec.fields) + len(spec.cer_fields)))]
    else:
        cells += [f"{scores[k]:>5}" for k in ("truth_rows", "predicted_rows", "matched_rows")]
        cells += [format_value(scores[k]) for k in ("recall", "precision", "f1")]
        cells += [format_value(scores["field_accuracy"][f]) for f in spec.fields]
        cells += [format_value(scores["fully_correct"])]
        cells += [format_value(scores["cer"][f]) for f in spec.cer_fields]
    if spec is INDICATORS:
        cells.append(format_value(entry["seconds_per_page"], 1).rjust(7))
    return " ".join(c.rjust(5) for c in cells)


def format_header(title: str, spec: TableSpec) -> str:
    names = ["truth", "pred", "match", "recal", "prec", "f1"]
    names += [f[:5] for f in spec.fields] + ["full"] + [f"cer_{f[:1]}" for f in spec.cer_fields]
    names += ["s/page"] if spec is INDICATORS else []
    return " ".join([f"{title:<44}", *(n.rjust(5 if n != "s/page" else 7) for n in names)])


def format_report(report: Mapping[str, Any]) -> str:
    """The figures as a plain-text table: per kind, then per file, for each output table."""
    lines = []
    for spec in TABLES:
        lines += ["", format_header(f"{spec.name}: kind", spec)]
        lines += [format_line(k, e, spec) for k, e in report["per_kind"].items()]
        lines += [format_line("ALL", report["overall"], spec), format_header("file", spec)]
        # Timing lives in the indicator section; files without budget truth add nothing here.
        files = [
            (f, e) for f, e in report["per_file"].items() if spec is INDICATORS or e[spec.name]
        ]
        lines += [format_line(f, e, spec) for f, e in files]
    return "\n".join(lines)


# --- running the pipeline and the command line ------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunResult:
    """One `kinerja run` subprocess the evaluation started."""

    inputs: tuple[str, ...]
    out: str
    returncode: int


def run_pipeline(inputs: Sequence[Path], out: Path, extra: Sequence[str] = ()) -> RunResult:
    """Run `python -m pipeline.cli run INPUT... --out OUT --force [EXTRA...]` from the repo
    root. ``--force``: an OUT left by an earlier eval holds every document as done, and a
    plain re-run would score that earlier code's rows again."""
    paths = [str(p.resolve()) for p in inputs]
    command = [sys.executable, "-m", "pipeline.cli", "run", *paths, "--out", str(out.resolve())]
    command.append("--force")
    command += list(extra)
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)
    return RunResult(tuple(paths), str(out), completed.returncode)


def truth_source_names(paths_by_table: Mapping[str, Sequence[Path]]) -> list[str]:
    """Source files named by truth CSVs (their rows, or the stem of a header-only file)."""
    names = set()
    for spec in TABLES:
        for path in paths_by_table.get(spec.name, []):
            rows = read_csv_rows(path)
            names |= {r["source_file"] for r in rows if r.get("source_file")}
            names |= set() if rows else {f"{path_to_stem(path, spec)}.pdf"}
    return sorted(names)


def locate_real_files(names: Iterable[str], real_dir: Path) -> tuple[list[Path], list[str]]:
    """(paths found in real_dir, names not found there)."""
    found = [real_dir / n for n in names if (real_dir / n).is_file()]
    missing = [n for n in names if not (real_dir / n).is_file()]
    return found, missing


Runner = Callable[[Sequence[Path], Path], RunResult]


def evaluate(
    samples_dir: Path, out_dir: Path, real_dir: Path, runner: Runner | None = run_pipeline
) -> dict[str, Any]:
    """Run the pipeline with `runner` (None: score what OUT holds), score, return the report."""
    groups = split_truth(samples_dir / "truth")
    real_files, missing = locate_real_files(truth_source_names(groups[REAL_KIND]), real_dir)
    for name in missing:
        click.echo(f"skipped: real file {name} not found in {real_dir}", err=True)
    runs = []
    if runner is not None:
        runs.append(runner([samples_dir], out_dir / "samples"))
        if real_files:
            runs.append(runner(real_files, out_dir / REAL_KIND))
    for failed in (r for r in runs if r.returncode != 0):
        click.echo(f"warning: `run` exited {failed.returncode}, scoring {failed.out}", err=True)
    kinds = read_kinds(samples_dir)
    results = score_group(groups["samples"], out_dir / "samples", kinds)
    real = score_group(groups[REAL_KIND], out_dir / REAL_KIND, {}, REAL_KIND, missing)
    settings = {"match_cutoff": MATCH_CUTOFF, **{s.name: list(s.fields) for s in TABLES}}
    return {
        "settings": settings,
        "runs": [{"inputs": r.inputs, "out": r.out, "returncode": r.returncode} for r in runs],
        "skipped": missing,
        **results_to_report(results + real),
    }


@click.command()
@click.argument("samples_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("eval-out"),
    show_default=True,
    help="Where the runs write.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every figure to this JSON file.",
)
@click.option(
    "--real-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_REAL_DIR,
    show_default=True,
    help="Folder holding the real PDFs named by samples/truth/real/.",
)
@click.option("--no-run", is_flag=True, help="Score what is already in --out; run nothing.")
@click.option(
    "--no-repair", is_flag=True, help="Run kinerja with --no-repair (what the OCR repair adds)."
)
def main(
    samples_dir: Path,
    out_dir: Path,
    json_path: Path | None,
    real_dir: Path,
    no_run: bool,
    no_repair: bool,
) -> None:
    """Run kinerja over the samples and the real fixtures and score it against the truth CSVs.

    Example: python -m pipeline.evaluate samples/ --out eval-out/ --json eval.json
    """
    extra = ["--no-repair"] if no_repair else []
    runner = functools.partial(run_pipeline, extra=extra)
    report = evaluate(samples_dir, out_dir, real_dir, None if no_run else runner)
    click.echo(format_report(report))
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        click.echo(f"wrote {json_path}", err=True)


if __name__ == "__main__":
    main()

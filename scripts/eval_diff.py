"""Show the field differences behind `make eval`'s figures for one file:
`python scripts/eval_diff.py eval-out/samples scan/rkt-kuburaya-2024-200dpi.pdf [budget]`."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.evaluate import (
    BUDGET,
    INDICATORS,
    load_truth,
    match_records,
    read_csv_rows,
    records_by_file,
    split_truth,
)

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    out, source = Path(sys.argv[1]), sys.argv[2]
    spec = BUDGET if len(sys.argv) > 3 and sys.argv[3] == "budget" else INDICATORS
    table = "budget" if spec is BUDGET else "indicators"
    truth_all: dict = {}
    for paths in split_truth(REPO / "samples" / "truth").values():
        truth_all.update(load_truth(paths.get(table, []), spec, [source]))
    truth = truth_all.get(source, [])
    pred = records_by_file(read_csv_rows(out / f"{table}.csv"), spec).get(source, [])
    matches = dict(match_records(truth, pred))
    for index, record in enumerate(truth):
        if index not in matches:
            print("MISSING", {k: v for k, v in record.values.items() if v})
            continue
        got = pred[matches[index]]
        diffs = {
            k: (v, got.values.get(k, ""))
            for k, v in record.values.items()
            if (v or got.values.get(k)) and v != got.values.get(k, "")
        }
        if diffs:
            print(f"p{record.page}", diffs)
    used = set(matches.values())
    for index, record in enumerate(pred):
        if index not in used:
            print("INVENTED", {k: v for k, v in record.values.items() if v})


if __name__ == "__main__":
    main()

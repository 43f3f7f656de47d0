"""Measure the OCR repair on a dev set of lines and its speed.

Usage: ``python -m normalize.repair_eval /work/shared/dev/ocr_lines_dev.jsonl [--out PRED]``.
Writes predictions ({seed, line, text}), runs the set's ``score_lines.py`` beside it and prints
its report, then tokens per second (cold: start-up included; warm: per line after start-up).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def predict(records: list[dict[str, object]]) -> tuple[list[dict[str, object]], float, float]:
    """Repair every record's noisy text; return predictions, start-up and repair seconds."""
    started = time.perf_counter()
    from normalize.repair import LineRepairer, Repairer

    line_repairer = LineRepairer(Repairer.default())
    line_repairer.repair_line("Kinerja")  # loads the tokenizer: part of start-up
    ready = time.perf_counter()
    predictions = [
        {"seed": r["seed"], "line": r["line"], "text": line_repairer.repair_line(str(r["noisy"]))}
        for r in records
    ]
    return predictions, ready - started, time.perf_counter() - ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dev", type=Path)
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "kinerja_repair_predictions.jsonl"
    )
    args = parser.parse_args(argv)
    records = [
        json.loads(line)
        for line in args.dev.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    predictions, startup, seconds = predict(records)
    args.out.write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions), encoding="utf-8"
    )
    scorer = args.dev.parent / "score_lines.py"
    subprocess.run([sys.executable, str(scorer), str(args.dev), str(args.out)], check=True)
    tokens = sum(len(str(r["noisy"]).split()) for r in records)
    print(
        f"tokens={tokens} start-up={startup:.2f}s repair={seconds:.2f}s "
        f"warm={tokens / seconds:,.0f} tokens/s cold={tokens / (startup + seconds):,.0f} tokens/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure the OCR repair on a dev set of lines and its speed.

Usage: ``python -m normalize.repair_eval /work/shared/dev/ocr_lines_dev.jsonl [--out PRED]``.
Writes predictions ({seed, line, text}), runs the set's ``score_lines.py`` beside it and prints
its report, then the speed in tokens per second (whitespace tokens, this process, one core):
the dev lines and, with ``--seed`` (default: the dev set's noisy seed 001), a page of ~400 tokens
with start-up included (a fresh process: imports, lexicon, index, first page) and the whole seed
after that (steady state: a new document through a warm repairer).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE_TOKENS = 400  # a page of a KPU report


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


def seed_speed(seed: Path, page_tokens: int = PAGE_TOKENS) -> str:
    """'page' (start-up included, fresh process) and 'steady' (whole seed) speeds of one text."""
    lines = seed.read_text(encoding="utf-8").splitlines()
    page, count = [], 0
    for line in lines:
        if count >= page_tokens:
            break
        page.append(line)
        count += len(line.split())
    script = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from normalize.repair import LineRepairer\n"
        "r = LineRepairer()\n"
        "[r.repair_line(x) for x in sys.stdin.read().splitlines()]\n"
        "print(time.perf_counter() - t)\n"
    )
    started = time.perf_counter()
    inner = subprocess.run(
        [sys.executable, "-c", script],
        input="\n".join(page),
        capture_output=True,
        text=True,
        check=True,
    )
    page_seconds = time.perf_counter() - started
    from normalize.repair import LineRepairer

    repairer = LineRepairer()
    ready = time.perf_counter()
    for line in lines:
        repairer.repair_line(line)
    seconds = time.perf_counter() - ready
    tokens = sum(len(line.split()) for line in lines)
    return (
        f"page: {count} tokens in {page_seconds:.2f}s with process start-up "
        f"({float(inner.stdout):.2f}s in-process) = {count / page_seconds:,.0f} tokens/s\n"
        f"steady: {tokens} tokens of {seed.name} in {seconds:.2f}s "
        f"= {tokens / seconds:,.0f} tokens/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dev", type=Path)
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "kinerja_repair_predictions.jsonl"
    )
    parser.add_argument("--seed", type=Path, help="text for the page / steady-state speeds")
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
    seed = args.seed or next(
        iter(sorted((args.dev.parent.parent / "seeds").glob("001_*.txt"))), None
    )
    if seed is not None:
        print(seed_speed(seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

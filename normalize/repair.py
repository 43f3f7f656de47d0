"""OCR repair of KPU text against the lexicon: noisy tokens and phrases -> repaired text.

The facade over the repair's parts: normalize/tokens.py (tokens, noise, joining back),
repair_words.py (word candidates and scores), repair_split.py (split and merged words),
repair_phrases.py (multi-word terms and satker names) and repair_values.py (value cells, whose
digits follow value rules, never word rules). Digits in prose never change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from lexicon.loader import Lexicon, load_lexicon
from normalize.repair_cost import ocr_cost
from normalize.repair_phrases import PhraseIndex
from normalize.repair_split import merge_split_words
from normalize.repair_values import (
    garbled_percent_candidates,
    repair_value_tail,
    repair_value_text,
    split_value_tail,
)
from normalize.repair_words import WordModel, repair_words
from normalize.tokens import (
    RepairResult,
    attach_confidences,
    fix_glyph_edges,
    fix_outline_marker,
    mark_codes,
    pieces_to_result,
    resolve_rulings,
    strip_noise,
    text_to_pieces,
)

__all__ = [
    "COLUMNS",
    "LineRepairer",
    "RepairResult",
    "Repairer",
    "garbled_percent_candidates",
    "ocr_cost",
    "repair_jsonl",
    "repair_lines",
]

COLUMNS = ("text", "sasaran", "indikator", "value", "percent", "rupiah")
VALUE_COLUMNS = ("value", "percent", "rupiah")
SLASH_PAIRS = ("pemilu/pemilihan", "kabupaten/kota")  # printed 'X/Y' pairs a ruling may split


def lexicon_slash_pairs(lexicon: Lexicon) -> frozenset[str]:
    """Lower-cased 'x/y' pairs of the vocabulary terms."""
    # One search over the terms with a slash (a pair never spans the line break between two).
    joined = "\n".join([term for term, _ in lexicon.terms if "/" in term])
    pairs = {m.lower() for m in re.findall(r"[A-Za-z]+/[A-Za-z]+", joined)}
    return frozenset(pairs | set(SLASH_PAIRS))


class Repairer:
    """Repairs OCR text with a lexicon; build once (``Repairer.default()``), call per cell."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.words = WordModel(lexicon)
        self.costs = self.words.costs
        self.acronyms = lexicon.acronyms
        self.phrases = PhraseIndex(lexicon, self.words)
        self.slash_pairs = lexicon_slash_pairs(lexicon)

    @classmethod
    def default(cls) -> Repairer:
        """The repairer over the package lexicon, built once per process."""
        return _default_repairer()

    def repair_text(
        self,
        text: str,
        column: str = "text",
        confidences: Sequence[float] | None = None,
        row_values: Sequence[str] = (),
    ) -> RepairResult:
        """Repair one cell or line; ``column`` picks word rules or value rules."""
        if column not in COLUMNS:
            raise ValueError(f"column must be one of {COLUMNS}, not {column!r}")
        if column in VALUE_COLUMNS:
            return repair_value_text(text, column, row_values)
        prepared = fix_glyph_edges(text, self.words.prior)
        pieces = strip_noise(text_to_pieces(prepared))
        mark_codes(pieces, prepared)
        attach_confidences(pieces, prepared, confidences)
        fix_outline_marker(pieces)
        pieces = merge_split_words(pieces, self.words)
        repair_words(pieces, self.words)
        self.phrases.repair(pieces)
        pieces = resolve_rulings(pieces, self.slash_pairs)
        return pieces_to_result(text, pieces, prepared)


@lru_cache(maxsize=1)
def _default_repairer() -> Repairer:
    return Repairer(load_lexicon())


class LineRepairer:
    """Line mode for ``kinerja repair``: word rules for text, value rules for a value tail.

    A plain class: defining a dataclass costs every repairing process a millisecond."""

    def __init__(self, repairer: Repairer | None = None) -> None:
        self.repairer = repairer if repairer is not None else Repairer.default()

    def repair_line(self, line: str) -> str:
        head, tail = split_value_tail(line)
        text = self.repairer.repair_text(head).text if head.strip() else head
        if not tail:
            return text
        return (text.rstrip() + " " if text.strip() else text) + " ".join(repair_value_tail(tail))


def repair_lines(lines: Iterable[str]) -> Iterator[str]:
    """Repair plain text line by line: one line out for every line in (line ends kept)."""
    line_repairer = LineRepairer()
    for line in lines:
        body = line.rstrip("\r\n")
        yield line_repairer.repair_line(body) + line[len(body) :]


def repair_jsonl(in_lines: Iterable[str]) -> Iterator[str]:
    """Objects with a ``noisy`` field -> the same objects with a ``text`` field added."""
    line_repairer = LineRepairer()
    for raw in in_lines:
        if not raw.strip():
            continue
        record = json.loads(raw)
        record["text"] = line_repairer.repair_line(record["noisy"])
        yield json.dumps(record, ensure_ascii=False) + "\n"

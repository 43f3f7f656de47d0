"""Header cells -> canonical columns (no, sasaran, indikator, target, realisasi, capaian ...).

Header texts are matched fuzzily (rapidfuzz) against lexicon/data/header_variants.csv, which
holds the spellings of the real documents, author typos ("Indiaktor") and OCR damage
("Realmasi", "Capstan") included, each with the seed line it was seen on.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz

from normalize.values import lexicon_data_dir

HEADER_VARIANTS_FILE = "header_variants.csv"
HEADER_MATCH_CUTOFF = 80.0  # rapidfuzz ratio (0-100) on the normalised header text
SHORT_VARIANT_LENGTH = 3  # "No", "T1", "B12": too short to match fuzzily, exact match only
MAX_HEADER_ROWS = 4  # two header lines + a numbering row, with one spare
KINDS = ("indicator", "budget", "skip")
CANONICAL_COLUMNS = frozenset(
    [
        "no",
        "sasaran",
        "indikator",
        "target",
        "realisasi",
        "capaian",
        "program",
        "kegiatan",
        "anggaran",
        "pagu",
        "persen",
        "uraian",
        "kode",
    ]
)
VALUE_COLUMNS = frozenset({"target", "realisasi", "capaian"})
MONEY_COLUMNS = frozenset({"anggaran", "pagu"})
NAME_COLUMNS = ("uraian", "program", "kegiatan", "indikator")  # what names a budget line
_YEAR_RE = re.compile(r"\b(20[0-9]{2})\b")
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Canonical name per grid column ("" unknown, "extra:<header>" kept as printed)."""

    columns: tuple[str, ...]
    header_rows: int  # leading grid rows that are header or numbering rows
    sasaran_level: str = ""  # strategis, program, kegiatan, program/kegiatan (decided per row)
    kind: str = "skip"
    printed: tuple[str, ...] = ()  # header text as printed, per column

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.header_rows < 0:
            raise ValueError("header_rows must be >= 0")
        if self.printed and len(self.printed) != len(self.columns):
            raise ValueError("printed must give one header per column")

    def index(self, name: str) -> int | None:
        """Grid column of a canonical name, or None."""
        return self.columns.index(name) if name in self.columns else None

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(int(name[7:]) for name in self.columns if name.startswith("target_"))


@dataclass(frozen=True, slots=True)
class HeaderVariant:
    key: str  # normalised variant text
    column: str  # canonical column or "extra"
    sasaran_level: str


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    column: str
    sasaran_level: str
    score: float


@cache
def header_variants() -> tuple[HeaderVariant, ...]:
    """The header vocabulary, validated: every column is canonical or "extra"."""
    with open(lexicon_data_dir() / HEADER_VARIANTS_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    variants = []
    for row in rows:
        column = row["column"].strip()
        if column not in CANONICAL_COLUMNS and column != "extra":
            raise ValueError(f"{HEADER_VARIANTS_FILE}: unknown column {column!r}")
        if not row["source"].strip():
            raise ValueError(f"{HEADER_VARIANTS_FILE}: {row['variant']!r} has no source")
        variants.append(
            HeaderVariant(normalise_header(row["variant"]), column, row["sasaran_level"])
        )
    return tuple(variants)


def normalise_header(text: str) -> str:
    """Lower case, HTML and punctuation to spaces: "TARGET (SESUAIKAN DG RENSTRA)" -> words."""
    text = re.sub(r"<[^>]*>", " ", text).lower()
    return " ".join(re.sub(r"[^\w%]+", " ", text).split())


def header_text_to_match(text: str) -> HeaderMatch | None:
    """The best header variant for one header text, or None below the cutoff."""
    key = normalise_header(text)
    if not key:
        return None
    year = _YEAR_RE.search(key)
    if year:
        rest = _YEAR_RE.sub(" ", key).strip()
        rest_match = header_text_to_match(rest) if rest else None
        if not rest or (rest_match and rest_match.column == "target") or rest == "tahun":
            return HeaderMatch(f"target_{year.group(1)}", "", 100.0)
    best: HeaderMatch | None = None
    for variant in header_variants():
        if len(variant.key) <= SHORT_VARIANT_LENGTH or len(key) <= SHORT_VARIANT_LENGTH:
            score = 100.0 if key == variant.key else 0.0
        else:
            score = fuzz.ratio(key, variant.key)
        if score >= HEADER_MATCH_CUTOFF and (best is None or score > best.score):
            best = HeaderMatch(variant.column, variant.sasaran_level, score)
    return best


def is_header_row(texts: list[str]) -> bool:
    """Most non-empty cells read as header words (a first or a repeated header row)."""
    cells = [text for text in texts if text.strip()]
    matched = sum(1 for text in cells if header_text_to_match(text) is not None)
    return bool(cells) and matched * 2 >= len(cells) and (matched >= 2 or len(cells) == 1)


def _numbering_token(token: str) -> int | None:
    bare = token.strip("()[]{}|<>.,;:-_'\"`").lower()
    if bare.isdigit() and len(bare) <= 2:
        return int(bare)
    if bare in _ROMAN:
        return _ROMAN.index(bare) + 1
    return None


def is_numbering_row(texts: list[str]) -> bool:
    """A "(1) (2) (3) (4)" row under the header, OCR-damaged ones like "(1 1 (2 (3) (4)" too."""
    joined = re.sub(r"<[^>]*>", " ", " ".join(texts))
    tokens = joined.replace("(", " (").split()
    if not tokens or any(len(token.strip("()[]{}|<>.,;:-_")) > 4 for token in tokens):
        return False
    numbers = [n for n in map(_numbering_token, tokens) if n is not None]
    if len(numbers) < 2 or len(numbers) * 2 < len(tokens) or any("%" in t for t in tokens):
        return False
    rises = sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if b >= a)
    return numbers[0] <= 2 and rises * 4 >= (len(numbers) - 1) * 3


def _column_texts(rows: list[list[str]], col: int) -> list[str]:
    return [row[col].strip() for row in rows if col < len(row) and row[col].strip()]


def column_texts_to_match(parts: list[str]) -> HeaderMatch | None:
    """Match a column's stacked header texts: joined first, then the top part, then the rest."""
    if not parts:
        return None
    for candidate in [" ".join(parts), *parts]:
        match = header_text_to_match(candidate)
        if match is not None:
            return match
    return None


def header_rows_to_column_map(rows: list[list[str]]) -> ColumnMap | None:
    """Canonical columns from the first grid rows; None when they are not a header."""
    n_header, text_rows = 0, []
    for index, row in enumerate(rows[:MAX_HEADER_ROWS]):
        if is_numbering_row(row):
            n_header = index + 1
            break
        if not is_header_row(row):
            break
        n_header = index + 1
        text_rows.append(row)
    if not text_rows:
        return None
    width = max(len(row) for row in text_rows)
    matches = [column_texts_to_match(_column_texts(text_rows, col)) for col in range(width)]
    printed = tuple(" ".join(_column_texts(text_rows, col)) for col in range(width))
    names = _dedupe_columns([m.column if m else "" for m in matches], printed)
    level = next(
        (m.sasaran_level for m, n in zip(matches, names, strict=True) if m and n == "sasaran"), ""
    )
    kind = columns_to_kind(names)
    if kind == "budget":
        names = _budget_names(names, printed)
    return ColumnMap(tuple(names), n_header, level, kind, printed)


def _dedupe_columns(names: list[str], printed: tuple[str, ...]) -> list[str]:
    """One column per canonical name: the sasaran and indikator nearest left of the values win."""
    names = [f"extra:{printed[i]}" if name == "extra" else name for i, name in enumerate(names)]
    anchors = {"indikator": ("target", "realisasi", "capaian"), "sasaran": ("indikator",)}
    for name, right_of in anchors.items():
        positions = [i for i, n in enumerate(names) if n == name]
        limit = next(
            (i for i, n in enumerate(names) if n in right_of or n.startswith("target_")), None
        )
        before = [i for i in positions if limit is None or i < limit]
        keep = before[-1] if before else (positions[0] if positions else None)
        for i in positions:
            if i != keep:
                names[i] = f"extra:{printed[i]}"
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen and name and not name.startswith("extra:"):
            names[i] = f"extra:{printed[i]}"
        seen.add(name)
    return names


def columns_to_kind(names: list[str]) -> str:
    """budget (a name + anggaran/pagu, no target), indicator (indikator + a value), else skip."""
    present = set(names)
    has_target = "target" in present or any(n.startswith("target_") for n in names)
    named_money = present & MONEY_COLUMNS and present & set(NAME_COLUMNS)
    if named_money and not has_target and "capaian" not in present:
        return "budget"
    if "indikator" in present and (has_target or present & VALUE_COLUMNS):
        return "indicator"
    return "skip"


def _budget_names(names: list[str], printed: tuple[str, ...]) -> list[str]:
    """In a budget table the first naming column is the uraian, its money column the pagu."""
    names = list(names)
    naming = [i for i, n in enumerate(names) if n in NAME_COLUMNS]
    for rank, i in enumerate(naming):
        names[i] = "uraian" if rank == 0 else f"extra:{printed[i]}"
    money = [i for i, n in enumerate(names) if n in MONEY_COLUMNS]
    for rank, i in enumerate(money):
        names[i] = "pagu" if rank == 0 else f"extra:{printed[i]}"
    return names

"""Cell text -> Value: Indonesian numbers, percentages, counts with units, grades, rupiah.

Formats as printed in the seeds (domain/documents-and-tables.md §3): "1.234.567,89", "87,5%",
"97.5%", "95 %", "12 kali", "2 Lap", "454 badan adhoc", "B", "WTP", "Rp. 34.547.543.000,-".
A cell that does not fit one of them is UNPARSED, never guessed: "12.202365.835" (a dot lost
by OCR) is a reviewer's job, not ours.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from pathlib import Path

from normalize.models import Value, ValueKind

UNIT_WORDS_FILE = "unit_words.csv"
EXPECTS = ("any", "percent", "count", "rupiah", "grade")
DASHES = frozenset({"-", "–", "—", "--"})

_TAG_RE = re.compile(r"<[^>]*>")
_PERCENT_RE = re.compile(r"(-?\d[\d.,]*)\s*(%|persen)", re.IGNORECASE)
_COUNT_RE = re.compile(r"(-?\d[\d.,]*)\s*(.*)")
_UNIT_RE = re.compile(r"[^\W\d_][^\d]*")
_RUPIAH_PREFIX_RE = re.compile(r"^(?:rp|rupiah)[.,]?\s*(?=\d|$)", re.IGNORECASE)
_RUPIAH_WORD_RE = re.compile(r"(?:rp|rupiah)[.,]?", re.IGNORECASE)
_RUPIAH_SUFFIX_RE = re.compile(r"(?:,-|\.-|,00|,-+)$")
_RUPIAH_BODY_RE = re.compile(r"\d{1,3}(?:\.\d{3})+|\d+")


def lexicon_data_dir() -> Path:
    """lexicon/data, whether lexicon is an installed package or a source folder."""
    try:
        return Path(str(resources.files("lexicon").joinpath("data")))
    except (ModuleNotFoundError, TypeError):
        return Path(__file__).resolve().parents[1] / "lexicon" / "data"


@cache
def unit_words() -> dict[str, str]:
    """Printed unit word (lower-cased) -> canonical unit ("lap" -> "laporan", "wtp" -> "opini")."""
    with open(lexicon_data_dir() / UNIT_WORDS_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or set(rows[0]) != {"word", "unit", "source"}:
        raise ValueError(f"{UNIT_WORDS_FILE} needs the columns word, unit, source")
    return {row["word"].strip().lower(): row["unit"].strip() for row in rows}


def clean_value_text(text: str) -> str:
    """Drop HTML remnants and column-rule bars, collapse whitespace."""
    text = _TAG_RE.sub(" ", text).replace("|", " ")
    return " ".join(text.split()).strip(" ;:")


def grade_unit(text: str) -> str:
    """ "grade" / "opini" when the whole text is a grade or an audit opinion word, else ""."""
    unit = unit_words().get(" ".join(text.lower().split()).strip(" .,"), "")
    return unit if unit in ("grade", "opini") else ""


def number_id_to_float(token: str) -> float | None:
    """'1.234.567,89' / '97.5' / '2.498' / '3,5' -> float; None when the grouping is broken."""
    negative = token.startswith("-")
    body = token[1:] if negative else token
    if body.count(",") > 1:
        return None
    integer, _, fraction = body.partition(",")
    if not fraction and "." in integer:
        head, _, tail = integer.rpartition(".")
        # "97.5%" and "0.16%": a dot before 1-2 digits (or after a lone 0) is a decimal point.
        if "." not in head and (len(tail) in (1, 2) or head == "0"):
            integer, fraction = head, tail
    if not _valid_grouping(integer) or (fraction and not fraction.isdigit()):
        return None
    number = float(integer.replace(".", "") + ("." + fraction if fraction else ""))
    return -number if negative else number


def _valid_grouping(integer: str) -> bool:
    groups = integer.split(".")
    if not all(group.isdigit() for group in groups):
        return False
    if len(groups) == 1:
        return True
    return 1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])


def canonical_unit(printed: str) -> str:
    """The unit word as printed, lower-cased, unless unit_words.csv maps it ("Lap" -> "laporan")."""
    word = " ".join(printed.lower().split()).strip(" .,:;/")
    return unit_words().get(word, word)


def text_to_value(text: str, expect: str = "any") -> Value:
    """Parse a target / realisasi / capaian / pagu cell; ``raw`` keeps the text as given."""
    if expect not in EXPECTS:
        raise ValueError(f"expect must be one of {EXPECTS}, got {expect!r}")
    cleaned = clean_value_text(text)
    if not cleaned or cleaned in DASHES:
        return Value(raw=text, kind=ValueKind.EMPTY)
    if expect == "rupiah" or _RUPIAH_PREFIX_RE.match(cleaned):
        return rupiah_text_to_value(text, cleaned)
    unit = grade_unit(cleaned)
    if unit:
        kind = ValueKind.GRADE if unit == "grade" else ValueKind.OPINION
        return Value(raw=text, kind=kind, unit=unit, text=cleaned)
    return _percent_or_count(text, cleaned, expect)


def _percent_or_count(raw: str, cleaned: str, expect: str) -> Value:
    unparsed = Value(raw=raw, kind=ValueKind.UNPARSED, text=cleaned)
    percent = _PERCENT_RE.fullmatch(cleaned)
    if percent:
        number = number_id_to_float(percent.group(1))
        if number is None:
            return unparsed
        return Value(raw, ValueKind.NUMBER, number, "%", percent.group(1) + "%")
    count = _COUNT_RE.fullmatch(cleaned)
    if not count:
        return unparsed
    number = number_id_to_float(count.group(1).rstrip(".,"))
    printed_unit = count.group(2).strip(" /")
    if number is None or (printed_unit and not _UNIT_RE.fullmatch(printed_unit)):
        return unparsed
    if not printed_unit:
        unit = "%" if expect == "percent" else ""
        return Value(raw, ValueKind.NUMBER, number, unit, count.group(1).rstrip(".,"))
    shown = f"{count.group(1).rstrip('.,')} {printed_unit}"
    return Value(raw, ValueKind.NUMBER, number, canonical_unit(printed_unit), shown)


def rupiah_text_to_value(raw: str, cleaned: str) -> Value:
    """'Rp. 34.547.543.000,-' -> 34547543000 (cents kept as a fraction: 'Rp 14.000,50')."""
    body = _RUPIAH_PREFIX_RE.sub("", cleaned)
    body = _RUPIAH_SUFFIX_RE.sub("", body).strip()
    integer, _, cents = body.partition(",")
    if not _RUPIAH_BODY_RE.fullmatch(integer) or (cents and not re.fullmatch(r"\d{2}", cents)):
        return Value(raw=raw, kind=ValueKind.UNPARSED, text=cleaned)
    number = float(integer.replace(".", "")) + (int(cents) / 100 if cents else 0.0)
    return Value(raw=raw, kind=ValueKind.RUPIAH, number=number, unit="rp", text=cleaned)


def _starts_value(token: str) -> bool:
    bare = token.lstrip("-")
    return bool(bare[:1].isdigit() or grade_unit(token) or _RUPIAH_PREFIX_RE.match(token))


def split_stacked_values(text: str) -> list[str]:
    """One entry per value stacked in a cell: "B WTP 80" -> ["B", "WTP", "80"]."""
    items: list[list[str]] = []
    for token in clean_value_text(text).split():
        opens_rupiah = bool(items) and _RUPIAH_WORD_RE.fullmatch(items[-1][-1])
        if items and (opens_rupiah or not _starts_value(token)):
            items[-1].append(token)
        else:
            items.append([token])
    return [" ".join(item) for item in items]


def format_number_id(number: float, decimals: int = 0) -> str:
    """1234567.5 -> "1.234.567,5" (decimals=1): dot thousands, comma decimals."""
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    english = f"{abs(number):,.{decimals}f}"
    indonesian = english.replace(",", "_").replace(".", ",").replace("_", ".")
    is_zero = set(indonesian) <= {"0", ",", "."}
    return indonesian if number >= 0 or is_zero else "-" + indonesian

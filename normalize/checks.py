"""Domain checks on indicator and budget rows -> reason codes of DATASETS.md."""

from __future__ import annotations

from collections.abc import Sequence

from normalize.models import BudgetRow, IndicatorRow, Value, ValueKind

LOW_CONFIDENCE_THRESHOLD = 60.0  # mean tesseract confidence (0-100) of a row's cells
CAPAIAN_TOLERANCE = 1.0  # percentage points between printed and recomputed capaian
SUM_TOLERANCE_RUPIAH = 1  # budget lines are whole rupiah; allow one for rounded cents
# Reason codes in the order DATASETS.md lists them, so review_reasons reads the same every run.
REASON_ORDER = (
    "LOW_CONFIDENCE",
    "TABLE_UNPARSED",
    "VALUE_UNPARSED",
    "CAPAIAN_MISMATCH",
    "SUM_MISMATCH",
    "MISSING_FIELD",
)
CATEGORICAL_UNITS = frozenset({"grade", "opini"})


def ordered_reasons(reasons: Sequence[str] | set[str]) -> tuple[str, ...]:
    """Deduplicated, in REASON_ORDER (unknown codes last, alphabetically)."""
    rank = {code: i for i, code in enumerate(REASON_ORDER)}
    return tuple(sorted(set(reasons), key=lambda code: (rank.get(code, len(rank)), code)))


def capaian_computed(target: Value, realisasi: Value) -> float | None:
    """realisasi / target * 100, rounded to 2, when both are numbers in the same unit."""
    if target.kind is not ValueKind.NUMBER or realisasi.kind is not ValueKind.NUMBER:
        return None
    if target.number is None or realisasi.number is None or target.number == 0:
        return None
    if target.unit != realisasi.unit:
        return None
    return round(realisasi.number / target.number * 100, 2)


def _unparsed(text: str, number: float | None, unit: str) -> bool:
    return bool(text.strip()) and number is None and unit not in CATEGORICAL_UNITS


def indicator_row_reasons(row: IndicatorRow) -> tuple[str, ...]:
    """Every check an indicator row fails, with the reasons already on the row."""
    reasons = set(row.review_reasons)
    if row.ocr_confidence is not None and row.ocr_confidence < LOW_CONFIDENCE_THRESHOLD:
        reasons.add("LOW_CONFIDENCE")
    values = (
        (row.target, row.target_value, row.target_unit),
        (row.realisasi, row.realisasi_value, row.realisasi_unit),
        (row.capaian, row.capaian_value, "%" if row.capaian_value is not None else ""),
    )
    if any(_unparsed(*value) for value in values):
        reasons.add("VALUE_UNPARSED")
    printed, computed = row.capaian_value, row.capaian_computed
    if printed is not None and computed is not None and abs(printed - computed) > CAPAIAN_TOLERANCE:
        reasons.add("CAPAIAN_MISMATCH")
    if not row.indikator.strip() or not row.target.strip():
        reasons.add("MISSING_FIELD")
    return ordered_reasons(reasons)


def _budget_row_own_reasons(row: BudgetRow) -> set[str]:
    reasons = set(row.review_reasons)
    amounts = ((row.pagu, row.pagu_value), (row.realisasi, row.realisasi_value))
    if any(_unparsed(text, value, "") for text, value in amounts):
        reasons.add("VALUE_UNPARSED")
    if _unparsed(row.persen, row.persen_value, ""):
        reasons.add("VALUE_UNPARSED")
    return reasons


def _parts_of(rows: Sequence[BudgetRow], index: int) -> list[BudgetRow]:
    """The lines a total or program row should equal the sum of."""
    row = rows[index]
    if row.level == "program":
        parts = []
        for other in rows[index + 1 :]:
            if other.level != "kegiatan":
                break
            parts.append(other)
        return parts
    start = max((i + 1 for i in range(index) if rows[i].level == "total"), default=0)
    block = rows[start:index]
    programs = [other for other in block if other.level == "program"]
    return programs or [other for other in block if other.level == "kegiatan"]


def _sum_differs(printed: int | None, parts: list[tuple[str, int | None]]) -> bool:
    """True when the printed sum is known, every part is readable, and they disagree."""
    if printed is None or not parts or any(text.strip() and value is None for text, value in parts):
        return False
    if all(value is None for _, value in parts):
        return False
    total = sum(value or 0 for _, value in parts)
    return abs(total - printed) > SUM_TOLERANCE_RUPIAH


def budget_rows_reasons(rows: Sequence[BudgetRow]) -> list[tuple[str, ...]]:
    """Reasons per budget row; SUM_MISMATCH on a total / program row its lines do not add up to."""
    reasons = [_budget_row_own_reasons(row) for row in rows]
    for index, row in enumerate(rows):
        if row.level not in ("total", "program"):
            continue
        parts = _parts_of(rows, index)
        pagu_parts = [(part.pagu, part.pagu_value) for part in parts]
        realisasi_parts = [(part.realisasi, part.realisasi_value) for part in parts]
        if _sum_differs(row.pagu_value, pagu_parts) or _sum_differs(
            row.realisasi_value, realisasi_parts
        ):
            reasons[index].add("SUM_MISMATCH")
    return [ordered_reasons(r) for r in reasons]

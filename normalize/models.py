"""Boundary types of the normalize stage: parsed values, documents, indicator and budget rows.

Field names follow ../shared/DATASETS.md one to one; ``pipeline.export`` writes them in the
order the contract gives, so adding a field here never reorders a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ValueKind(StrEnum):
    NUMBER = "number"  # a number with an optional unit (%, kali, dokumen ...)
    GRADE = "grade"  # B, BB, A, AA, BAIK ...
    OPINION = "opini"  # WTP, WDP, TW, TMP
    RUPIAH = "rupiah"
    EMPTY = "empty"
    UNPARSED = "unparsed"


@dataclass(frozen=True, slots=True)
class Value:
    """A target / realisasi / capaian / pagu cell parsed: ``raw`` is kept as printed."""

    raw: str
    kind: ValueKind
    number: float | None = None
    unit: str = ""  # "%", a lower-cased unit word, "grade", "opini", "rp"
    text: str = ""  # cleaned printed form ("87,5%", "12 kali", "WTP")

    def __post_init__(self) -> None:
        if self.kind in (ValueKind.NUMBER, ValueKind.RUPIAH) and self.number is None:
            raise ValueError(f"a {self.kind.value} value needs a number: {self.raw!r}")


@dataclass(frozen=True, slots=True)
class Correction:
    """One repair made to a token or phrase, kept for audit."""

    raw: str
    repaired: str
    start: int  # character offset in the raw text
    score: float
    rule: str  # "lexicon", "phrase", "value", "noise"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    doc_type: str = "LAINNYA"  # PK, PK_PERUBAHAN, LAKIP, RKT, RENCANA_AKSI, IKU, RENSTRA, KEPUTUSAN
    satker: str = ""
    tahun: int | None = None
    pihak_by_page: tuple[tuple[int, str], ...] = ()  # (first page, pihak) in page order

    def pihak_for_page(self, page: int) -> str:
        """The pihak stated on or before ``page`` (a decree with several PKs changes it)."""
        current = ""
        for first_page, pihak in self.pihak_by_page:
            if first_page <= page:
                current = pihak
        return current


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    source_file: str
    doc_sha256: str
    page: int
    table_index: int
    row_index: int
    extraction: str
    ocr_confidence: float | None
    doc_type: str
    satker: str
    tahun: int | None
    pihak: str
    table_title: str
    sasaran_level: str
    kelompok: str
    no: str
    sasaran: str
    indikator: str
    target: str
    target_value: float | None
    target_unit: str
    realisasi: str
    realisasi_value: float | None
    realisasi_unit: str
    capaian: str
    capaian_value: float | None
    capaian_computed: float | None
    needs_review: bool
    review_reasons: tuple[str, ...]
    sasaran_raw: str
    indikator_raw: str
    target_raw: str
    realisasi_raw: str
    capaian_raw: str
    extra: tuple[tuple[str, str], ...] = field(default=())  # unmapped columns kept: (header, text)


@dataclass(frozen=True, slots=True)
class BudgetRow:
    source_file: str
    doc_sha256: str
    page: int
    table_index: int
    row_index: int
    extraction: str
    doc_type: str
    satker: str
    tahun: int | None
    level: str  # program, kegiatan, total
    kode: str
    uraian: str
    pagu: str
    pagu_value: int | None
    realisasi: str
    realisasi_value: int | None
    persen: str
    persen_value: float | None
    sumber_dana: str
    needs_review: bool
    review_reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableIssue:
    """A table-level problem (e.g. TABLE_UNPARSED) that sends its page to review."""

    page: int
    table_index: int
    reason: str
    detail: str

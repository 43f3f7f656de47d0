"""Domain checks -> reason codes."""

from __future__ import annotations

import dataclasses

import pytest

from normalize.checks import (
    LOW_CONFIDENCE_THRESHOLD,
    budget_rows_reasons,
    capaian_computed,
    indicator_row_reasons,
    ordered_reasons,
)
from normalize.models import BudgetRow, IndicatorRow
from normalize.values import text_to_value


def indicator(**fields: object) -> IndicatorRow:
    base = dict(
        source_file="002.pdf",
        doc_sha256="0" * 64,
        page=1,
        table_index=1,
        row_index=1,
        extraction="text",
        ocr_confidence=None,
        doc_type="LAKIP",
        satker="Sekretariat KPU Kota Bontang",
        tahun=2024,
        pihak="",
        table_title="",
        sasaran_level="",
        kelompok="",
        no="2",
        sasaran="Terwujudnya rencana kerja",
        indikator="Jumlah revisi",
        target="10 kali",
        target_value=10.0,
        target_unit="kali",
        realisasi="12 kali",
        realisasi_value=12.0,
        realisasi_unit="kali",
        capaian="120%",
        capaian_value=120.0,
        capaian_computed=120.0,
        needs_review=False,
        review_reasons=(),
        sasaran_raw="",
        indikator_raw="",
        target_raw="",
        realisasi_raw="",
        capaian_raw="",
    )
    base.update(fields)
    return IndicatorRow(**base)  # type: ignore[arg-type]


def budget(
    level: str, pagu: int | None, realisasi: int | None = None, pagu_text: str | None = None
) -> BudgetRow:
    return BudgetRow(
        "002.pdf",
        "0" * 64,
        1,
        1,
        1,
        "text",
        "LAKIP",
        "Sekretariat KPU Kota Bontang",
        2024,
        level,
        "",
        level,
        pagu_text if pagu_text is not None else ("" if pagu is None else str(pagu)),
        pagu,
        "" if realisasi is None else str(realisasi),
        realisasi,
        "",
        None,
        "",
        False,
        (),
    )


def test_a_clean_row_passes() -> None:
    assert indicator_row_reasons(indicator()) == ()


def test_capaian_mismatch_over_one_point() -> None:
    assert indicator_row_reasons(indicator(capaian_value=100.0)) == ("CAPAIAN_MISMATCH",)
    assert indicator_row_reasons(indicator(capaian_value=119.2)) == ()


def test_missing_indikator_or_target() -> None:
    assert indicator_row_reasons(indicator(indikator=" ")) == ("MISSING_FIELD",)
    row = indicator(target="", target_value=None, target_unit="", capaian_computed=None)
    assert indicator_row_reasons(row) == ("MISSING_FIELD",)


def test_value_unparsed_but_grades_are_fine() -> None:
    row = indicator(target="goo0 g5y,", target_value=None, target_unit="", capaian_computed=None)
    assert indicator_row_reasons(row) == ("VALUE_UNPARSED",)
    grade = indicator(
        target="B",
        target_value=None,
        target_unit="grade",
        realisasi="BB",
        realisasi_value=None,
        realisasi_unit="grade",
        capaian="100%",
        capaian_value=100.0,
        capaian_computed=None,
    )
    assert indicator_row_reasons(grade) == ()


def test_low_confidence_threshold() -> None:
    assert indicator_row_reasons(indicator(ocr_confidence=LOW_CONFIDENCE_THRESHOLD - 0.1)) == (
        "LOW_CONFIDENCE",
    )
    assert indicator_row_reasons(indicator(ocr_confidence=LOW_CONFIDENCE_THRESHOLD)) == ()


def test_reasons_already_on_the_row_are_kept_in_contract_order() -> None:
    row = indicator(review_reasons=("MISSING_FIELD", "VALUE_UNPARSED"), ocr_confidence=10.0)
    assert indicator_row_reasons(row) == ("LOW_CONFIDENCE", "VALUE_UNPARSED", "MISSING_FIELD")
    assert ordered_reasons(["X", "SUM_MISMATCH", "X"]) == ("SUM_MISMATCH", "X")


@pytest.mark.parametrize(
    ("target", "realisasi", "expected"),
    [
        ("95%", "95%", 100.0),
        ("10 kali", "12 kali", 120.0),
        ("75%", "90%", 120.0),
        ("3", "1", 33.33),
        ("B", "BB", None),
        ("2 Dokumen", "2%", None),
        ("0%", "5%", None),
        ("", "5%", None),
    ],
)
def test_capaian_computed(target: str, realisasi: str, expected: float | None) -> None:
    assert capaian_computed(text_to_value(target), text_to_value(realisasi)) == expected


def test_budget_sums_002_tabel_3_13() -> None:
    # CQ = sum of its kegiatan, WA = 3355 + 3360, TOTAL = CQ + WA (002:L2823-2893, Appendix A.1).
    rows = [
        budget("program", 38_034_219_000),
        budget("kegiatan", 25_657_790_000),
        budget("kegiatan", 12_376_429_000),
        budget("program", 2_685_536_000),
        budget("kegiatan", 2_000_000_000),
        budget("kegiatan", 685_536_000),
        budget("total", 40_719_755_000),
    ]
    assert budget_rows_reasons(rows) == [()] * 7


def test_sum_mismatch_on_program_and_total() -> None:
    # 002 RKT Tabel 2.3.1: WA 2.519.511.000 but its kegiatan add up to 2.657.967.000.
    rows = [
        budget("program", 2_519_511_000),
        budget("kegiatan", 2_000_000_000),
        budget("kegiatan", 657_967_000),
        budget("total", 2_519_511_001),
    ]
    assert budget_rows_reasons(rows) == [("SUM_MISMATCH",), (), (), ()]
    rows = [budget("program", 100), budget("program", 200), budget("total", 400)]
    assert budget_rows_reasons(rows)[2] == ("SUM_MISMATCH",)


def test_sums_are_not_checked_through_an_unreadable_line() -> None:
    rows = [
        budget("program", 100),
        budget("program", None, pagu_text="12.202365.835"),
        budget("total", 400),
    ]
    assert budget_rows_reasons(rows) == [(), ("VALUE_UNPARSED",), ()]


def test_realisasi_sums_treat_blank_lines_as_nothing_spent() -> None:
    rows = [budget("kegiatan", 100, 50), budget("kegiatan", 100, None), budget("total", 200, 60)]
    assert budget_rows_reasons(rows)[2] == ("SUM_MISMATCH",)
    fixed = dataclasses.replace(rows[2], realisasi="50", realisasi_value=50)
    assert budget_rows_reasons([*rows[:2], fixed])[2] == ()

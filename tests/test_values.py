"""Value parsing: the formats printed in the seeds, and format-then-parse round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from normalize.models import ValueKind
from normalize.values import (
    format_number_id,
    number_id_to_float,
    split_stacked_values,
    text_to_value,
)


@pytest.mark.parametrize(
    ("text", "number", "unit", "shown"),
    [
        ("100%", 100, "%", "100%"),
        ("87,5%", 87.5, "%", "87,5%"),  # 000:L260
        ("97.5%", 97.5, "%", "97.5%"),  # 000:L261
        ("95 %", 95, "%", "95%"),  # 002:L1551
        ("0,17%", 0.17, "%", "0,17%"),  # 002:L3587
        ("12 kali", 12, "kali", "12 kali"),
        ("12 Kali", 12, "kali", "12 Kali"),  # 004:L61
        ("2 Dokumen", 2, "dokumen", "2 Dokumen"),
        ("2 Lap", 2, "laporan", "2 Lap"),  # 000:L753
        ("1dok", 1, "dokumen", "1 dok"),  # 002:L3790
        ("20 keg", 20, "kegiatan", "20 keg"),  # 002:L3642
        ("454 badan adhoc", 454, "badan adhoc", "454 badan adhoc"),
        ("2.498 Orang", 2498, "orang", "2.498 Orang"),  # 004:L115
        ("1 Pusat Pendidikan Pemilih", 1, "pusat pendidikan pemilih", "1 Pusat Pendidikan Pemilih"),
        ("3,5", 3.5, "", "3,5"),  # 004:L118
        ("3724", 3724, "", "3724"),  # 002:L3687
        ("1.234.567,89", 1234567.89, "", "1.234.567,89"),
    ],
)
def test_numbers_with_units(text: str, number: float, unit: str, shown: str) -> None:
    value = text_to_value(text)
    assert value.kind is ValueKind.NUMBER
    assert (value.number, value.unit, value.text, value.raw) == (number, unit, shown, text)


@pytest.mark.parametrize(
    ("text", "kind", "unit"),
    [
        ("B", ValueKind.GRADE, "grade"),
        ("BB", ValueKind.GRADE, "grade"),
        ("BAIK", ValueKind.GRADE, "grade"),
        ("WTP", ValueKind.OPINION, "opini"),
        ("WDP", ValueKind.OPINION, "opini"),
    ],
)
def test_grades_and_opinions_have_no_number(text: str, kind: ValueKind, unit: str) -> None:
    value = text_to_value(text)
    assert (value.kind, value.unit, value.number, value.text) == (kind, unit, None, text)


def test_rupiah() -> None:
    value = text_to_value("Rp. 34.547.543.000,-")
    assert (value.kind, value.number, value.unit) == (ValueKind.RUPIAH, 34_547_543_000, "rp")
    assert text_to_value("Rp 7.564.742.000").number == 7_564_742_000
    assert text_to_value("38.034.219.000", "rupiah").number == 38_034_219_000
    assert text_to_value("Rp 2.400.000,00", "rupiah").number == 2_400_000


@pytest.mark.parametrize(
    "text",
    ["12.202365.835", "2.685.536 000", "Rp 1 135.576.000", "€6.035.211.000", "3T.027.289.4T5"],
)
def test_damaged_amounts_are_unparsed_not_guessed(text: str) -> None:
    value = text_to_value(text, "rupiah")
    assert value.kind is ValueKind.UNPARSED and value.number is None and value.raw == text


def test_percent_columns_accept_bare_numbers() -> None:
    assert (text_to_value("32.08", "percent").number, text_to_value("32.08", "percent").unit) == (
        32.08,
        "%",
    )
    assert text_to_value("32.08").unit == ""


@pytest.mark.parametrize("text", ["", "  ", "-", "—"])
def test_empty(text: str) -> None:
    assert text_to_value(text).kind is ValueKind.EMPTY


@pytest.mark.parametrize(
    "text",
    [
        "1.095 PPS, 4.929 Pantarlih, 44361 KPPS & Linmas",
        "goo0 g5y,",
        "Interpretasi Memuaskan",
        "100% 100%",
    ],
)
def test_unparsed(text: str) -> None:
    assert text_to_value(text).kind is ValueKind.UNPARSED


def test_unknown_expect_is_rejected() -> None:
    with pytest.raises(ValueError):
        text_to_value("1", "money")


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("B WTP 80", ["B", "WTP", "80"]),  # 004:L52
        ("97,5% 90%", ["97,5%", "90%"]),  # 004:L107
        ("12 kali", ["12 kali"]),
        ("1 Perkara 90%", ["1 Perkara", "90%"]),  # 004:L125
        ("5 Dokumen 40%", ["5 Dokumen", "40%"]),  # 004:L99
        ("<p>100%</p> <p>100%</p> <p>100%</p>", ["100%", "100%", "100%"]),  # 004:L78
        ("95 %", ["95 %"]),
        ("454 badan adhoc", ["454 badan adhoc"]),
        ("", []),
    ],
)
def test_split_stacked_values(text: str, values: list[str]) -> None:
    assert split_stacked_values(text) == values


def test_format_number_id() -> None:
    assert format_number_id(1234567.5, 1) == "1.234.567,5"
    assert format_number_id(34547543000) == "34.547.543.000"
    assert format_number_id(-2.5, 2) == "-2,50"
    assert format_number_id(-0.001, 2) == "0,00"
    with pytest.raises(ValueError):
        format_number_id(1, -1)


finite = st.floats(min_value=-1e13, max_value=1e13, allow_nan=False, allow_infinity=False)


@given(finite, st.integers(min_value=0, max_value=4))
def test_indonesian_numbers_survive_format_then_parse(number: float, decimals: int) -> None:
    text = format_number_id(number, decimals)
    assert number_id_to_float(text) == pytest.approx(float(f"{number:.{decimals}f}"), abs=1e-9)


@given(
    st.floats(min_value=0, max_value=1000, allow_nan=False), st.integers(min_value=0, max_value=2)
)
def test_percentages_survive_format_then_parse(number: float, decimals: int) -> None:
    value = text_to_value(format_number_id(number, decimals) + "%")
    assert value.kind is ValueKind.NUMBER and value.unit == "%"
    assert value.number == pytest.approx(float(f"{number:.{decimals}f}"))


@given(st.integers(min_value=0, max_value=10**13))
def test_rupiah_survive_format_then_parse(amount: int) -> None:
    assert text_to_value(f"Rp. {format_number_id(amount)},-").number == amount


@given(st.text(max_size=40))
def test_parsing_never_raises_and_keeps_raw(text: str) -> None:
    for expect in ("any", "percent", "count", "rupiah", "grade"):
        assert text_to_value(text, expect).raw == text


@given(
    st.lists(
        st.sampled_from(["100%", "87,5%", "12 kali", "B", "WTP", "2 Dokumen", "80"]), max_size=5
    )
)
def test_stacked_values_split_back(values: list[str]) -> None:
    assert split_stacked_values(" ".join(values)) == values

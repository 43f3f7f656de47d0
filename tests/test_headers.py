"""Header rows -> canonical columns, from the headers printed in the seeds."""

from __future__ import annotations

import pytest

from normalize.headers import (
    ColumnMap,
    header_rows_to_column_map,
    header_text_to_match,
    header_variants,
    is_numbering_row,
)


def column_map(*rows: list[str]) -> ColumnMap:
    result = header_rows_to_column_map(list(rows))
    assert result is not None
    return result


def test_pk_header_with_numbering_row() -> None:  # 000:L142-143
    result = column_map(
        ["NO", "Sasaran Program", "Indikator kinerja", "Target"],
        ["(1)", "(2)", "(3)", "(4)"],
        ["1", "Terwujudnya Tahapan", "Persentase penyelenggaraan", "100%"],
    )
    assert result.columns == ("no", "sasaran", "indikator", "target")
    assert (result.header_rows, result.sasaran_level, result.kind) == (2, "program", "indicator")


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("TARGET (SESUAIKAN DG RENSTRA)", "target"),  # 000:L370
        ("Target (sesuaikan dg renstra)", "target"),  # 000:L565
        ("TARGET CAPAIAN", "target"),  # 004:L48, an RKT target
        ("Indiaktor Kinerja", "indikator"),  # 002:L125, author typo
        ("Indikntor Kinerja", "indikator"),  # 001:L3213, OCR
        ("Realmasi", "realisasi"),  # 001:L1290
        ("Heslisasi", "realisasi"),  # 001:L256
        ("Capaian (%)", "capaian"),
        ("Capstan", "capaian"),  # 001:L1290
        ("Sasaran Keaiatan", "sasaran"),  # 002:L1522
        ("PERSEN\nTASE", "persen"),  # 002:L2818
        ("Curn Penghitungun", "extra"),  # 001:L3213
        ("Sumber Data", "extra"),
        ("T3", "extra"),
    ],
)
def test_header_variants(header: str, column: str) -> None:
    match = header_text_to_match(header)
    assert match is not None and match.column == column


@pytest.mark.parametrize(
    "text", ["SAHABAT", "TARUHAN", "Persentase penyelenggaraan Pemilu sesuai Jadwal", "1", "100%"]
)
def test_non_headers_do_not_match(text: str) -> None:  # 003:L1066, L1095 hallucinated headers
    assert header_text_to_match(text) is None


def test_sasaran_level_from_header() -> None:
    assert (
        column_map(["No.", "Sasaran Strategis", "Indikator Kinerja", "Target"]).sasaran_level
        == "strategis"
    )
    assert (
        column_map(["NO", "SASARAN KEGIATAN", "INDIKATOR KINERJA", "TARGET"]).sasaran_level
        == "kegiatan"
    )
    combined = column_map(
        ["NO", "Sasaran Program (outcome) / Sasaran Kegiatan", "Indikator", "Target"]
    )
    assert combined.sasaran_level == "program/kegiatan"


def test_lakip_table_with_ocr_headers_and_garbled_numbering() -> None:  # 001:L1371, L1191
    result = column_map(
        ["Ho", "Indikator", "Target", "Reafisasi", "Capsian"], ["{1 ]_", "{2", "B", "4)", "l 5"]
    )
    assert result.columns == ("no", "indikator", "target", "realisasi", "capaian")
    assert result.header_rows == 2


def test_extra_columns_keep_the_printed_header() -> None:  # 001:L3213-3214, two header lines
    result = column_map(
        ["No", "Sasaran Kegiatan", "Indikator Kinerja", "Target", "Cara Penghitungan"],
        ["", "", "kegiatan", "", "Capaian Kinerja"],
    )
    assert result.columns[4] == "extra:Cara Penghitungan Capaian Kinerja"
    assert result.printed[2] == "Indikator Kinerja kegiatan"


def test_rkt_seven_columns_keep_the_sasaran_next_to_the_indicator() -> None:  # 000:L875
    result = column_map(
        [
            "NO",
            "SASARAN STRATEGIS",
            "PROGRAM",
            "KEGIATAN",
            "SASARAN KEGIATAN",
            "INDIKATOR KEGIATAN",
            "TARGET",
            "ANGGARAN",
        ]
    )
    assert result.columns == (
        "no",
        "extra:SASARAN STRATEGIS",
        "program",
        "kegiatan",
        "sasaran",
        "indikator",
        "target",
        "anggaran",
    )
    assert (result.kind, result.sasaran_level) == ("indicator", "kegiatan")


def test_multi_year_targets() -> None:
    result = column_map(["No", "Indikator", "Target", "", ""], ["", "", "2022", "2023", "2024"])
    assert result.columns[2:] == ("target_2022", "target_2023", "target_2024")
    assert result.years == (2022, 2023, 2024)


@pytest.mark.parametrize(
    ("rows", "columns"),
    [
        ([["Program", "Anggaran"]], ("uraian", "pagu")),  # 000:L159
        ([["Kegiatan", "Anggaran"]], ("uraian", "pagu")),  # 002:L3270
        (
            [["NO", "PROGRAM/KEGIATAN", "PAGU", "REALISASI", "PERSEN\nTASE"]],
            ("no", "uraian", "pagu", "realisasi", "persen"),
        ),  # 002:L2818
        (
            [["No", "Indikator", "Pagu"]],
            ("no", "uraian", "pagu"),
        ),  # 002:L4000, names in "Indikator"
    ],
)
def test_budget_headers(rows: list[list[str]], columns: tuple[str, ...]) -> None:
    result = column_map(*rows)
    assert (result.kind, result.columns) == ("budget", columns)


def test_tables_that_are_not_indicator_tables() -> None:
    assert (
        header_rows_to_column_map([["BULAN", "JUMLAH PEMOHON", "PEMBERIAN", "PENOLAKAN"]]) is None
    )
    assert header_rows_to_column_map([["1", "Terwujudnya x", "Persentase y", "100%"]]) is None
    assert header_rows_to_column_map([]) is None
    garbled = column_map(["NO", "SASARAN KINERJA", "INDIKATOR KINERJA", "SAHABAT"])
    assert garbled.kind == "skip" and garbled.columns[3] == ""


@pytest.mark.parametrize(
    "texts",
    [
        ["(1)", "(2)", "(3)", "(4)"],
        ["1", "2", "3", "4"],
        ["(1 1", "(2", "(3)", "(4)"],
        ["@", "(2)", "(3)", "(4)"],
        ["<i>1</i>", "<i>2</i>", "<i>3</i>", "<i>4</i>"],
        ["I II III IV III"],
        ["(n (2 (3} (4) (53"],
    ],
)
def test_numbering_rows(texts: list[str]) -> None:
    assert is_numbering_row(texts)


@pytest.mark.parametrize(
    "texts",
    [["1", "Terwujudnya", "Persentase", "100%"], ["10", "12", "12"], [], ["", ""], ["2", "B"]],
)
def test_body_rows_are_not_numbering_rows(texts: list[str]) -> None:
    assert not is_numbering_row(texts)


def test_variants_file_is_valid_and_every_variant_matches_itself() -> None:
    variants = header_variants()
    assert len(variants) > 50
    for variant in variants:
        match = header_text_to_match(variant.key)
        assert match is not None and match.score == 100


def test_column_map_checks_itself() -> None:
    with pytest.raises(ValueError):
        ColumnMap(("no",), 1, kind="table")
    with pytest.raises(ValueError):
        ColumnMap(("no",), 1, kind="skip", printed=("a", "b"))

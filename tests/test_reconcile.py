"""pipeline.reconcile: PK targets against LAKIP results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reconcile import (
    MATCH_SCORE_CUTOFF,
    RECONCILIATION_COLUMNS,
    cell_text,
    column_text,
    frame_records,
    indicator_key,
    reconcile,
    reconcile_out_dir,
)

BONTANG = "KPU Kota Bontang"
PEMUTAKHIRAN = "Persentase {} yang memutakhirkan data pemilih tepat waktu"
OPINI = "Opini BPK atas laporan keuangan"
SAKIP = "Nilai SAKIP {}"


def row(doc_type: str, source: str, page: int, indikator: str, target: str = "", **extra) -> dict:
    values = {
        "source_file": source, "page": str(page), "table_index": "1", "row_index": "1",
        "doc_type": doc_type, "satker": BONTANG, "tahun": "2024", "pihak": "",
        "indikator": indikator, "target": target,
    }  # fmt: skip
    values.update({name: str(value) for name, value in extra.items()})
    return values


def pk(page: int, indikator: str, target: str, **extra) -> dict:
    return row("PK", "pk-2024.pdf", page, indikator, target, **extra)


def lakip(page: int, indikator: str, target: str, **extra) -> dict:
    return row("LAKIP", "lakip-2024.pdf", page, indikator, target, **extra)


def run(*rows: dict) -> list[dict]:
    return reconcile(pd.DataFrame(list(rows))).to_dict("records")


def test_satker_name_becomes_a_slot():
    assert indicator_key(PEMUTAKHIRAN.format(BONTANG), BONTANG) == PEMUTAKHIRAN.format(
        "{SATKER}"
    ).lower().replace("{satker}", "{SATKER}")
    assert indicator_key(
        "Nilai SAKIP Sekretariat KPU Kota Bontang", "Sekretariat KPU Kota Bontang"
    ) == ("nilai sakip {SATKER}")
    assert indicator_key("Nilai SAKIP Kota Bontang", BONTANG) == "nilai sakip {SATKER}"


@pytest.mark.parametrize("prefix", ["1 ", "12. ", "(3) ", "a. ", "- ", "\u2022 "])
def test_leading_row_numbers_and_bullets_are_not_wording(prefix: str):
    assert indicator_key(prefix + "Prosentase Temuan BPK", BONTANG) == "prosentase temuan bpk"
    assert indicator_key("100 persen dokumen", BONTANG) == "100 persen dokumen"


def test_same_indicator_worded_per_satker_is_matched_and_values_carried():
    lines = run(
        pk(3, PEMUTAKHIRAN.format("KPU Kota Bontang"), "87,5%"),
        lakip(20, PEMUTAKHIRAN.format("Kota Bontang"), "87.5 %", realisasi="100%",
              capaian="114,29%", capaian_computed="114.29"),
    )  # fmt: skip
    assert len(lines) == 1
    (line,) = lines
    assert line["match_score"] == "100.0"
    assert (line["pk_source"], line["lakip_source"]) == ("pk-2024.pdf:3", "lakip-2024.pdf:20")
    assert (line["pk_target"], line["lakip_target"]) == ("87,5%", "87.5 %")
    assert (line["lakip_realisasi"], line["lakip_capaian"]) == ("100%", "114,29%")
    assert line["indikator"] == PEMUTAKHIRAN.format("KPU Kota Bontang"), "the PK wording"
    assert line["flags"] == ""


def test_target_differs_on_text_and_on_parsed_values():
    by_text = run(pk(1, OPINI, "WTP"), lakip(5, OPINI, "WDP"))
    assert by_text[0]["flags"] == "TARGET_DIFFERS"
    by_value = run(
        pk(1, OPINI, "80 %", target_value="80", target_unit="%"),
        lakip(5, OPINI, "65%", target_value="65", target_unit="%"),
    )
    assert by_value[0]["flags"] == "TARGET_DIFFERS"
    same_value = run(
        pk(1, OPINI, "100", target_value="100", target_unit="%"),
        lakip(5, OPINI, "100,00%", target_value="100", target_unit="%"),
    )
    assert same_value[0]["flags"] == ""
    no_lakip_target = run(pk(1, OPINI, "WTP"), lakip(5, OPINI, "", realisasi="WTP"))
    assert no_lakip_target[0]["flags"] == ""


@pytest.mark.parametrize(
    ("capaian", "computed", "flags"),
    [
        ("120%", "114.29", "CAPAIAN_DIFFERS"),
        ("99%", "99.56", ""),
        ("100 %", "101.0", ""),
        ("", "50", ""),
    ],
)
def test_capaian_differs_beyond_one_point(capaian: str, computed: str, flags: str):
    lines = run(
        pk(1, OPINI, "WTP"), lakip(5, OPINI, "WTP", capaian=capaian, capaian_computed=computed)
    )
    assert lines[0]["flags"] == flags


def test_both_flags_are_joined():
    lines = run(pk(1, OPINI, "90%"), lakip(5, OPINI, "80%", capaian="50%", capaian_computed="100"))
    assert lines[0]["flags"] == "TARGET_DIFFERS;CAPAIAN_DIFFERS"


def test_unmatched_indicators_on_each_side():
    lines = run(
        pk(1, OPINI, "WTP"),
        pk(1, "Jumlah laporan keuangan yang disusun tepat waktu", "4 laporan", row_index="2"),
        lakip(5, OPINI, "WTP"),
        lakip(6, SAKIP.format(BONTANG), "B"),
    )
    assert [(line["indikator"], line["flags"]) for line in lines] == [
        (OPINI, ""),
        ("Jumlah laporan keuangan yang disusun tepat waktu", "ONLY_IN_PK"),
        (SAKIP.format(BONTANG), "ONLY_IN_LAKIP"),
    ]
    assert lines[1]["lakip_source"] == "" and lines[1]["match_score"] == ""
    assert lines[2]["pk_source"] == "" and lines[2]["lakip_source"] == "lakip-2024.pdf:6"


def test_other_satker_or_year_is_never_matched():
    other_year = lakip(5, OPINI, "WTP") | {"tahun": "2023"}
    other_satker = lakip(6, OPINI, "WTP") | {"satker": "KPU Kota Serang"}
    flags = [line["flags"] for line in run(pk(1, OPINI, "WTP"), other_year, other_satker)]
    assert sorted(flags) == ["ONLY_IN_LAKIP", "ONLY_IN_LAKIP", "ONLY_IN_PK"]


def test_unknown_satker_is_not_evidence_of_one_unit():
    lines = run(pk(1, OPINI, "WTP") | {"satker": ""}, lakip(5, OPINI, "WTP") | {"satker": ""})
    assert sorted(line["flags"] for line in lines) == ["ONLY_IN_LAKIP", "ONLY_IN_PK"]


def test_matching_is_one_to_one_best_pair_first():
    close = "Persentase dokumen perencanaan yang disusun tepat waktu"
    closer = "Persentase dokumen perencanaan yang tersusun tepat waktu"
    lines = run(pk(1, closer, "100%"), lakip(5, close, "100%"), lakip(6, closer, "100%"))
    assert [(line["lakip_source"], line["flags"]) for line in lines] == [
        ("lakip-2024.pdf:6", ""),
        ("lakip-2024.pdf:5", "ONLY_IN_LAKIP"),
    ]


def test_below_the_cutoff_two_wordings_are_two_indicators():
    lines = run(pk(1, "Nilai SAKIP", "B"), lakip(5, "Nilai Reformasi Birokrasi", "B"))
    assert MATCH_SCORE_CUTOFF >= 80
    assert [line["flags"] for line in lines] == ["ONLY_IN_PK", "ONLY_IN_LAKIP"]


def test_each_pk_row_is_kept_and_lakip_copies_collapse():
    lines = run(
        pk(2, OPINI, "WTP", pihak="Ketua"),
        pk(9, OPINI, "WTP", pihak="Sekretaris"),
        pk(9, OPINI, "WTP", pihak="Sekretaris"),  # the same row twice: one line
        lakip(4, OPINI, "WTP"),  # summary table: target only
        lakip(30, OPINI, "WTP", realisasi="WTP", capaian="100%"),  # measurement table
        lakip(44, OPINI, "WTP", realisasi="WTP", capaian="100%"),  # a later copy
    )
    assert [line["pk_source"] for line in lines] == ["pk-2024.pdf:2", "pk-2024.pdf:9"]
    assert {line["lakip_source"] for line in lines} == {"lakip-2024.pdf:30"}
    assert all(line["flags"] == "" for line in lines)


def test_pk_perubahan_counts_as_pk_and_other_types_are_ignored():
    amended = row("PK_PERUBAHAN", "pk-perubahan.pdf", 2, OPINI, "WTP")
    plan = row("RKT", "rkt.pdf", 2, OPINI, "WTP")
    lines = run(amended, plan, lakip(5, OPINI, "WTP"))
    assert [(line["pk_source"], line["flags"]) for line in lines] == [("pk-perubahan.pdf:2", "")]


def test_columns_and_order_and_purity():
    rows = [lakip(5, OPINI, "WTP") | {"satker": "KPU Kota Serang"}, pk(1, OPINI, "WTP")]
    frame = pd.DataFrame(rows)
    before = frame.copy()
    result = reconcile(frame)
    assert tuple(result.columns) == RECONCILIATION_COLUMNS
    assert list(result["satker"]) == [BONTANG, "KPU Kota Serang"]
    pd.testing.assert_frame_equal(frame, before)


def test_rows_without_an_indicator_are_skipped_and_empty_input_gives_header():
    assert run(pk(1, "", "100%")) == []
    empty = reconcile(pd.DataFrame(columns=["source_file", "page", "doc_type", "satker", "tahun",
                                            "indikator", "target"]))  # fmt: skip
    assert tuple(empty.columns) == RECONCILIATION_COLUMNS and empty.empty


def test_missing_required_columns_are_named():
    with pytest.raises(ValueError, match="indikator"):
        reconcile(pd.DataFrame([{"source_file": "a.pdf"}]))


indicator_texts = st.sampled_from(
    [OPINI, SAKIP.format(BONTANG), PEMUTAKHIRAN.format("KPU"), PEMUTAKHIRAN.format(BONTANG),
     "Jumlah laporan keuangan", "Persentase temuan BPK yang ditindaklanjuti"]
)  # fmt: skip
generated_rows = st.lists(
    st.builds(
        lambda doc_type, page, text, target: row(doc_type, f"{doc_type}.pdf", page, text, target),
        st.sampled_from(["PK", "LAKIP", "PK_PERUBAHAN", "RKT"]),
        st.integers(1, 30),
        indicator_texts,
        st.sampled_from(["100%", "87,5%", "WTP", "4 laporan", ""]),
    ),
    max_size=12,
)


cell_values = st.one_of(
    st.text(alphabet=st.sampled_from("ab 1\t\n\u00a0\u2003,.%")),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False),
    st.integers(-5, 5),
)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from("ab 1\t\n\u00a0\u2003,.%"))))
def test_column_text_of_text_cells_is_cell_text_of_each(texts: list[str]):
    # The column path (read_csv gives text cells only) must equal the per-cell rule.
    for dtype in (object, "str"):
        column = pd.Series(texts, dtype=dtype)
        assert column_text(column).tolist() == [cell_text(text) for text in texts]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(cell_values))
def test_column_text_of_any_cells_is_cell_text_of_each(values: list[object]):
    column = pd.Series(values, dtype=object)
    assert column_text(column).tolist() == [cell_text(value) for value in values]


@settings(max_examples=60, deadline=None)
@given(rows=generated_rows)
def test_frame_records_are_the_rows_as_dicts(rows: list[dict]):
    frame = pd.DataFrame(rows, columns=list(row("PK", "x", 1, "x")))
    assert frame_records(frame) == frame.to_dict("records")


@settings(max_examples=60, deadline=None)
@given(rows=generated_rows, seed=st.randoms())
def test_output_does_not_depend_on_input_row_order(rows: list[dict], seed):
    shuffled = rows[:]
    seed.shuffle(shuffled)
    columns = list(row("PK", "x", 1, "x"))
    first = reconcile(pd.DataFrame(rows, columns=columns))
    second = reconcile(pd.DataFrame(shuffled, columns=columns))
    pd.testing.assert_frame_equal(first, second)


@settings(max_examples=60, deadline=None)
@given(rows=generated_rows)
def test_every_pk_row_and_every_lakip_indicator_is_accounted_for(rows: list[dict]):
    result = reconcile(pd.DataFrame(rows, columns=list(row("PK", "x", 1, "x"))))
    pk_rows = [r for r in rows if r["doc_type"] in ("PK", "PK_PERUBAHAN")]
    assert set(result["pk_source"]) - {""} == {f"{r['source_file']}:{r['page']}" for r in pk_rows}
    lakip_keys = {indicator_key(r["indikator"], BONTANG) for r in rows if r["doc_type"] == "LAKIP"}
    matched = result[(result["pk_source"] != "") & (result["lakip_source"] != "")]
    matched_keys = {indicator_key(text, BONTANG) for text in matched["indikator"]}
    only_lakip = result[result["flags"] == "ONLY_IN_LAKIP"]
    # One to one: each LAKIP indicator is matched to one PK indicator text or listed alone.
    assert len(matched_keys) + len(only_lakip) == len(lakip_keys)
    assert (result.loc[result["pk_source"] == "", "flags"] == "ONLY_IN_LAKIP").all()


def write_indicators(out: Path, rows: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "indicators.csv", index=False)


def test_reconcile_out_dir_writes_a_stable_csv(tmp_path: Path):
    write_indicators(
        tmp_path,
        [
            pk(1, OPINI, "WTP"),
            lakip(5, OPINI, "WDP", realisasi="WTP"),
            lakip(6, "Nilai SAKIP", "B"),
        ],
    )
    written = reconcile_out_dir(tmp_path)
    first = written.read_bytes()
    assert written == tmp_path / "reconciliation.csv"
    assert first.splitlines()[0].decode() == ",".join(RECONCILIATION_COLUMNS)
    assert first.splitlines()[1].decode() == (
        f"{BONTANG},2024,{OPINI},100.0,pk-2024.pdf:1,WTP,lakip-2024.pdf:5,WDP,WTP,,,TARGET_DIFFERS"
    )
    assert reconcile_out_dir(tmp_path).read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indicators.csv", "reconciliation.csv"]


def test_reconcile_out_dir_without_indicators(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="kinerja run"):
        reconcile_out_dir(tmp_path)
    (tmp_path / "indicators.csv").write_text("")
    assert reconcile_out_dir(tmp_path).read_text() == ",".join(RECONCILIATION_COLUMNS) + "\n"

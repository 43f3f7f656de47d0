"""Tables built by hand from the real rows of the seeds -> indicator and budget rows."""

from __future__ import annotations

from extract.models import BBox, Cell, Table, Word
from normalize.models import DocumentInfo
from normalize.rows import (
    TableContext,
    join_lines,
    split_indicators,
    split_kode,
    table_to_rows,
    title_to_sasaran,
)

ROW_HEIGHT = 20.0
COL_WIDTH = 100.0


def make_cell(
    row: int,
    col: int,
    text: str,
    page: int = 1,
    conf: float | None = None,
    row_span: int = 1,
    col_span: int = 1,
) -> Cell:
    """A cell whose words sit one text line per "\\n"-separated line."""
    words = []
    top = row * ROW_HEIGHT
    for n, line in enumerate(text.split("\n")):
        x = col * COL_WIDTH
        for token in line.split():
            box = BBox(x, top + n * 5, x + 4, top + n * 5 + 4)
            words.append(Word(token, box, conf))
            x += 5
    bbox = BBox(col * COL_WIDTH, top, (col + col_span) * COL_WIDTH, (row + row_span) * ROW_HEIGHT)
    return Cell(row, col, bbox, page, tuple(words), row_span, col_span)


def make_table(
    grid: list[list[str | None]],
    pages: list[int] | None = None,
    merged: dict[tuple[int, int], tuple[int, int]] | None = None,
    title: str = "",
    conf: float | None = None,
) -> Table:
    """A table from rows of strings; None marks a slot covered by a merged cell.

    ``merged`` maps (row, col) of a merged cell's top-left slot to (row_span, col_span)."""
    merged = merged or {}
    n_cols = max(len(r) for r in grid)
    pages = pages or [1] * len(grid)
    cells = []
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            if text is None:
                continue
            row_span, col_span = merged.get((r, c), (1, 1))
            cells.append(make_cell(r, c, text, pages[r], conf, row_span, col_span))
    box = BBox(0, 0, n_cols * COL_WIDTH, len(grid) * ROW_HEIGHT)
    return Table(
        tuple(cells),
        len(grid),
        n_cols,
        tuple(sorted(set(pages))),
        box,
        title=title,
        row_pages=tuple(pages),
    )


DOC = DocumentInfo("PK_PERUBAHAN", "KPU Kota Mojokerto", 2024, ((1, "Ketua"), (3, "Sekretaris")))
CTX = TableContext("000.pdf", "ab" * 32, DOC, {1: "text", 2: "text", 3: "ocr"})

# 000:L142-157, PK Ketua: numbering row, merged sasaran over two indicators, page-break repeat.
PK_KETUA = [
    ["NO", "Sasaran Program", "Indikator kinerja", "Target"],
    ["(1)", "(2)", "(3)", "(4)"],
    [
        "1",
        "Terwujudnya Tahapan Pemilu/Pemilihan sesuai Jadwal",
        "Persentase penyelenggaraan Pemilu/Pemilihan sesuai Jadwal",
        "100%",
    ],
    [
        "4",
        "Meningkatkan Akuntabilitas Keuangan dan Kinerja KPU",
        "Nilai Hasil Evaluasi Mandiri atas Akuntabilitas Kinerja KPU Kota Mojokerto",
        "B",
    ],
    [None, None, "Opini BPK atas Laporan Keuangan KPU", "WTP"],
    [
        "10",
        "Terlaksananya penyelesaian sengketa dan pelayanan pertimbangan hukum",
        "Jumlah sengketa hukum dalam perkara perselisihan sengketa hukum",
        "2 Dokumen",
    ],
    ["NO", "Sasaran Program", "Indikator kinerja", "Target"],
    [
        "11",
        "Sosialisasi Kebijakan KPU Kepada Stakeholder",
        "Persentase penyampaian informasi dan publikasi dalam tahapan Pemilu/Pemilihan kepada"
        " stakeholder",
        "100%",
    ],
]


def test_pk_table_merged_sasaran_numbering_and_repeated_header() -> None:
    table = make_table(
        PK_KETUA,
        pages=[1, 1, 1, 1, 1, 1, 2, 2],
        merged={(3, 0): (2, 1), (3, 1): (2, 1)},
        title="PERUBAHAN PERJANJIAN KINERJA TAHUN 2024",
    )
    result = table_to_rows(table, 1, CTX)
    assert result.kind == "indicator"
    rows = result.indicators
    assert [r.no for r in rows] == ["1", "4", "4", "10", "11"]
    assert rows[2].sasaran == "Meningkatkan Akuntabilitas Keuangan dan Kinerja KPU"
    assert rows[2].indikator == "Opini BPK atas Laporan Keuangan KPU"
    assert (rows[1].target, rows[1].target_unit, rows[1].target_value) == ("B", "grade", None)
    assert (rows[2].target, rows[2].target_unit) == ("WTP", "opini")
    assert (rows[3].target, rows[3].target_value, rows[3].target_unit) == (
        "2 Dokumen",
        2,
        "dokumen",
    )
    assert rows[4].page == 2 and rows[4].row_index == 5
    assert all(r.sasaran_level == "program" and r.tahun == 2024 for r in rows)
    assert rows[0].doc_type == "PK_PERUBAHAN" and rows[0].pihak == "Ketua"
    assert not any(r.needs_review for r in rows)


def test_empty_no_and_sasaran_inherit_from_the_row_above_without_a_merged_cell() -> None:
    grid = [PK_KETUA[0], PK_KETUA[3], ["", "", "Opini BPK atas Laporan Keuangan KPU", "WTP"]]
    rows = table_to_rows(make_table(grid), 1, CTX).indicators
    assert [(r.no, r.indikator[:5]) for r in rows] == [("4", "Nilai"), ("4", "Opini")]
    assert rows[1].sasaran == rows[0].sasaran and rows[1].sasaran_raw == rows[0].sasaran_raw


# 004:L48-66, RKT Kubu Raya: bulleted and sentence-stacked indicators, rows broken by page breaks.
RKT_KUBU_RAYA = [
    ["NO", "SASARAN PROGRAM", "INDIKATOR KINERJA", "TARGET CAPAIAN"],
    ["1", "2", "3", "4"],
    [
        "3.",
        "Meningkatnya Akuntabilitas Keuangan dan Kinerja KPU Kabupaten Kubu Raya",
        "Nilai Evaluasi atas Akuntabilitas Kinerja KPU Kabupaten Kubu Raya Opini BPK atas Laporan"
        " Keuangan KPU Kabupaten Kubu Raya Nilai Evaluasi atas pelaksanaan Reformasi Birokrasi KPU"
        " Kabupaten Kubu Raya",
        "B WTP 80",
    ],
    [
        "5.",
        "Terlaksananya penetapan",
        "• Persentase Rancangan Keputusan KPU Kabupaten Kubu Raya yang",
        "100%",
    ],
    ["NO", "SASARAN KEGIATAN", "INDIKATOR KINERJA", "TARGET CAPAIAN"],
    ["<i>1</i>", "<i>2</i>", "<i>3</i>", "<i>4</i>"],
    [
        "",
        "Peraturan KPU sesuai dengan ketentuan peraturan perundangundangan",
        "disusun dan diharmonisasi dengan tepat waktu sesuai dengan Kerangka Regulasi KPU",
        "",
    ],
    [
        "9.",
        "Terwujudnya sistem administrasi penyelenggaraan pemilu yang tertib, efektif dan efisien",
        "• Persentase Laporan monitoring dan evaluasi yang akuntabel dan tepat waktu\n"
        "• Persentase target kinerja KPU Kabupaten Kubu Raya yang",
        "75% 90%",
    ],
    ["NO", "SASARAN KEGIATAN", "INDIKATOR KINERJA", "TARGET CAPAIAN"],
    [
        "",
        "",
        "tercapai sesuai dengan Perjanjian Kinerja\n• Persentase Dokumen RDP yang tersedia"
        " dengan tepat waktu",
        "85%",
    ],
    [
        "12.",
        "Terwujudnya data, informasi, sarana dan prasarana teknologi informasi",
        "• Persentase pelaksanaan pemutakhiran data pemilih yang tepat waktu\n"
        "• Persentase Sarana dan Prasarana Teknologi Informasi\n"
        "• Persentase Aplikasi KPU yang diterapkan secara terintegrasi",
        "100% 100%",
    ],
]
RKT_PAGES = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]


def rkt_rows():
    ctx = TableContext(
        "004.pdf", "cd" * 32, DocumentInfo("RKT", "Sekretariat KPU Kabupaten Kubu Raya", 2024)
    )
    return table_to_rows(make_table(RKT_KUBU_RAYA, pages=RKT_PAGES), 2, ctx).indicators


def test_sentence_stacked_indicators_get_one_target_each() -> None:
    rows = [r for r in rkt_rows() if r.no == "3."]
    assert [r.indikator.split()[0] for r in rows] == ["Nilai", "Opini", "Nilai"]
    assert [r.target for r in rows] == ["B", "WTP", "80"]
    assert rows[2].target_value == 80 and rows[0].target_unit == "grade"
    assert rows[0].target_raw == "B" and rows[0].indikator_raw.startswith("Nilai Evaluasi")


def test_row_broken_by_page_break_is_joined_to_the_previous_row() -> None:
    rows = [r for r in rkt_rows() if r.no == "5."]
    assert len(rows) == 1
    assert rows[0].sasaran.endswith(
        "penetapan Peraturan KPU sesuai dengan ketentuan peraturan perundangundangan"
    )
    assert rows[0].indikator.endswith(
        "yang disusun dan diharmonisasi dengan tepat waktu sesuai dengan Kerangka Regulasi KPU"
    )
    assert rows[0].page == 1 and rows[0].target == "100%"


def test_bullets_continued_over_a_page_break_take_the_targets_of_both_pages() -> None:
    rows = [r for r in rkt_rows() if r.no == "9."]
    assert [r.target for r in rows] == ["75%", "90%", "85%"]
    assert rows[1].indikator == (
        "Persentase target kinerja KPU Kabupaten Kubu Raya yang tercapai sesuai dengan"
        " Perjanjian Kinerja"
    )
    assert rows[2].indikator.startswith("Persentase Dokumen RDP")
    assert all(r.sasaran_level == "program" for r in rows)


def test_bullet_count_differing_from_target_count_keeps_one_flagged_row() -> None:
    rows = [r for r in rkt_rows() if r.no == "12."]
    assert len(rows) == 1
    assert rows[0].target == "100% 100%" and rows[0].target_value is None
    assert rows[0].review_reasons == ("VALUE_UNPARSED",) and rows[0].needs_review


# 002:L1522-1580 / L2980-3010, PK Bontang: program and kegiatan group rows, OCR numbering row.
PK_BONTANG = [
    ["NO", "Sasaran Program (outcome) / Sasaran Kegiatan", "Indikator", "Target"],
    ["(1 1", "(2", "(3)", "(4)"],
    ["A. PROGRAM DUKUNGAN MANAJEMEN", None, None, None],
    [
        "1",
        "Meningkatnya Kapasitas SDM yang berkompeten",
        "Persentase kesesuaian kompetensi pegawai terhadap standar kompetensi dasar penugasannya",
        "95 %",
    ],
    ["a.", "Pelaksanaan Perencanaan, Organisasi", "", ""],
    [
        "1",
        "Terwujudnya kerjasama dengan lembaga penyelenggara Pemilu di dalam negeri",
        "Jumlah fasilitasi kerjasama dengan instansi terkait dalam rangka penguatan kelembagaan"
        " demokrasi",
        "2\nkegiatan",
    ],
    ["b.", "Pembinaan Sumber Daya Manusia dan Pelayanan Administrasi Kepegawaian", "", ""],
    ["1", "Meningkatnya tertib administrasi", "Persentase penegakan disiplin pegawai", "97.5%"],
    ["B. PROGRAM PENYELENGGARAAN PEMILU DALAM PROSES KONSOLIDASI DEMOKRASI", None, None, None],
    [
        "4.",
        "Pembentukan badan Penyelenggara Adhoc",
        "Jumlah badan adhoc yang dipersiapkan dan dibentuk",
        "1 satker",
    ],
]


def test_group_rows_become_kelompok_and_set_the_sasaran_level() -> None:
    merged = {(2, 0): (1, 4), (8, 0): (1, 4)}
    ctx = TableContext(
        "002.pdf", "ef" * 32, DocumentInfo("LAKIP", "Sekretariat KPU Kota Bontang", 2024)
    )
    table = make_table(PK_BONTANG, merged=merged, title="Tabel 2.3 Perjanjian Kinerja Tahun 2024")
    rows = table_to_rows(table, 3, ctx).indicators
    assert [r.kelompok for r in rows] == [
        "A. PROGRAM DUKUNGAN MANAJEMEN",
        "A. PROGRAM DUKUNGAN MANAJEMEN > a. Pelaksanaan Perencanaan, Organisasi",
        "A. PROGRAM DUKUNGAN MANAJEMEN > b. Pembinaan Sumber Daya Manusia dan Pelayanan"
        " Administrasi Kepegawaian",
        "B. PROGRAM PENYELENGGARAAN PEMILU DALAM PROSES KONSOLIDASI DEMOKRASI",
    ]
    assert [r.sasaran_level for r in rows] == ["program", "kegiatan", "kegiatan", "program"]
    assert [r.target for r in rows] == ["95 %", "2 kegiatan", "97.5%", "1 satker"]  # as printed
    assert rows[0].doc_type == "LAKIP"  # a "Tabel ..." caption inside a LAKIP keeps the doc type
    assert not any("PROGRAM" in r.indikator for r in rows)


# 002:L1794-1801, Tabel 3.1: target, realisasi, capaian with a mismatching printed capaian.
LAKIP_TABLE = [
    ["No", "Sasaran", "Indiaktor Kinerja", "Target", "Realisasi", "Capaian"],
    [
        "2",
        "Terwujudnya rencana kerja dan anggaran KPU Kota Bontang yang efektif dan efisien",
        "Jumlah revisi yang dilakukan terhadap rencana kerja yang telah ditetapkan",
        "10 kali",
        "12 kali",
        "120%",
    ],
    [
        "3",
        "Terwujudnya sistem administrasi penyelenggaraan Pemilu yang tertib, efektif dan efisien",
        "Persentase laporan monitoring dan evaluasi yang akuntabel dan tepat waktu",
        "75%",
        "75%",
        "75%",
    ],
    ["", "", "", "", "", ""],
]


def test_capaian_is_recomputed_and_a_mismatch_is_flagged() -> None:
    rows = table_to_rows(make_table(LAKIP_TABLE), 1, CTX).indicators
    assert [r.capaian_computed for r in rows] == [120.0, 100.0]
    assert rows[0].review_reasons == ()
    assert rows[1].capaian == "75%" and rows[1].capaian_value == 75
    assert rows[1].review_reasons == ("CAPAIAN_MISMATCH",)


def test_ocr_rows_carry_confidence_and_low_confidence_is_flagged() -> None:
    table = make_table(LAKIP_TABLE[:2], pages=[3, 3], conf=41.0)
    rows = table_to_rows(table, 1, CTX).indicators
    assert rows[0].extraction == "ocr" and rows[0].ocr_confidence == 41.0
    assert rows[0].pihak == "Sekretaris"
    assert "LOW_CONFIDENCE" in rows[0].review_reasons


def test_ocr_garbled_header_and_repair_keeps_raw_text() -> None:
    grid = [
        ["Ho", "Indikator", "Target", "Reafisasi", "Capsian"],
        ["{1 ]_", "{2", "B", "4)", "l 5"],
        ["1", "Paorsemiase pemutakhiran Dala Pemilih", "100%", "100%", "1005"],
    ]
    fixes = {
        "Paorsemiase pemutakhiran Dala Pemilih": "Persentase pemutakhiran Data Pemilih",
        "1005": "100%",
    }

    def repair(text: str, column: str) -> str:
        assert column in {"sasaran", "indikator", "value", "percent", "rupiah", "text"}
        return fixes.get(text, text)

    title = (
        "Tujuan 1 Mewujudkan ...\nSasaran Strategis 3 Terwujudnya Data Pemilih secara berkelanjutan"
    )
    rows = table_to_rows(make_table(grid, title=title), 1, CTX, repair).indicators
    assert len(rows) == 1
    assert rows[0].indikator == "Persentase pemutakhiran Data Pemilih"
    assert rows[0].indikator_raw == "Paorsemiase pemutakhiran Dala Pemilih"
    assert (rows[0].capaian, rows[0].capaian_raw) == ("100%", "1005")
    assert rows[0].sasaran == "Terwujudnya Data Pemilih secara berkelanjutan"
    assert rows[0].sasaran_level == "strategis"


def test_multi_year_table_gives_one_row_per_year() -> None:
    grid = [
        ["No", "Sasaran", "Indikator", "Target", None, None],
        ["", "", "", "2022", "2023", "2024"],
        [
            "1",
            "Terwujudnya Tahapan Pemilu",
            "Persentase penyelenggaraan Pemilu sesuai Jadwal",
            "90%",
            "95%",
            "100%",
        ],
    ]
    rows = table_to_rows(make_table(grid, merged={(0, 3): (1, 3)}), 1, CTX).indicators
    assert [(r.tahun, r.target) for r in rows] == [(2022, "90%"), (2023, "95%"), (2024, "100%")]


def test_extra_columns_are_kept() -> None:
    grid = [
        ["No", "Sasaran Kegiatan", "Indikator Kinerja", "Target", "Cara Penghitungan"],
        [
            "2",
            "Terwujudnya rencana kerja",
            "Jumlah revisi yang dilakukan",
            "15 kali",
            "Jumlah total revisi dalam satu tahun",
        ],
    ]
    rows = table_to_rows(make_table(grid), 1, CTX).indicators
    assert rows[0].extra == (("Cara Penghitungan", "Jumlah total revisi dalam satu tahun"),)
    assert (rows[0].target_value, rows[0].target_unit) == (15, "kali")


# 000:L159-162, PK budget block; 002:L2823-2893, Tabel 3.13.
def test_pk_budget_block_with_total() -> None:
    grid = [
        ["Program", "Anggaran"],
        [
            "1. Penyelenggaraan Pemilu dalam Proses Konsolidasi Demokrasi (076.01.CQ)",
            "Rp. 34.547.543.000,-",
        ],
        ["2. Program Dukungan Manajemen (076.01.WA)", "Rp. 2.591.287.000,-"],
        ["T o t a l", "Rp. 37.138.830.000,-"],
    ]
    result = table_to_rows(make_table(grid), 4, CTX)
    assert result.kind == "budget" and not result.indicators
    rows = result.budget
    assert [(r.level, r.kode) for r in rows] == [
        ("program", "076.01.CQ"),
        ("program", "076.01.WA"),
        ("total", ""),
    ]
    assert rows[0].uraian == "Penyelenggaraan Pemilu dalam Proses Konsolidasi Demokrasi"
    assert rows[0].pagu == "Rp. 34.547.543.000,-" and rows[0].pagu_value == 34_547_543_000
    assert not any(r.needs_review for r in rows)


def test_budget_total_that_does_not_add_up_is_flagged() -> None:
    # 001:L3165-3168 as OCR read it: "Rp 1 135.576.000" was really 2.125.576.000.
    grid = [
        ["Program", "Anggaran"],
        ["1. Penyelenggaraan Pemilu Dalam Proses Konsolidasi Demokrasi", "Rp. 35.652.457.000"],
        ["2. Program Dukungan Manajemen", "Rp. 1.135.576.000"],
        ["TOTAL ANGGARAN", "37.778.033.000"],
    ]
    rows = table_to_rows(make_table(grid), 1, CTX).budget
    assert rows[2].level == "total" and rows[2].review_reasons == ("SUM_MISMATCH",)
    assert [r.level for r in rows[:2]] == ["program", "program"]


def test_budget_realisation_table_with_unparsed_amount_and_kegiatan_codes() -> None:
    grid = [
        ["NO", "PROGRAM/KEGIATAN", "PAGU", "REALISASI", "PERSEN TASE"],
        [
            "1.",
            "076.01.CQ-Penyelenggaraan Pemilu dalam Proses",
            "38.034.219.000",
            "12.202365.835",
            "32.08",
        ],
        ["", "Konsolidasi Demokrasi", "", "", ""],
        [
            "2.",
            "6639-Teknis Penyelenggaraan Pemilu/Pemilihan (APBD hibah)",
            "25.657.790.000",
            "",
            "",
        ],
        ["3.", "6709-Perencanaan Program dan Anggaran", "12.376.429.000", "1.274.344.720", "92.03"],
        ["TOTAL", None, "38.034.219.000", "", "36.38"],
    ]
    rows = table_to_rows(make_table(grid, merged={(5, 0): (1, 2)}), 5, CTX).budget
    assert [(r.level, r.kode) for r in rows] == [
        ("program", "076.01.CQ"),
        ("kegiatan", "6639"),
        ("kegiatan", "6709"),
        ("total", ""),
    ]
    assert rows[0].uraian == "Penyelenggaraan Pemilu dalam Proses Konsolidasi Demokrasi"
    assert rows[0].realisasi == "12.202365.835" and rows[0].realisasi_value is None
    assert rows[0].review_reasons == ("VALUE_UNPARSED",)
    assert rows[0].persen_value == 32.08 and rows[1].sumber_dana == "APBD"
    assert rows[3].review_reasons == ()


def test_pegawai_table_is_skipped_and_a_garbled_indicator_table_is_unparsed() -> None:
    pegawai = make_table([["No", "Status", "Jumlah", "Persen"], ["1", "PNS", "10", "45 %"]])
    assert table_to_rows(pegawai, 1, CTX) == table_to_rows(pegawai, 1, CTX)
    assert (
        table_to_rows(pegawai, 1, CTX).issues == ()
        and table_to_rows(pegawai, 1, CTX).kind == "skip"
    )
    garbled = make_table(
        [
            ["NO", "SASARAN KINERJA", "INDIKATOR KINERJA", "SAHABAT"],
            ["1", "Terwujudnya x", "Persentase y yang z", "100%"],
        ]
    )
    result = table_to_rows(garbled, 7, CTX)
    assert result.kind == "skip" and not result.indicators
    assert [i.reason for i in result.issues] == ["TABLE_UNPARSED"]
    assert result.issues[0].table_index == 7


def test_missing_target_is_flagged() -> None:
    grid = [PK_KETUA[0], ["1", "Terwujudnya x", "Persentase penyelenggaraan Pemilu", ""]]
    rows = table_to_rows(make_table(grid), 1, CTX).indicators
    assert rows[0].review_reasons == ("MISSING_FIELD",)


def test_helpers() -> None:
    assert join_lines(["penyelengga-", "raan Pemilu"]) == "penyelenggaraan Pemilu"
    assert join_lines(["perundang-", "undangan"]) == "perundang-undangan"
    assert split_indicators(["• Persentase a b c", "lanjutan", "• Jumlah d e f"]) == (
        ["Persentase a b c lanjutan", "Jumlah d e f"],
        True,
    )
    assert split_indicators(["Persentase KPU Kota Mojokerto untuk mendapatkan nilai minimal B"])[
        0
    ] == ["Persentase KPU Kota Mojokerto untuk mendapatkan nilai minimal B"]
    assert split_kode("2. Program Dukungan Manajemen (076.01.WA)") == (
        "076.01.WA",
        "Program Dukungan Manajemen",
    )
    assert split_kode("6867-Pembentukan Badan Adhoc") == ("6867", "Pembentukan Badan Adhoc")
    assert title_to_sasaran("PERJANJIAN KINERJA") == ("", "")

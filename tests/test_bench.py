"""`make bench` and its anchors: table conversion, row mapping, scoring hook-up and summaries.

Fast and pure: nothing here runs tesseract, img2table or a timed command.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract.models import BBox
from normalize.models import DocumentInfo
from pipeline import anchors, bench
from pipeline import evaluate as ev

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLE_BOX = BBox(50.0, 100.0, 550.0, 400.0)
SASARAN = "Terwujudnya Tahapan Pemilu sesuai Jadwal"
PK_ROWS: tuple[tuple[str | None, ...], ...] = (
    ("NO", "SASARAN", "INDIKATOR KINERJA", "TARGET"),
    ("1", SASARAN, "Persentase penyelenggaraan Pemilu\nsesuai Jadwal", "100%"),
    (None, None, "Persentase laporan kinerja\ntepat waktu", "90%"),
    ("2", "Meningkatnya kualitas layanan", "Indeks kepuasan layanan informasi publik", "3,5"),
)


def load_script() -> Any:
    """scripts/anchor_img2table.py without img2table: its helpers import nothing but stdlib."""
    spec = importlib.util.spec_from_file_location(
        "anchor_img2table", REPO_ROOT / "scripts" / "anchor_img2table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- anchor rows -> slots -> Table ------------------------------------------------------------


def test_plain_grid_gives_one_slot_per_cell() -> None:
    slots = anchors.rows_to_slots([["a", "b"], ["c", "d"]])
    assert [(s.row, s.col, s.row_span, s.col_span, s.text) for s in slots] == [
        (0, 0, 1, 1, "a"), (0, 1, 1, 1, "b"), (1, 0, 1, 1, "c"), (1, 1, 1, 1, "d"),
    ]  # fmt: skip


def test_none_right_of_a_cell_is_a_column_span() -> None:
    (slot, other) = anchors.rows_to_slots([["title", None], ["x", "y"]])[:2]
    assert (slot.col_span, slot.row_span) == (2, 1)
    assert other.text == "x"


def test_none_under_a_merged_cell_is_not_taken_as_the_left_neighbours_column_span() -> None:
    slots = {(s.row, s.col): s for s in anchors.rows_to_slots([["a", "merged"], ["c", None]])}
    assert slots[(0, 1)].row_span == 2
    assert slots[(1, 0)].col_span == 1


def test_two_by_two_merge() -> None:
    slots = anchors.rows_to_slots([["big", None, "z"], [None, None, "w"]])
    big = slots[0]
    assert (big.row_span, big.col_span) == (2, 2)
    assert [s.text for s in slots] == ["big", "z", "w"]


def test_short_rows_are_padded_with_empty_cells_not_merges() -> None:
    slots = anchors.rows_to_slots([["a", "b", "c"], ["d"]])
    assert [(s.row, s.col, s.text) for s in slots if s.row == 1] == [
        (1, 0, "d"),
        (1, 1, ""),
        (1, 2, ""),
    ]


grids = st.integers(1, 5).flatmap(
    lambda width: st.lists(
        st.lists(
            st.one_of(st.none(), st.sampled_from(["", "a", "b c"])), min_size=width, max_size=width
        ),
        min_size=1,
        max_size=6,
    )
)


@given(grids)
def test_slots_cover_each_slot_once_and_anchor_only_at_text(rows: list[list[str | None]]) -> None:
    slots = anchors.rows_to_slots(rows)
    covered: list[tuple[int, int]] = []
    for s in slots:
        assert rows[s.row][s.col] == s.text
        covered += [
            (r, c)
            for r in range(s.row, s.row + s.row_span)
            for c in range(s.col, s.col + s.col_span)
        ]
    assert len(covered) == len(set(covered))
    anchors_at = {(s.row, s.col) for s in slots}
    for r, c in covered:
        assert (r, c) in anchors_at or rows[r][c] is None
    assert anchors_at == {
        (r, c) for r, row in enumerate(rows) for c, text in enumerate(row) if text is not None
    }


def test_text_to_words_gives_one_word_per_line_inside_the_cell() -> None:
    box = BBox(0, 0, 100, 30)
    words = anchors.text_to_words("Persentase laporan\n\n  tepat   waktu ", box)
    assert [w.text for w in words] == ["Persentase laporan", "tepat waktu"]
    assert all(box.top <= w.bbox.top and w.bbox.bottom <= box.bottom for w in words)
    assert anchors.text_to_words("  \n ", box) == ()


def test_anchor_table_to_table_keeps_texts_lines_and_merges() -> None:
    table = anchors.anchor_table_to_table(anchors.AnchorTable(page=2, bbox=TABLE_BOX, rows=PK_ROWS))
    assert table is not None
    assert (table.n_rows, table.n_cols, table.pages) == (4, 4, (2,))
    assert table.row_texts(0) == ["NO", "SASARAN", "INDIKATOR KINERJA", "TARGET"]
    sasaran = table.cell_at(2, 1)
    assert sasaran is not None and sasaran.row == 1 and sasaran.row_span == 2
    indicator = table.cell_at(1, 2)
    assert indicator is not None and indicator.lines == [
        "Persentase penyelenggaraan Pemilu",
        "sesuai Jadwal",
    ]
    assert all(TABLE_BOX.contains_point(*c.bbox.center) for c in table.cells)


def test_an_anchor_table_without_cells_is_none() -> None:
    assert (
        anchors.anchor_table_to_table(anchors.AnchorTable(page=1, bbox=TABLE_BOX, rows=())) is None
    )


# --- tables -> rows -> CSV -> evaluate --------------------------------------------------------


def pk_document(path: Path, extraction: str = "text") -> anchors.AnchorDocument:
    page = anchors.AnchorPage(
        2, 595.0, 842.0, (anchors.AnchorTable(page=2, bbox=TABLE_BOX, rows=PK_ROWS),)
    )
    return anchors.AnchorDocument(
        path, path.name, extraction, (anchors.AnchorPage(1, 595.0, 842.0), page), 1.5, 2
    )


def test_anchor_tables_map_to_indicator_rows_by_the_pipelines_header_logic(tmp_path: Path) -> None:
    pdf = tmp_path / "pk.pdf"
    pdf.write_bytes(b"%PDF-1.4 stand-in")
    indicators, budget = anchors.document_to_rows(
        pk_document(pdf), DocumentInfo(doc_type="PK", tahun=2024)
    )
    assert [(r.no, r.sasaran, r.target) for r in indicators] == [
        ("1", SASARAN, "100%"),
        ("1", SASARAN, "90%"),
        ("2", "Meningkatnya kualitas layanan", "3,5"),
    ]
    assert indicators[0].indikator == "Persentase penyelenggaraan Pemilu sesuai Jadwal"
    assert indicators[0].doc_sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert (indicators[0].page, indicators[0].table_index, indicators[0].tahun) == (2, 1, 2024)
    assert budget == []


def test_written_anchor_run_is_scored_by_evaluate(tmp_path: Path) -> None:
    pdf = tmp_path / "pk.pdf"
    pdf.write_bytes(b"%PDF-1.4 stand-in")
    out = tmp_path / "anchor"
    anchors.write_anchor_run(
        [pk_document(pdf)], {"pk.pdf": DocumentInfo(doc_type="PK")}, out, repair=False
    )
    rows = ev.read_csv_rows(out / "indicators.csv")
    assert len(rows) == 3 and rows[0]["doc_type"] == "PK"
    truth = ev.records_by_file(rows[:2], ev.INDICATORS)["pk.pdf"]
    pred = ev.records_by_file(rows, ev.INDICATORS)["pk.pdf"]
    scores = ev.counts_to_scores(ev.file_counts(truth, pred, ev.INDICATORS), ev.INDICATORS)
    assert (scores["recall"], scores["precision"]) == (1.0, pytest.approx(2 / 3))
    assert ev.read_timing(out) == {"pk.pdf": (1.5, 2)}


def test_document_infos_come_from_a_kinerja_runs_documents_csv(tmp_path: Path) -> None:
    (tmp_path / "documents.csv").write_text(
        "source_file,doc_type,satker,tahun\na.pdf,PK,KPU Kota Mojokerto,2024\nb.pdf,,,\n",
        encoding="utf-8",
    )
    infos = anchors.read_document_infos(tmp_path)
    assert infos["a.pdf"] == DocumentInfo(doc_type="PK", satker="KPU Kota Mojokerto", tahun=2024)
    assert infos["b.pdf"] == DocumentInfo()


def test_img2table_json_becomes_anchor_documents(tmp_path: Path) -> None:
    data = [{"file": "/x/a.pdf", "seconds": 2.0, "pages": [
        {"page": 1, "width": 595, "height": 842, "tables": []},
        {"page": 2, "width": 595, "height": 842, "tables": [
            {"bbox": [10, 20, 300, 200], "title": "", "rows": [["NO", "TARGET"], ["1", None]]}]},
    ]}]  # fmt: skip
    (document,) = anchors.img2table_json_to_documents(
        json.loads(json.dumps(data)), {"/x/a.pdf": "a.pdf"}
    )
    assert (document.source_file, document.extraction, document.page_count) == ("a.pdf", "ocr", 2)
    table = document.pages[1].tables[0]
    assert table.bbox == BBox(10, 20, 300, 200) and table.rows == (("NO", "TARGET"), ("1", None))


def test_missing_anchor_venv_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make anchors"):
        anchors.run_img2table([(tmp_path / "a.pdf", "a.pdf")], tmp_path / "no-python")


def test_pdfplumber_table_keeps_none_under_merges_and_clips_the_box() -> None:
    fake = SimpleNamespace(
        bbox=(-1.0, 10.0, 200.0, 90.0), extract=lambda: [["NO", "TARGET"], [None, "100%"]]
    )
    anchor = anchors.plumber_table_to_anchor(fake, 3, [])
    assert anchor.bbox == BBox(0.0, 10.0, 200.0, 90.0)
    assert anchor.rows == (("NO", "TARGET"), (None, "100%")) and anchor.page == 3


# --- the img2table script's pure helpers ------------------------------------------------------


def fake_cell(box: tuple[int, int, int, int], value: str | None) -> SimpleNamespace:
    return SimpleNamespace(
        bbox=SimpleNamespace(x1=box[0], y1=box[1], x2=box[2], y2=box[3]), value=value
    )


def test_script_turns_repeated_img2table_cells_into_none() -> None:
    script = load_script()
    merged = fake_cell((0, 0, 10, 20), "Sasaran")
    content = {
        0: [fake_cell((0, 0, 10, 10), "NO"), merged],
        1: [fake_cell((0, 10, 10, 20), None), merged],
    }
    rows = script.table_to_rows(SimpleNamespace(content=content))
    assert rows == [["NO", "Sasaran"], ["", None]]


def test_script_drops_img2table_none_tokens_and_keeps_lines() -> None:
    script = load_script()
    assert (
        script.clean_cell_text("None Persentase None\nNone\ntepat waktu")
        == "Persentase\ntepat waktu"
    )
    assert script.clean_cell_text(None) == ""


# --- summaries --------------------------------------------------------------------------------


def timing(kinerja: float, plain: float) -> bench.PageTiming:
    return bench.PageTiming("a.pdf", 1, 200, 0.1, plain, kinerja)


def test_page_timings_pool_sums_and_take_the_median_page_ratio() -> None:
    summary = bench.page_timings_to_summary([timing(4.0, 2.0), timing(3.0, 1.0), timing(1.0, 1.0)])
    assert summary["pages"] == 3
    assert summary["ratio"] == pytest.approx(8.0 / 4.0)
    assert summary["median_page_ratio"] == pytest.approx(2.0)
    assert summary["kinerja_seconds_per_page"] == pytest.approx(8.0 / 3)


def test_no_pages_give_no_ratios() -> None:
    summary = bench.page_timings_to_summary([])
    assert summary["ratio"] is None and summary["median_page_ratio"] is None
    assert summary["kinerja_seconds_per_page"] is None


def test_speedup_compares_pages_per_second() -> None:
    one = bench.RunMeasure(("x",), "o1", 0, 100.0, 50, None)
    two = bench.RunMeasure(("x",), "o2", 0, 60.0, 50, None)
    assert bench.speedup(one, two) == pytest.approx(100.0 / 60.0)
    assert bench.speedup(bench.RunMeasure(("x",), "o", 0, 0.0, 0, None), two) is None


def test_safe_ratio_handles_missing_and_zero() -> None:
    assert bench.safe_ratio(3.0, 2.0) == 1.5
    assert bench.safe_ratio(None, 2.0) is None
    assert bench.safe_ratio(3.0, 0.0) is None
    assert bench.safe_ratio(3.0, None) is None


def test_headline_reads_evaluate_aggregates() -> None:
    counts = ev.Counts(4, 2, 2, 1, {"target": 2}, {"target": 1})
    results = [ev.FileResult("a.pdf", "scan", {"indicators": counts, "budget": None}, 10.0, 5)]
    headline = bench.scores_to_headline(ev.aggregate(results))
    assert headline["f1"] == pytest.approx(2 * 2 / 6)
    assert headline["target_accuracy"] == 0.5 and headline["fully_correct"] == 0.25
    assert headline["seconds_per_page"] == 2.0
    assert bench.scores_to_headline(None)["f1"] is None


def test_resume_copies_differ_in_hash_but_keep_the_pdf() -> None:
    original = b"%PDF-1.4\n...%%EOF\n"
    copies = [bench.resume_copy_bytes(original, i) for i in range(3)]
    assert all(c.startswith(original) for c in copies)
    assert len({hashlib.sha256(c).hexdigest() for c in copies}) == 3


def test_parts_keep_their_order_and_reject_unknown_names() -> None:
    assert bench.parse_parts(None) == list(bench.PARTS)
    assert bench.parse_parts("anchors, timing") == ["timing", "anchors"]
    with pytest.raises(ValueError, match="unknown part"):
        bench.parse_parts("timing,gpu")


def test_cpu_model_is_read_from_cpuinfo() -> None:
    assert bench.cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"


def test_figures_table_shows_missing_values_as_dash() -> None:
    figures = [
        {"name": "scan.ratio", "value": None, "unit": "x"},
        {"name": "born.pps", "value": 12.3456, "unit": "pages/s"},
    ]
    text = bench.format_figures(figures)
    lines = text.splitlines()
    assert lines[1].split() == ["scan.ratio", "-", "x"]
    assert lines[2].split() == ["born.pps", "12.346", "pages/s"]
    loaded = bench.format_figures([{"name": "a", "value": 1.0, "unit": "s", "loadavg_1min": 3.5}])
    assert loaded.splitlines()[1].split() == ["a", "1.000", "s", "3.5"]


def test_a_file_img2table_failed_on_is_listed_as_failed_with_no_rows(tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4 stand-in")
    data = [{"file": str(pdf), "seconds": 0.5, "pages": [], "error": "ValueError: broken"}]
    documents = anchors.img2table_json_to_documents(data, {str(pdf): "a.pdf"})
    anchors.write_anchor_run(documents, {}, tmp_path / "out")
    (row,) = ev.read_csv_rows(tmp_path / "out" / "documents.csv")
    assert (row["status"], row["error"]) == ("failed", "ValueError: broken")
    assert ev.read_csv_rows(tmp_path / "out" / "indicators.csv") == []


def test_tables_found_counts_tables_per_file(tmp_path: Path) -> None:
    assert anchors.tables_found([pk_document(tmp_path / "pk.pdf")]) == {"pk.pdf": 1}


def test_fastest_pass_sums_each_pass_not_each_pages_luckiest_call() -> None:
    # pass 0: 1.0 + 3.0 = 4.0; pass 1: 2.0 + 1.5 = 3.5; per-page minima would give 2.5
    assert bench.fastest_pass([(1.0, 2.0), (3.0, 1.5)]) == 3.5
    assert bench.fastest_pass([(1.0,), (3.0, 1.5)]) == 4.0  # only passes every page has
    assert bench.fastest_pass([]) is None


def test_the_born_runs_read_distinct_copies_of_the_born_set(tmp_path: Path) -> None:
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4\n%%EOF\n")
    copies = bench.born_run_files([source], tmp_path / "copies")
    assert len(copies) == bench.BORN_RUN_COPIES
    assert len({c.read_bytes() for c in copies}) == bench.BORN_RUN_COPIES  # distinct hashes
    assert all(c.read_bytes().startswith(source.read_bytes()) for c in copies)

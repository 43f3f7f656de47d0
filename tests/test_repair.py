"""OCR repair: one test per confusion class, value rules, line mode, and properties."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexicon.loader import load_lexicon
from normalize.repair import (
    Repairer,
    garbled_percent_candidates,
    ocr_cost,
    repair_jsonl,
    repair_lines,
)
from normalize.repair_phrases import satker_names
from normalize.tokenizer import tokenize


@pytest.fixture(scope="module")
def repairer() -> Repairer:
    return Repairer.default()


def fix(text: str, column: str = "text") -> str:
    return Repairer.default().repair_text(text, column).text


@pytest.mark.parametrize(
    ("noisy", "clean"),
    [
        ("Rencana Sirategis KPU", "Rencana Strategis KPU"),  # S: t read as i
        ("Komisi Pemilfhan Umum", "Komisi Pemilihan Umum"),  # S: i read as f
        ("Laporan Kinena KPU", "Laporan Kinerja KPU"),  # M: rj merged into n
        ("tepat wakiu dan", "tepat waktu dan"),  # S: t read as i
        ("tugas sebagal berikut", "tugas sebagai berikut"),  # S: i read as l
        ("pemilih secarg berkelanjutan", "pemilih secara berkelanjutan"),  # R: a read as g
        ("data vang valid", "data yang valid"),  # X: y read as v
        ("Kabupaten Fasuruan", "Kabupaten Pasuruan"),  # X: P read as F
        ("Laporan Kinera ini", "Laporan Kinerja ini"),  # D: dropped letter
        ("KPU Kabupa ten Pasuruan", "KPU Kabupaten Pasuruan"),  # W: split word joined
        ("Perundangan yangberlaku", "Perundangan yang berlaku"),  # W: merged words split
        ("Latar BelaKang", "Latar Belakang"),  # K: case noise
        ("target Kkinerjanya", "target kinerjanya"),  # K: doubled letter
        ("Kabupaten | Kota", "Kabupaten / Kota"),  # P: a rule between the halves of X/Y
        ("Terwujudnya | dukungan", "Terwujudnya dukungan"),  # P: a column rule removed
        ("Rencana Strategis KPLU Tahun", "Rencana Strategis KPU Tahun"),  # A: acronym
        ("Organisasi KFU Kabupaten", "Organisasi KPU Kabupaten"),  # A: P read as F
        ("pelaksanaan kcgiatan", "pelaksanaan kegiatan"),  # R: e read as c
        ("pclaksanaan tugas", "pelaksanaan tugas"),  # R: e read as c, first syllable
        ("sesuai dengan kotentuan", "sesuai dengan ketentuan"),  # R: e read as o
    ],
)
def test_confusion_classes(noisy: str, clean: str) -> None:
    assert fix(noisy) == clean


def test_dot_leader_garbage_dropped() -> None:
    assert fix("Landasan Hukum ....coouiiiiiiiiiieee ettt st s 6") == "Landasan Hukum .... 6"


@pytest.mark.parametrize("word", ["Indiaktor", "Prosentase", "PEROGRAM", "KPU", "DPT", "WTP"])
def test_author_variants_and_acronyms_kept(word: str) -> None:
    assert fix(f"{word} Kinerja") == f"{word} Kinerja"


def test_raw_text_and_corrections_recorded(repairer: Repairer) -> None:
    result = repairer.repair_text("Laporan Kinera")
    assert result.raw == "Laporan Kinera"
    assert [(c.raw, c.repaired, c.start) for c in result.corrections] == [("Kinera", "Kinerja", 8)]


def test_high_confidence_known_word_left_alone(repairer: Repairer) -> None:
    assert repairer.repair_text("bala bantuan", confidences=[99.0, 99.0]).text == "bala bantuan"


def test_ocr_cost_prefers_confusions(repairer: Repairer) -> None:
    assert ocr_cost("yang", "vang", repairer.costs) < ocr_cost("yang", "kang", repairer.costs)
    assert ocr_cost("m", "rn", repairer.costs) < 0.5


@pytest.mark.parametrize(
    ("cell", "row", "clean"),
    [
        ("1005", ["100%", "100%"], "100%"),
        ("1008%:", ["100%"], "100%"),
        ("100 %%", [], "100%"),
        ("87,5%", [], "87,5%"),
    ],
)
def test_percent_value_rules(repairer: Repairer, cell: str, row: list[str], clean: str) -> None:
    assert repairer.repair_text(cell, "percent", row_values=row).text == clean


@pytest.mark.parametrize(("cell", "clean"), [("1o0%", "100%"), ("9S%", "95%"), ("l00%", "100%")])
def test_digit_lookalikes_in_percent_cells(repairer: Repairer, cell: str, clean: str) -> None:
    assert repairer.repair_text(cell, "percent").text == clean  # N: letters read for digits


@pytest.mark.parametrize(
    ("noisy", "clean"),
    [
        ("Sekrefanal KPU Kabupaten Pasuruan", "Sekretariat KPU Kabupaten Pasuruan"),
        ("KPU Kabupaten Pesurvan", "KPU Kabupaten Pasuruan"),
        ("KIP Kota Serarg", "KIP Kota Serang"),
    ],
)
def test_satker_names_repaired_from_templates(noisy: str, clean: str) -> None:
    assert fix(noisy) == clean


def test_satker_templates_filled_with_places() -> None:
    names = satker_names(load_lexicon())
    assert "Sekretariat Komisi Pemilihan Umum Provinsi Jawa Timur" in names
    assert not any("{" in name for name in names)


SEED_DIR = Path("/work/shared/seeds")


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="no shared seeds")
def test_tokenizer_matches_spacy_on_seed_texts() -> None:
    spacy_tokenizer = spacy_indonesian_tokenizer()
    lines = [line for p in sorted(SEED_DIR.glob("*.txt")) for line in p.read_text().splitlines()]
    lines += ["a.  b", "  x", "x   ", "(a.)", "dll.", "x:) y", "Kpt/01/KPU/IV/2020", "°C."]
    for line in lines:
        expected = [(t.text, t.idx, t.whitespace_) for t in spacy_tokenizer(line)]
        assert tokenize(line) == expected, line


def spacy_indonesian_tokenizer() -> Any:
    spacy_id = pytest.importorskip("spacy.lang.id")
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    defaults = spacy_id.Indonesian.Defaults
    return Tokenizer(
        spacy_id.Indonesian().vocab,
        rules={k: v for k, v in defaults.tokenizer_exceptions.items() if "-" not in k},
        prefix_search=compile_prefix_regex(defaults.prefixes).search,
        suffix_search=compile_suffix_regex(defaults.suffixes).search,
        infix_finditer=compile_infix_regex(defaults.infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


def test_repeated_tokens_hit_the_cache(repairer: Repairer) -> None:
    repairer.repair_text("Laporan Kinera Kinera")
    before = repairer.words.candidates.cache_info().hits
    repairer.repair_text("Laporan Kinera")
    assert repairer.words.candidates.cache_info().hits > before or (
        repairer.words.best_word.cache_info().hits > 0
    )


def test_garbled_percent_readings() -> None:
    assert "100%" in garbled_percent_candidates("1005")
    assert garbled_percent_candidates("2024") == []  # a year, not a percentage


def test_line_mode_value_tail_and_prose_numbers() -> None:
    lines = ["Data Pemilih yang dilaksanakan 100% 100% 1005\n", "Nomor 1005 Tahun 2014\n"]
    assert list(repair_lines(lines)) == [
        "Data Pemilih yang dilaksanakan 100% 100% 100%\n",
        "Nomor 1005 Tahun 2014\n",
    ]


def test_jsonl_mode_adds_text() -> None:
    out = list(repair_jsonl([json.dumps({"noisy": "Laporan Kinera", "seed": "x"}) + "\n"]))
    assert json.loads(out[0]) == {"noisy": "Laporan Kinera", "seed": "x", "text": "Laporan Kinerja"}


def test_unknown_column_rejected(repairer: Repairer) -> None:
    with pytest.raises(ValueError):
        repairer.repair_text("x", column="nonsense")


# ---------------------------------------------------------------- properties
DOMAIN_WORDS = sorted(w for w in load_lexicon().domain_counts if len(w) >= 3)
NOISY_WORDS = [
    "Kinera",
    "vang",
    "sesual",
    "Sirategis",
    "KPLU",
    "Pemilinan",
    "wakiu",
    "|",
    "Kabupalen",
    "sebagal",
    "inl",
    "1005",
    "100%",
    "2023",
    "dan",
]
words = st.sampled_from(DOMAIN_WORDS)
casing = st.sampled_from([str.lower, str.title, str.upper])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(words, st.sampled_from(NOISY_WORDS)), min_size=1, max_size=8))
def test_repair_is_idempotent(tokens: list[str]) -> None:
    once = fix(" ".join(tokens))
    assert fix(once) == once


@settings(max_examples=200, deadline=None)
@given(words, casing)
def test_lexicon_words_repair_to_themselves(word: str, case: object) -> None:
    cased = case(word)  # type: ignore[operator]
    assert fix(cased) == cased


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            words,
            st.sampled_from(NOISY_WORDS),
            st.integers(0, 10**9).map(str),
            st.from_regex(r"\d{1,3}[.,]\d{1,3}", fullmatch=True),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_digits_in_prose_never_change(tokens: list[str]) -> None:
    text = " ".join(tokens)
    assert re.findall(r"\d", fix(text)) == re.findall(r"\d", text)

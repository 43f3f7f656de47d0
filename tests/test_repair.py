"""OCR repair: one test per confusion class, value rules, line mode, and properties."""

from __future__ import annotations

import json
import pickle
import re
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from lexicon.cache import (
    CACHE_ENV,
    TABLE_MIN_SIZE,
    HashBuckets,
    WordTable,
    hashes_to_buckets,
    load_or_build,
    to_bytes,
)
from lexicon.loader import DATA_DIR, load_lexicon
from normalize.repair import (
    Repairer,
    garbled_percent_candidates,
    ocr_cost,
    repair_jsonl,
    repair_lines,
)
from normalize.repair_cost import edit_blocks, max_cost_for, ocr_cost_parts
from normalize.repair_index import (
    INDEX_DISTANCE,
    PREFIX_LENGTH,
    CandidateIndex,
    deletes_by_rounds,
    domain_lookup,
    lookup,
    lookup_distances,
    lookup_hits,
    prefix_deletes,
    words_to_index,
)
from normalize.repair_phrases import satker_names
from normalize.repair_words import (
    AMBIGUITY_GAP,
    CHANNEL_WEIGHT,
    DOMAIN_FALLBACK_EXTRA_COST,
    DOMAIN_FALLBACK_MIN_LENGTH,
    WordModel,
)
from normalize.tokenizer import (
    _whitespace_run_tokens,
    apply_matcher,
    cached_chunk,
    default_rules,
    json_to_rules,
    pattern_to_program,
    program_to_pattern,
    tokenize,
)


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
        repairer.words.best_word_in_context.cache_info().hits > 0
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


# ---------------------------------------------------------------- speed machinery, same answers
index_words = st.lists(st.text("abcdeikmnr", min_size=2, max_size=9), min_size=1, max_size=40)


@settings(max_examples=100, deadline=None)
@given(index_words, st.text("abcdeikmnr", min_size=2, max_size=9))
def test_flat_index_finds_what_a_dict_index_finds(vocabulary: list[str], token: str) -> None:
    """The hashed flat index against the plain key -> words dict it replaces."""
    index = CandidateIndex(words_to_index(sorted(set(vocabulary))))
    by_key: dict[str, set[str]] = {}
    for word in set(vocabulary):
        for key in prefix_deletes(word, INDEX_DISTANCE):
            by_key.setdefault(key, set()).add(word)
    distance = 2 if len(token) >= 5 else 1
    pool = set().union(*(by_key.get(k, set()) for k in prefix_deletes(token, distance)))
    expected = {w for w in pool if Levenshtein.distance(token, w) <= distance}
    assert lookup(index, token) == expected


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), st.floats(allow_nan=False), min_size=1))
def test_word_table_is_the_dict_it_stores(table: dict[str, float]) -> None:
    stored = pickle.loads(to_bytes({"table": WordTable.from_dict(table)}))["table"]
    assert list(stored.items()) == list(table.items())
    assert all(stored.get(k) == v and k in stored for k, v in table.items())
    assert stored.get("\0missing") is None and "\0missing" not in stored


def test_large_word_tables_are_cached_as_columns(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    table = {f"w{i}": i for i in range(TABLE_MIN_SIZE)}
    assert load_or_build("words", "ef" * 32, lambda: {"t": table})["t"] is table
    loaded: object = load_or_build("words", "ef" * 32, lambda: {"t": {}})["t"]
    assert isinstance(loaded, WordTable) and loaded == table and loaded["w7"] == 7


def test_cached_tokenizer_rules_are_the_compiled_ones() -> None:
    text = (DATA_DIR / "tokenizer.json").read_text(encoding="utf-8")
    compiled = json_to_rules(text)
    cached = default_rules()
    assert cached.specials == compiled.specials and cached.matched == compiled.matched
    for seed in sorted(SEED_DIR.glob("*.txt")):
        for line in seed.read_text(encoding="utf-8").splitlines()[:300]:
            assert tokenize(line) == tokenize(line, compiled)


@pytest.mark.parametrize("pattern", [r"^(?P<a>x+)(y)?$", r"(?i)[^\W\d]+|\.\.+", r"(?<=a)b\Z"])
def test_regex_programs_round_trip(pattern: str) -> None:
    rebuilt, compiled = program_to_pattern(pattern_to_program(pattern)), re.compile(pattern)
    assert (rebuilt.pattern, rebuilt.flags, rebuilt.groupindex) == (
        compiled.pattern,
        compiled.flags,
        compiled.groupindex,
    )
    for probe in ("xxy", "XxY", "ab", "ÄÖ..x", ""):
        assert [m.span() for m in rebuilt.finditer(probe)] == [
            m.span() for m in compiled.finditer(probe)
        ]


def drop_last(word: str) -> str:
    return word[:-1]


def price_everything(model: WordModel, lower: str, capitals: bool) -> list[tuple[str, float]]:
    """(word, score) of every candidate within budget: the pricing that pruning must match."""

    def price(words: set[str], budget: float) -> list[tuple[str, float]]:
        priced = []
        for word in words:
            cost, _ = ocr_cost_parts(word, lower, model.costs)
            if cost <= budget:
                bonus = model._bonus(word, capitals)
                priced.append((word, model.prior(word) + bonus - CHANNEL_WEIGHT * cost))
        return priced

    budget = max_cost_for(len(lower))
    priced = price(lookup(model._index, lower) - {lower}, budget)
    if not priced and len(lower) >= DOMAIN_FALLBACK_MIN_LENGTH:
        loose = domain_lookup(model._domain_words, lower)
        priced = price(loose, budget + DOMAIN_FALLBACK_EXTRA_COST)
    return priced


def test_pruned_pricing_keeps_what_decides(repairer: Repairer) -> None:
    """Pricing stops early; in any context the best candidate must be that of pricing
    everything, and so must the runner-up whenever it comes within the ambiguity gap."""
    model = repairer.words
    bigrams = sorted(load_lexicon().bigrams)
    damaged = [
        hurt(w) for w in DOMAIN_WORDS[::4] for hurt in (lambda w: w.replace("e", "c", 1), drop_last)
    ]
    for token in damaged + ["Kinera", "sesual", "Pemilinan", "kcgiatan", "Kabupalen", "KFU"]:
        lower, capitals = token.lower(), token.isupper()
        priced = price_everything(model, lower, capitals)
        found = {word for word, _ in priced}
        lefts = [a for a, b in bigrams if b in found][:4]  # contexts that lift a candidate
        rights = [b for a, b in bigrams if a in found][:4]
        for left, right in [("", ""), *zip(lefts, rights, strict=False), *((a, "") for a in lefts)]:
            scored = [(w, round(s + model.context(w, left, right), 9)) for w, s in priced]
            expected = sorted(scored, key=lambda x: (-x[1], x[0]))[:2]
            ranked = [(c.word, round(s, 9)) for c, s in model.ranked(token, left, right)[:2]]
            assert ranked[:1] == expected[:1], token
            if len(expected) == 2 and expected[0][1] - expected[1][1] < AMBIGUITY_GAP:
                assert ranked == expected, token
            elif len(ranked) == 2:
                assert ranked[0][1] - ranked[1][1] >= AMBIGUITY_GAP, token


@settings(max_examples=200, deadline=None)
@given(st.text("abcdeik", max_size=9), st.integers(min_value=0, max_value=3))
def test_spelled_out_prefix_deletes_are_the_rounds_ones(word: str, distance: int) -> None:
    assert prefix_deletes(word, distance) == deletes_by_rounds(word[:PREFIX_LENGTH], distance)


def merged_opcodes(printed: str, observed: str) -> list[tuple[int, int, int, int]]:
    """The blocks as first written: non-equal opcodes, adjacent ones merged."""
    blocks: list[tuple[int, int, int, int]] = []
    for tag, s0, s1, d0, d1 in Levenshtein.opcodes(printed, observed).as_list():
        if tag == "equal":
            continue
        if blocks and blocks[-1][1] == s0 and blocks[-1][3] == d0:
            s0, _, d0, _ = blocks.pop()
        blocks.append((s0, s1, d0, d1))
    return blocks


@settings(max_examples=300, deadline=None)
@given(st.text("aeikn1l!", max_size=10), st.text("aeikn1l!", max_size=10))
def test_edit_blocks_from_editops_are_the_merged_opcodes(printed: str, observed: str) -> None:
    assert edit_blocks(printed, observed) == merged_opcodes(printed, observed)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=300), st.data())
def test_hash_buckets_find_what_a_binary_search_finds(values: list[int], data: Any) -> None:
    hashes = sorted(values)
    found = HashBuckets(array_bytes(hashes), hashes_to_buckets(hashes))
    probes = hashes + data.draw(st.lists(st.integers(min_value=0, max_value=2**32 - 1)))
    for h in probes:
        i = bisect_left(hashes, h)
        assert found.find(h) == (i if i < len(hashes) and hashes[i] == h else -1)


def array_bytes(values: list[int]) -> bytes:
    return array("I", values).tobytes()


@settings(max_examples=200, deadline=None)
@given(st.text(" \t\xa0aZ.,-(1", max_size=14))
def test_single_spaced_fast_path_is_the_whitespace_runs_path(text: str) -> None:
    expected = apply_matcher(_whitespace_run_tokens(text, cached_chunk), default_rules())
    assert tokenize(text) == expected


def test_stored_priors_are_the_computed_ones(repairer: Repairer) -> None:
    model = repairer.words
    words = model._index.words
    assert len(model.priors) == len(words) == len(model.reaches)
    assert all(model.priors[n] == model._prior(w) for n, w in enumerate(words))
    assert all(model.reaches[n] == model._reach(w) for n, w in enumerate(words))


def test_lookup_hits_carry_the_numbers_of_their_words(repairer: Repairer) -> None:
    index = repairer.words._index
    for token in ("kinera", "pemilfhan", "kpu", "sesual", "xq"):
        distances = lookup_distances(index, token)
        assert all(Levenshtein.distance(w, token) == d for w, d in distances.items())
        hits = lookup_hits(index, token)
        assert {w: d for w, (d, _) in hits.items()} == distances
        assert all(index.words[n] == w for w, (_, n) in hits.items())

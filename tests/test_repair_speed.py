"""The repair's speed machinery gives the answers of the plain code it stands for."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from lexicon.cache import CACHE_ENV, from_entry, load_or_build, to_entry
from lexicon.loader import DATA_DIR, load_lexicon, load_lexicon_from
from normalize.repair import Repairer
from normalize.repair_cost import OcrCost, ocr_cost_parts
from normalize.repair_index import (
    CandidateIndex,
    lookup,
    prefix_deletes,
    query_keys,
    words_to_index,
)
from normalize.tokenizer import (
    affixes_to_texts,
    ascii_letters,
    chunk_to_texts,
    default_rules,
)
from normalize.tokens import RepairResult

REPO = Path(__file__).resolve().parent.parent
SEED_DIR = REPO.parent / "shared" / "seeds"
DEV_LINES = REPO.parent / "shared" / "dev" / "ocr_lines_dev.jsonl"


@pytest.fixture(scope="module")
def repairer() -> Repairer:
    return Repairer.default()


def sample_lines() -> list[str]:
    """Lines of the seed texts (a few hundred of each), else a few made-up ones."""
    lines = [
        line
        for seed in sorted(SEED_DIR.glob("*.txt"))
        for line in seed.read_text(encoding="utf-8").splitlines()[:250]
    ]
    return lines or ["Laporan Kinera KPU Kabupalen Pasuruan", "tepat wakiu 1005 (Renstra)."]


def test_remembered_decisions_are_those_of_a_fresh_repairer() -> None:
    """Every line repaired by one long-lived repairer (its caches filled by the lines before)
    comes out as a repairer made for that line alone repairs it."""
    lexicon = load_lexicon()
    warm = Repairer(lexicon)
    lines = sample_lines()
    warmed = [warm.repair_text(line) for line in lines + lines]
    for i in range(0, len(lines), 7):  # a fresh repairer costs ~0.1 s
        assert Repairer(lexicon).repair_text(lines[i]) == warmed[i] == warmed[len(lines) + i]


def test_context_left_out_only_where_it_changes_nothing(repairer: Repairer) -> None:
    model = repairer.words
    bigrams = sorted(load_lexicon().bigrams)[::25]
    tokens = ["Kinera", "sesual", "Pemilinan", "kcgiatan", "Kabupalen", "wakiu", "vang", "KFU"]
    for token in tokens + [a.capitalize() + "x" for a, _ in bigrams[:20]]:
        for left, right in [("", ""), *bigrams[:12], ("kinerja", "kpu")]:
            for noisy in (True, False):
                assert model.best_word(token, left, right, None, noisy) == model._best_word(
                    token, left, right, None, noisy
                ), (token, left, right)


@settings(max_examples=300, deadline=None)
@given(st.text("aeikn1l!|.r", max_size=9), st.text("aeikn1l!|.r", max_size=9))
def test_remembered_block_prices_are_the_computed_ones(printed: str, observed: str) -> None:
    costs = Repairer.default().costs
    remembered = OcrCost(costs)
    for _ in range(2):  # priced, then read back
        assert remembered.parts(printed, observed) == ocr_cost_parts(printed, observed, costs)


def test_index_finds_every_word_within_the_distance(repairer: Repairer) -> None:
    """The prefix-delete pool misses no word within the look-up distance, whatever the
    prefix length: what lets PREFIX_LENGTH trade pool size against key count."""
    index = repairer.words._index
    tokens = ["kinera", "pemilfhan", "kabupalen", "sirategis", "kpu", "xq", "teriuang"]
    tokens += [w[:2] + "x" + w[3:] for w in index.words[::997] if len(w) > 3]
    tokens += [w[1:] + "a" for w in index.words[::1499]]
    for token in tokens:
        distance = 2 if len(token) >= 5 else 1
        hits = process.extract(
            token, index.words, scorer=Levenshtein.distance, score_cutoff=distance, limit=None
        )
        assert lookup(index, token) == {hit[0] for hit in hits}, token


numbers = st.integers(min_value=0, max_value=10**12).map(str)


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(["", "%", ".", ",", ")", ";", ":"]))
def test_number_shortcut_is_the_affix_rules(number: str, sign: str) -> None:
    rules = default_rules()
    chunk = number + sign
    expected = list(rules.specials[chunk]) if chunk in rules.specials else None
    assert chunk_to_texts(chunk, rules) == (expected or affixes_to_texts(chunk, rules))


def test_ascii_words_match_no_suffix_infix_or_url() -> None:
    rules = default_rules()
    words = [w for w in load_lexicon().general_zipf if ascii_letters(w)][::7]
    for word in words + [w.upper() for w in words[::5]] + [w.title() for w in words[::5]]:
        assert rules.suffix(word) is None and not rules.infix(word) and not rules.url(word)


@settings(max_examples=200, deadline=None)
@given(st.text("aZ.,-(1)/%|", min_size=1, max_size=10))
def test_tokenizer_shortcuts_change_no_chunk(chunk: str) -> None:
    rules = default_rules()
    if chunk in rules.specials:
        return
    got = chunk_to_texts(chunk, rules)
    if got != affixes_to_texts(chunk, rules):
        # Only the older plain-word shortcut may differ (spaCy's 'Rp'/'IDR' prefixes).
        assert chunk.rstrip(",;:").isalpha()


def test_corrections_are_built_when_asked_for(repairer: Repairer) -> None:
    result = repairer.repair_text("Laporan Kinera")
    (correction,) = result.corrections
    assert (correction.raw, correction.repaired, correction.start) == ("Kinera", "Kinerja", 8)
    assert result.changes == ((correction.raw, "Kinerja", 8, correction.score, "lexicon"),)


def test_repairing_text_needs_no_boundary_models() -> None:
    code = (
        "import sys; from normalize.repair import Repairer; "
        "Repairer.default().repair_text('Laporan Kinera 1005'); "
        "print('normalize.models' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_entry_buffers_come_back_in_place() -> None:
    value: dict[str, Any] = {
        "big": b"x" * 5000,
        "small": b"yz",
        "nested": [(1, b"a" * 8192)],
        "table": {f"w{i}": float(i) for i in range(10_000)},
    }
    loaded = from_entry(memoryview(to_entry(value)))
    assert isinstance(loaded["big"], memoryview) and bytes(loaded["big"]) == value["big"]
    assert loaded["small"] == b"yz"
    assert bytes(loaded["nested"][0][1]) == value["nested"][0][1]
    assert dict(loaded["table"]) == value["table"]
    assert pickle.loads(pickle.dumps(loaded["table"]))["w7"] == 7.0  # a table pickles in band


def test_truncated_entry_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert load_or_build("thing", "ab" * 32, lambda: {"b": b"q" * 9000}) is not None
    (entry,) = tmp_path.glob("thing-*.pickle")
    entry.write_bytes(entry.read_bytes()[:-100])
    assert load_or_build("thing", "ab" * 32, lambda: "rebuilt") == "rebuilt"


def test_mapped_lexicon_is_the_parsed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    parsed = load_lexicon_from(DATA_DIR)
    mapped = load_lexicon_from(DATA_DIR)
    assert mapped.general_zipf == parsed.general_zipf and mapped.bigrams == parsed.bigrams
    assert mapped.confusions == parsed.confusions and mapped.terms == parsed.terms


@pytest.mark.skipif(not DEV_LINES.is_file(), reason="no dev lines")
def test_dev_lines_repair_the_same_in_any_order(repairer: Repairer) -> None:
    """Remembered pools, keys and block prices depend on no earlier line."""
    lines = [json.loads(x)["noisy"] for x in DEV_LINES.read_text(encoding="utf-8").splitlines()]
    forward = [repairer.repair_text(line).text for line in lines]
    backward = [Repairer(load_lexicon()).repair_text(line).text for line in reversed(lines)]
    assert forward == backward[::-1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text("abcdeikmnr", min_size=2, max_size=10), min_size=1, max_size=40),
    st.text("abcdeikmnr", min_size=2, max_size=10),
)
def test_shortest_keys_find_what_all_keys_find(vocabulary: list[str], token: str) -> None:
    """A full prefix looks words up by its shortest deletes only: the same words within the
    distance as by all of them."""
    index = CandidateIndex(words_to_index(sorted(set(vocabulary))))
    distance = 2 if len(token) >= 5 else 1
    assert query_keys(token, distance) <= prefix_deletes(token, distance)
    everything = index.keys_pool(prefix_deletes(token, distance))[0]
    expected = {w for w in everything if Levenshtein.distance(w, token) <= distance}
    assert lookup(index, token) == expected


def test_repair_result_keeps_the_dataclass_behaviour() -> None:
    result = RepairResult("Kinerja", "Kinera", (("Kinera", "Kinerja", 0, 1.0, "lexicon"),))
    assert result == RepairResult(text="Kinerja", raw="Kinera", changes=result.changes)
    assert result != RepairResult("Kinerja", "Kinera")
    assert hash(result) == hash(RepairResult("Kinerja", "Kinera", result.changes))
    assert repr(RepairResult("a", "b")) == "RepairResult(text='a', raw='b', changes=())"
    assert pickle.loads(pickle.dumps(result)) == result
    with pytest.raises(AttributeError):
        result.text = "x"  # type: ignore[misc]
    assert result.corrections[0].repaired == "Kinerja"


def test_single_spaced_tokens_follow_the_general_rule() -> None:
    """The one-token-per-chunk shortcut gives the tokens of the general single-space rule."""
    from normalize.tokenizer import _single_spaced_tokens, _spaced_tokens, cached_chunk

    lines = [line for line in sample_lines() if line and "" not in line.split(" ")]
    for line in lines + ["a", "Kinerja,", "(Renstra) 2020-2024."]:
        chunks = line.split(" ")
        assert _single_spaced_tokens(chunks, cached_chunk) == _spaced_tokens(chunks, cached_chunk)
    assert _single_spaced_tokens(["a", "b"], lambda c: () if c == "b" else (c,)) == [("a", 0, " ")]


def test_candidates_without_neighbours_rank_as_sorted(repairer: Repairer) -> None:
    """With no neighbours the ranking is the candidates' own order, as sorting gives it."""
    model = repairer.words
    for token in ["Kinera", "sesual", "Pemilinan", "kcgiatan", "Kabupalen", "wakiu", "KFU"]:
        capitals = token.isupper() and len(token) > 1
        scored = [
            (c, c.score + model.context(c.word, "", ""))
            for c in model.candidates(token.lower(), capitals)
        ]
        assert model.ranked(token, "", "") == sorted(scored, key=lambda x: (-x[1], x[0].word))

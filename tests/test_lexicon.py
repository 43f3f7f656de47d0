"""The lexicon build is deterministic and the loader validates and hashes the data files."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from lexicon.build import build_lexicon, noise_md_to_variants, vocabulary_md_to_terms
from lexicon.cache import CACHE_ENV, cache_dir, load_or_build
from lexicon.loader import (
    DATA_DIR,
    Confusion,
    LexiconError,
    data_dir_sha256,
    load_lexicon,
    load_lexicon_from,
    stamped_sha256,
)

SHARED = Path("/work/shared")
needs_shared = pytest.mark.skipif(not (SHARED / "domain").is_dir(), reason="no shared sources")


@needs_shared
def test_build_is_deterministic_and_matches_checked_in_files(tmp_path: Path) -> None:
    first = build_lexicon(SHARED, tmp_path / "a")
    second = build_lexicon(SHARED, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert (DATA_DIR / a.name).read_bytes() == a.read_bytes(), f"{a.name} is stale"


@needs_shared
def test_vocabulary_has_all_642_terms() -> None:
    terms = vocabulary_md_to_terms((SHARED / "domain" / "vocabulary.md").read_text())
    assert len(terms) == 642
    assert sum(1 for _, kind, _, _ in terms if kind == "M") == 432
    assert ("DPTb", "W") in {(t, k) for t, k, _, _ in terms}  # note after † stripped


def test_variants_parse_arrows_and_backticks() -> None:
    noise = "### 5.3 Author\n`Indiaktor` (x), `PEROGRAM` and indiscriminate casing (`kinerja`)"
    vocab = (
        "Author variants to keep as aliases (not errors): Prosentase/Presentase → Persentase;\n\n"
    )
    variants = noise_md_to_variants(noise, vocab)
    assert variants == {
        "Indiaktor": "",
        "PEROGRAM": "",
        "Prosentase": "Persentase",
        "Presentase": "Persentase",
    }


def test_loaded_lexicon_holds_domain_data() -> None:
    lexicon = load_lexicon()
    assert {"KPU", "DPT", "PAW", "WTP"} <= lexicon.acronyms
    assert lexicon.variants["Prosentase"] == "Persentase"
    assert "Indiaktor" in lexicon.variants
    assert "Komisi Pemilihan Umum" in lexicon.phrases
    assert lexicon.is_word("kinerja") and lexicon.is_word("yang")
    assert not lexicon.is_word("kinera")
    assert any("{SATKER}" in t for t in lexicon.satker_templates)
    assert len(lexicon.sha256) == 64


def test_hash_covers_every_file_in_the_data_dir(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    before = load_lexicon_from(copy).sha256
    (copy / "extra_helper_file.csv").write_text("a,b\n", encoding="utf-8")
    assert load_lexicon_from(copy).sha256 != before


def test_bad_header_is_rejected(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    (copy / "confusions.csv").write_text("wrong,header\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="confusions.csv"):
        load_lexicon_from(copy)


def test_bad_confusion_cost_is_rejected(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    (copy / "confusions.csv").write_text("class,printed,observed,cost\nS,t,l,9\n", encoding="utf-8")
    with pytest.raises(LexiconError):
        load_lexicon_from(copy)


def test_cached_lexicon_equals_parsed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    first = load_lexicon_from(DATA_DIR)  # parses and stores
    assert list((tmp_path / "cache").glob("lexicon-*.pickle"))
    second = load_lexicon_from(DATA_DIR)  # reads the cache
    assert dict(second.general_zipf) == dict(first.general_zipf)
    assert second.confusions == first.confusions and second.terms == first.terms
    assert second.sha256 == first.sha256


def test_corrupt_cache_entry_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert load_or_build("thing", "ab" * 32, lambda: [1, 2]) == [1, 2]
    (entry,) = tmp_path.glob("thing-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_or_build("thing", "ab" * 32, lambda: [3]) == [3]


def test_cache_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "")
    assert cache_dir() is None
    assert load_or_build("thing", "cd" * 32, lambda: "built") == "built"


def test_stamped_hash_follows_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    assert stamped_sha256(copy) == data_dir_sha256(copy)  # computed and stamped
    assert list((tmp_path / "cache").glob("sha256-*.pickle"))
    assert stamped_sha256(copy) == data_dir_sha256(copy)  # read back
    (copy / "acronyms.csv").write_text("acronym,source\nKPU,x\n", encoding="utf-8")
    assert stamped_sha256(copy) == data_dir_sha256(copy)  # a changed file is hashed again
    assert load_lexicon_from(copy, stamped=True).sha256 == data_dir_sha256(copy)[0]


def test_confusion_and_lexicon_keep_the_dataclass_behaviour() -> None:
    confusion = Confusion("S", "l", "1", 0.3)
    assert confusion == Confusion("S", "l", "1", 0.3) != Confusion("S", "l", "1", 0.4)
    assert hash(confusion) == hash(Confusion("S", "l", "1", 0.3))
    assert repr(confusion) == "Confusion(kind='S', printed='l', observed='1', cost=0.3)"
    assert pickle.loads(pickle.dumps(confusion)) == confusion
    with pytest.raises(AttributeError):
        confusion.cost = 1.0  # type: ignore[misc]
    with pytest.raises(LexiconError):
        Confusion("S", "l", "l", 0.3)
    lexicon = load_lexicon()
    with pytest.raises(AttributeError):
        lexicon.sha256 = ""  # type: ignore[misc]
    assert lexicon.confusions and lexicon.is_word("kinerja")

"""Candidate look-up for a noisy token: a SymSpell-style prefix-delete index over the lexicon.

Building the index takes ~2 s, so it is pickled under the user cache (lexicon/cache.py), keyed
by the lexicon hash and the index settings; later processes unpickle it in ~0.15 s.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from lexicon.cache import load_or_build
from lexicon.loader import Lexicon

CANDIDATE_MIN_ZIPF = 3.0  # wordfreq's Indonesian list starts near 3: ranked words are candidates
PREFIX_LENGTH = 6  # SymSpell's prefix trick: deletes of the first letters only
INDEX_DISTANCE = 2
DOMAIN_MIN_LENGTH = 5  # domain words loosely matched against long damaged tokens
DOMAIN_MIN_RATIO = 70

Index = dict[str, tuple[str, ...]]


def prefix_deletes(word: str, distance: int) -> set[str]:
    """The word's prefix with up to ``distance`` letters deleted (the prefix itself included)."""
    keys = {word[:PREFIX_LENGTH]}
    frontier = set(keys)
    for _ in range(distance):
        frontier = {k[:i] + k[i + 1 :] for k in frontier for i in range(len(k)) if len(k) > 1}
        keys |= frontier
    return keys


def candidate_words(lexicon: Lexicon) -> list[str]:
    """Ranked general words, domain words and canonical variants, sorted."""
    words = {w for w, z in lexicon.general_zipf.items() if z >= CANDIDATE_MIN_ZIPF}
    words |= set(lexicon.domain_counts)
    words |= {c.lower() for c in lexicon.variants.values() if c and " " not in c}
    return sorted(w for w in words if len(w) >= 2)


def candidate_index(lexicon: Lexicon) -> Index:
    """Prefix-delete key -> candidate words (in sorted order)."""
    index: dict[str, list[str]] = {}
    for word in candidate_words(lexicon):
        for key in prefix_deletes(word, INDEX_DISTANCE):
            index.setdefault(key, []).append(word)
    return {k: tuple(v) for k, v in index.items()}


def cached_candidate_index(lexicon: Lexicon) -> Index:
    """The index of ``lexicon``, from the user cache when an earlier process built it."""
    name = f"index-p{PREFIX_LENGTH}-d{INDEX_DISTANCE}-z{CANDIDATE_MIN_ZIPF}"
    return load_or_build(name, lexicon.sha256, lambda: candidate_index(lexicon))


def lookup(index: Index, lower: str) -> set[str]:
    """Words within Levenshtein distance 2 (1 for short tokens): prefix deletes narrow the
    field, rapidfuzz checks the distance."""
    distance = 2 if len(lower) >= 5 else 1
    pool: set[str] = set()
    for key in prefix_deletes(lower, distance):
        pool.update(index.get(key, ()))
    return {w for w in pool if Levenshtein.distance(lower, w, score_cutoff=distance) <= distance}


def domain_words(lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted(w for w in lexicon.domain_counts if len(w) >= DOMAIN_MIN_LENGTH))


def domain_lookup(words: tuple[str, ...], lower: str) -> set[str]:
    """Domain words loosely like a badly damaged long token ('Paorsemiase')."""
    hits = process.extract(lower, words, scorer=fuzz.ratio, score_cutoff=DOMAIN_MIN_RATIO, limit=5)
    return {hit[0] for hit in hits}

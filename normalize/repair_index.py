"""Candidate look-up for a noisy token: a SymSpell-style prefix-delete index over the lexicon.

Building the index takes ~2 s, so it is stored under the user cache (lexicon/cache.py), keyed by
the lexicon hash and the index settings. It is stored flat: the CRC-32 of every prefix-delete
key (sorted), the words each hash leads to, and the words as one string, so a process loads it
as a few byte strings (~1 ms) instead of unpickling 150,000 keys and tuples (~90 ms). Two keys
sharing a hash only widen the pool: every pooled word is checked against the token's distance.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import NamedTuple
from zlib import crc32

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from lexicon.cache import load_or_build
from lexicon.loader import Lexicon

CANDIDATE_MIN_ZIPF = 3.0  # wordfreq's Indonesian list starts near 3: ranked words are candidates
PREFIX_LENGTH = 6  # SymSpell's prefix trick: deletes of the first letters only
INDEX_DISTANCE = 2
DOMAIN_MIN_LENGTH = 5  # domain words loosely matched against long damaged tokens
DOMAIN_MIN_RATIO = 70
SEPARATOR = "\n"  # between the stored words (no word holds one)
MAX_REMEMBERED_POOLS = 1 << 14
MAX_REMEMBERED_KEYS = 1 << 17


class FlatIndex(NamedTuple):
    """The stored form of the index: the words filed under each key hash, as one string."""

    hashes: bytes  # sorted distinct CRC-32 of the prefix-delete keys (unsigned 32-bit array)
    starts: bytes  # hashes[i]'s words are words[starts[i]:starts[i + 1]], each ending in "\n"
    words: str


class CandidateIndex:
    """The loaded index: key -> hash -> the words filed under it."""

    __slots__ = ("_filed", "_pools", "hashes", "starts", "words")

    def __init__(self, flat: FlatIndex) -> None:
        self.hashes = u32(flat.hashes)
        self.starts = u32(flat.starts)
        self.words = flat.words
        self._pools: dict[tuple[str, int], list[str]] = {}
        self._filed: dict[str, str] = {}  # key -> its words; damaged tokens share keys

    def pool(self, lower: str, distance: int) -> list[str]:
        """The words sharing a prefix-delete key with ``lower``; remembered per prefix, which
        is all the keys depend on ('kinera', 'kinerjq' and 'kinerja' share theirs)."""
        key = (lower[:PREFIX_LENGTH], distance)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= MAX_REMEMBERED_POOLS:
                self._pools.clear()
            pool = self._pools[key] = self.keys_pool(prefix_deletes(key[0], distance))
        return pool

    def keys_pool(self, keys: set[str]) -> list[str]:
        """The words filed under any of ``keys`` (and under keys of the same hash), with
        repeats: the distance check in C is cheaper than removing them in Python first."""
        filed = self._filed
        if len(filed) >= MAX_REMEMBERED_KEYS:
            filed.clear()
        found = []
        for key in keys:
            words = filed.get(key)
            if words is None:
                words = filed[key] = self.filed_under(key)
            found.append(words)
        return "".join(found).split(SEPARATOR)

    def filed_under(self, key: str) -> str:
        """The words filed under the key's hash, each followed by SEPARATOR ('' if none)."""
        h = key_hash(key)
        i = bisect_left(self.hashes, h)
        if i < len(self.hashes) and self.hashes[i] == h:
            return self.words[self.starts[i] : self.starts[i + 1]]
        return ""


def u32(data: bytes) -> array[int]:
    values = array("I")
    values.frombytes(data)
    return values


def key_hash(key: str) -> int:
    return crc32(key.encode("utf-8"))


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
    return sorted(w for w in words if len(w) >= 2 and SEPARATOR not in w)


def candidate_index(lexicon: Lexicon) -> FlatIndex:
    """The lexicon's candidate words, indexed."""
    return words_to_index(candidate_words(lexicon))


def words_to_index(words: list[str]) -> FlatIndex:
    """Prefix-delete key hashes -> words (none holding SEPARATOR), flattened."""
    by_hash: dict[int, set[str]] = {}
    for word in words:
        for key in prefix_deletes(word, INDEX_DISTANCE):
            by_hash.setdefault(key_hash(key), set()).add(word)
    hashes = sorted(by_hash)
    segments = ["".join(w + SEPARATOR for w in sorted(by_hash[h])) for h in hashes]
    starts, offset = array("I", [0]), 0
    for segment in segments:
        offset += len(segment)
        starts.append(offset)
    return FlatIndex(array("I", hashes).tobytes(), starts.tobytes(), "".join(segments))


def cached_candidate_index(lexicon: Lexicon) -> CandidateIndex:
    """The index of ``lexicon``, from the user cache when an earlier process built it."""
    name = f"index-flat-p{PREFIX_LENGTH}-d{INDEX_DISTANCE}-z{CANDIDATE_MIN_ZIPF}"
    return CandidateIndex(load_or_build(name, lexicon.sha256, lambda: candidate_index(lexicon)))


def lookup(index: CandidateIndex, lower: str) -> set[str]:
    """Words within Levenshtein distance 2 (1 for short tokens)."""
    return set(lookup_distances(index, lower))


def lookup_distances(index: CandidateIndex, lower: str) -> dict[str, int]:
    """Words within Levenshtein distance 2 (1 for short tokens) -> their distance: prefix
    deletes narrow the field, rapidfuzz checks the distance (one call over the whole pool)."""
    distance = 2 if len(lower) >= 5 else 1
    pool = index.pool(lower, distance)
    hits = process.extract(
        lower, pool, scorer=Levenshtein.distance, score_cutoff=distance, limit=None
    )
    return {hit[0]: int(hit[1]) for hit in hits if hit[0]}


def domain_words(lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted(w for w in lexicon.domain_counts if len(w) >= DOMAIN_MIN_LENGTH))


def domain_lookup(words: tuple[str, ...], lower: str) -> set[str]:
    """Domain words loosely like a badly damaged long token ('Paorsemiase')."""
    hits = process.extract(lower, words, scorer=fuzz.ratio, score_cutoff=DOMAIN_MIN_RATIO, limit=5)
    return {hit[0] for hit in hits}

"""Candidate look-up for a noisy token: a SymSpell-style prefix-delete index over the lexicon.

Building the index takes ~2 s, so it is stored under the user cache (lexicon/cache.py), keyed by
the lexicon hash and the index settings. It is stored flat: the CRC-32 of every prefix-delete
key (sorted), the numbers of the words each hash leads to (two bytes each), and the words as
one string, so a process loads it as a few byte strings (~2 ms) instead of unpickling 150,000
keys and tuples (~90 ms). Two keys sharing a hash only widen the pool: every pooled word is
checked against the token's distance. A hit comes with its word's number, which callers use to
read per-word values stored beside the index (repair_words.py's priors).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from operator import itemgetter
from typing import Literal, NamedTuple
from zlib import crc32

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from lexicon.cache import HashBuckets, column, hashes_to_buckets, load_or_build
from lexicon.loader import Lexicon

CANDIDATE_MIN_ZIPF = 3.0  # wordfreq's Indonesian list starts near 3: ranked words are candidates
PREFIX_LENGTH = 7  # SymSpell's prefix trick: deletes of the first letters only
INDEX_DISTANCE = 2
DOMAIN_MIN_LENGTH = 5  # domain words loosely matched against long damaged tokens
DOMAIN_MIN_RATIO = 70
SEPARATOR = "\n"  # between the stored words (no word holds one)
MAX_REMEMBERED_POOLS = 1 << 14
MAX_REMEMBERED_KEYS = 1 << 17
INDEX_NAME = f"index-ids-p{PREFIX_LENGTH}-d{INDEX_DISTANCE}-z{CANDIDATE_MIN_ZIPF}"

Pool = tuple[tuple[str, ...], list[int]]  # pooled words and their numbers, repeats kept
Hits = dict[str, tuple[int, int]]  # word -> (edit distance, word number)


class FlatIndex(NamedTuple):
    """The stored form of the index: the numbers of the words filed under each key hash."""

    hashes: bytes  # sorted distinct CRC-32 of the prefix-delete keys (unsigned 32-bit array)
    starts: bytes  # hashes[i]'s word numbers are numbers[starts[i]:starts[i + 1]] (32-bit)
    numbers: bytes  # word numbers, an array of type ``kind``
    kind: str  # "H" (16-bit) while the words fit, else "I"
    words: str  # the words in number order, SEPARATOR between them
    buckets: bytes  # the hashes' buckets (lexicon/cache.py ``HashBuckets``)


class CandidateIndex:
    """The loaded index: key -> hash -> the numbers of the words filed under it -> words."""

    __slots__ = ("_filed", "_pools", "hashes", "kind", "numbers", "starts", "width", "words")

    def __init__(self, flat: FlatIndex) -> None:
        self.hashes = HashBuckets(flat.hashes, flat.buckets)
        self.starts = column("I", flat.starts)
        self.numbers = memoryview(flat.numbers)  # sliced without copies
        self.kind: Literal["H", "I"] = "H" if flat.kind == "H" else "I"
        self.width = array(flat.kind).itemsize
        self.words = flat.words.split(SEPARATOR) if flat.words else []
        self._pools: dict[tuple[str, int], Pool] = {}
        # key -> its word numbers (a view of the index); damaged tokens share keys
        self._filed: dict[str, bytes | memoryview] = {}

    def pool(self, lower: str, distance: int) -> Pool:
        """The words sharing a prefix-delete key with ``lower``; remembered per prefix, which
        is all the keys depend on ('kinera', 'kinerjq' and 'kinerja' share theirs)."""
        key = (lower[:PREFIX_LENGTH], distance)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= MAX_REMEMBERED_POOLS:
                self._pools.clear()
            pool = self._pools[key] = self.keys_pool(prefix_deletes(key[0], distance))
        return pool

    def keys_pool(self, keys: set[str]) -> Pool:
        """The words filed under any of ``keys`` (and under keys of the same hash), with
        repeats: the distance check in C is cheaper than removing them in Python first."""
        filed = self._filed
        if len(filed) >= MAX_REMEMBERED_KEYS:
            filed.clear()
        # ``filed_under`` spelled out: this runs for some 30 keys of every new token.
        hashes, buckets, shift = self.hashes.hashes, self.hashes.buckets, self.hashes.shift
        starts, numbers, width = self.starts, self.numbers, self.width
        found: list[bytes | memoryview] = []
        for key in keys:
            filed_numbers = filed.get(key)
            if filed_numbers is None:
                h = crc32(key.encode("utf-8"))
                bucket = h >> shift
                end = buckets[bucket + 1]
                i = bisect_left(hashes, h, buckets[bucket], end)
                filed_numbers = filed[key] = (
                    numbers[width * starts[i] : width * starts[i + 1]]
                    if i < end and hashes[i] == h
                    else b""
                )
            found.append(filed_numbers)
        pooled = memoryview(b"".join(found)).cast(self.kind).tolist()
        return numbers_to_words(self.words, pooled), pooled

    def filed_under(self, key: str) -> bytes | memoryview:
        """The numbers of the words filed under the key's hash, as bytes (b'' if none)."""
        i = self.hashes.find(key_hash(key))
        if i < 0:
            return b""
        return self.numbers[self.width * self.starts[i] : self.width * self.starts[i + 1]]


def numbers_to_words(words: list[str], numbers: list[int]) -> tuple[str, ...]:
    """``words[n]`` for every number, in one C call (itemgetter of one item is no tuple)."""
    if len(numbers) > 1:
        return itemgetter(*numbers)(words)  # type: ignore[no-any-return]
    return tuple(words[n] for n in numbers)


def key_hash(key: str) -> int:
    return crc32(key.encode("utf-8"))


def prefix_deletes(word: str, distance: int) -> set[str]:
    """The word's prefix with up to ``distance`` letters deleted (the prefix itself included),
    never down to the empty string. One and two deletes are spelled out: this runs for every
    new token."""
    prefix = word[:PREFIX_LENGTH]
    n = len(prefix)
    if distance > 2:
        return deletes_by_rounds(prefix, distance)
    keys = {prefix}
    if distance >= 1 and n > 1:
        ones = [prefix[:i] + prefix[i + 1 :] for i in range(n)]
        keys.update(ones)
        if distance >= 2 and n > 2:
            # Deleting at or after i from the prefix less its letter i: each pair of letters
            # once, one slice less per key than cutting the prefix twice.
            keys.update(
                [one[:j] + one[j + 1 :] for i, one in enumerate(ones) for j in range(i, n - 1)]
            )
    return keys


def deletes_by_rounds(prefix: str, distance: int) -> set[str]:
    """``prefix_deletes`` one delete at a time, for any distance."""
    keys = {prefix}
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
    """Prefix-delete key hashes -> the numbers of the words (none holding SEPARATOR)."""
    by_hash: dict[int, set[int]] = {}
    for number, word in enumerate(words):
        for key in prefix_deletes(word, INDEX_DISTANCE):
            by_hash.setdefault(key_hash(key), set()).add(number)
    hashes = sorted(by_hash)
    kind = "H" if len(words) <= 1 << 16 else "I"
    numbers, starts = array(kind), array("I", [0])
    for h in hashes:
        numbers.extend(sorted(by_hash[h]))
        starts.append(len(numbers))
    return FlatIndex(
        array("I", hashes).tobytes(),
        starts.tobytes(),
        numbers.tobytes(),
        kind,
        SEPARATOR.join(words),
        hashes_to_buckets(hashes),
    )


def cached_candidate_index(lexicon: Lexicon) -> CandidateIndex:
    """The index of ``lexicon``, from the user cache when an earlier process built it."""
    return CandidateIndex(
        load_or_build(INDEX_NAME, lexicon.sha256, lambda: candidate_index(lexicon))
    )


def lookup(index: CandidateIndex, lower: str) -> set[str]:
    """Words within Levenshtein distance 2 (1 for short tokens)."""
    return set(lookup_hits(index, lower))


def lookup_distances(index: CandidateIndex, lower: str) -> dict[str, int]:
    """Words within Levenshtein distance 2 (1 for short tokens) -> their distance."""
    return {word: hit[0] for word, hit in lookup_hits(index, lower).items()}


def lookup_hits(index: CandidateIndex, lower: str) -> Hits:
    """Words within Levenshtein distance 2 (1 for short tokens) -> (distance, word number):
    prefix deletes narrow the field, rapidfuzz checks the distance (one call over the pool)."""
    distance = 2 if len(lower) >= 5 else 1
    words, numbers = index.pool(lower, distance)
    hits = process.extract(
        lower, words, scorer=Levenshtein.distance, score_cutoff=distance, limit=None
    )
    return {hit[0]: (hit[1], numbers[hit[2]]) for hit in hits}


def domain_words(lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted(w for w in lexicon.domain_counts if len(w) >= DOMAIN_MIN_LENGTH))


def domain_lookup(words: tuple[str, ...], lower: str) -> set[str]:
    """Domain words loosely like a badly damaged long token ('Paorsemiase')."""
    hits = process.extract(lower, words, scorer=fuzz.ratio, score_cutoff=DOMAIN_MIN_RATIO, limit=5)
    return {hit[0] for hit in hits}

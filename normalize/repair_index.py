"""Candidate look-up for a noisy token: a SymSpell-style prefix-delete index over the lexicon.

Building the index takes ~2 s, so it is stored under the user cache (lexicon/cache.py), keyed by
the lexicon hash and the index settings. It is stored flat, as a hash table without keys: the
top bits of the CRC-32 of a prefix-delete key pick its slot, and a slot holds the numbers of the
words of every key falling into it (two bytes each), the words following as one string. A
process loads it as a few byte strings (~2 ms) instead of unpickling 150,000 keys and tuples
(~90 ms), and a look-up reads one slot per key and compares no key: keys sharing a slot only
widen the pool, and every pooled word is checked against the token's distance. With at least
SLOTS_PER_KEY slots per key (3.5 for the package lexicon) a pool widens by some 15 %, cheaper in
rapidfuzz than the hash comparisons and binary searches it saves in Python. A hit comes with its
word's number, which callers use to read per-word values stored beside the index
(repair_words.py's priors).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import combinations
from operator import itemgetter
from typing import Literal, TypeVar
from zlib import crc32

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from lexicon.cache import Buffer, column, key_hash, load_or_build
from lexicon.loader import Lexicon

CANDIDATE_MIN_ZIPF = 3.0  # wordfreq's Indonesian list starts near 3: ranked words are candidates
PREFIX_LENGTH = 7  # SymSpell's prefix trick: deletes of the first letters only
INDEX_DISTANCE = 2
SLOTS_PER_KEY = 2  # at least this many (a power of two): keys sharing a slot widen pools
DOMAIN_MIN_LENGTH = 5  # domain words loosely matched against long damaged tokens
DOMAIN_MIN_RATIO = 70
SEPARATOR = "\n"  # between the stored words (no word holds one)
MAX_REMEMBERED_POOLS = 1 << 14
INDEX_NAME = (
    f"index-slots-p{PREFIX_LENGTH}-d{INDEX_DISTANCE}-s{SLOTS_PER_KEY}-z{CANDIDATE_MIN_ZIPF}"
)

T = TypeVar("T")
Pool = tuple[tuple[str, ...], list[int]]  # pooled words and their numbers, repeats kept
Hits = dict[str, tuple[int, int]]  # word -> (edit distance, word number)


# The stored form of the index, a plain tuple (a named one costs every process half a
# millisecond to define): the slot starts (slot s's word numbers are numbers[starts[s]:
# starts[s + 1]], 32-bit), the word numbers (an array of type ``kind``), ``kind`` ("H", 16-bit,
# while the words fit, else "I"), the words in number order with SEPARATOR between them, and
# the slot bits (a key's slot is the top slot_bits bits of its CRC-32).
FlatIndex = tuple[Buffer, Buffer, str, str, int]


class CandidateIndex:
    """The loaded index: key -> slot -> the numbers of the words filed under it -> words."""

    __slots__ = ("_pools", "ends", "kind", "numbers", "shift", "starts", "words")

    def __init__(self, flat: FlatIndex) -> None:
        starts, numbers, kind, words, slot_bits = flat
        self.starts = column("I", starts)
        self.ends = self.starts[1:]  # ends[s] == starts[s + 1], read without an addition
        self.numbers = column(kind, numbers)  # sliced without copies
        self.kind: Literal["H", "I"] = "H" if kind == "H" else "I"
        self.shift = 32 - slot_bits
        self.words = words.split(SEPARATOR) if words else []
        self._pools: dict[tuple[str, int], Pool] = {}

    def pool(self, lower: str, distance: int) -> Pool:
        """The words sharing a prefix-delete key's slot with ``lower``; remembered per prefix,
        which is all the keys depend on ('kinera', 'kinerjq' and 'kinerja' share theirs)."""
        key = (lower[:PREFIX_LENGTH], distance)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= MAX_REMEMBERED_POOLS:
                self._pools.clear()
            pool = self._pools[key] = self.keys_pool(query_keys(key[0], distance))
        return pool

    def keys_pool(self, keys: set[str]) -> Pool:
        """The words filed in the slots of ``keys``, with repeats: the distance check in C is
        cheaper than removing them in Python first."""
        shift = self.shift
        # key_hash spelled out (the same CRC-32 for any text tesseract gives): the hot path
        slots = list({crc32(key.encode()) >> shift for key in keys})
        starts, ends, numbers = self.starts, self.ends, self.numbers
        joined = memoryview(b"".join([numbers[starts[s] : ends[s]] for s in slots]))
        pooled = joined.cast(self.kind).tolist()
        return items_at(self.words, pooled), pooled


def items_at(values: Sequence[T], positions: list[int]) -> tuple[T, ...]:
    """``values[p]`` for every position, in one C call (itemgetter of one item is no tuple)."""
    if len(positions) > 1:
        return itemgetter(*positions)(values)  # type: ignore[no-any-return]
    return tuple(values[p] for p in positions)


def prefix_deletes(word: str, distance: int) -> set[str]:
    """The word's prefix with up to ``distance`` letters deleted (the prefix itself included),
    never down to the empty string: its subsequences of those lengths, joined in C (this runs
    for every new token)."""
    prefix = word[:PREFIX_LENGTH]
    keys = {prefix}
    for length in range(max(len(prefix) - distance, 1), len(prefix)):
        keys.update(map("".join, combinations(prefix, length)))
    return keys


def query_keys(word: str, distance: int) -> set[str]:
    """The keys a look-up needs: ``prefix_deletes``, or only its shortest keys when the prefix
    is full (a token of PREFIX_LENGTH letters or more) and so no shorter than any index word's.

    Why the shortest suffice then: a word sharing any key with the token shares one the token
    made with all ``distance`` deletes. A shared key is the token's prefix less ``a`` letters
    and the word's (no longer) prefix less ``b <= a``; deleting one more of its letters keeps
    it shared, at ``a + 1`` and ``b + 1``, until ``a == distance``. The pool is the same, from
    21 keys instead of 29 for most tokens."""
    prefix = word[:PREFIX_LENGTH]
    if len(prefix) < PREFIX_LENGTH or distance >= len(prefix):
        return prefix_deletes(prefix, distance)
    return set(map("".join, combinations(prefix, len(prefix) - distance)))


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
    """Prefix-delete key slots -> the numbers of the words (none holding SEPARATOR)."""
    keys: dict[str, set[int]] = {}
    for number, word in enumerate(words):
        for key in prefix_deletes(word, INDEX_DISTANCE):
            keys.setdefault(key, set()).add(number)
    slot_bits = max(SLOTS_PER_KEY * len(keys) - 1, 1).bit_length()
    by_slot: list[set[int]] = [set() for _ in range(1 << slot_bits)]
    for key, filed in keys.items():
        by_slot[key_hash(key) >> (32 - slot_bits)] |= filed
    kind = "H" if len(words) <= 1 << 16 else "I"
    numbers, starts = array(kind), array("I", [0])
    for filed in by_slot:
        numbers.extend(sorted(filed))
        starts.append(len(numbers))
    return starts.tobytes(), numbers.tobytes(), kind, SEPARATOR.join(words), slot_bits


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
    return {word: (found, numbers[at]) for word, found, at in hits}


def domain_words(lexicon: Lexicon) -> tuple[str, ...]:
    return tuple(sorted([w for w in lexicon.domain_counts if len(w) >= DOMAIN_MIN_LENGTH]))


def domain_lookup(words: tuple[str, ...], lower: str) -> set[str]:
    """Domain words loosely like a badly damaged long token ('Paorsemiase')."""
    hits = process.extract(lower, words, scorer=fuzz.ratio, score_cutoff=DOMAIN_MIN_RATIO, limit=5)
    return {hit[0] for hit in hits}

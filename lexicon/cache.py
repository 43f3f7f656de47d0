"""A per-user cache of objects derived from the lexicon, keyed by the lexicon's SHA-256.

Parsing the CSVs and building the candidate index take ~2 s; reading them back must cost far
less, since a page of OCR text repairs in tens of milliseconds. The key is the lexicon hash plus
a name that carries the builder's own settings, so a changed data file or a changed builder
never reads a stale entry. A cache that cannot be read or written is ignored.

Large word tables (str -> float or int dicts, such as the 90,000 general words) are stored as
columns and come back as a read-only ``WordTable``: unpickling a dict that size builds 180,000
objects (~30 ms), while a table loads as a few byte strings and looks words up by their CRC-32.
Sorted hashes are searched through buckets on their top bits (``HashBuckets``): a plain
binary search over 600 kB misses the CPU cache at nearly every step, a bucket once or twice.

An entry file is mapped, not read: its large byte strings (the columns, the candidate index)
are pickled out of band (pickle protocol 5) after the pickle itself, and come back as views of
the mapped file. A process touches the few pages its look-ups need instead of copying the
whole entry twice (read, then unpickle): most of a repair's start-up.
"""

from __future__ import annotations

import mmap
import os
import tempfile

# The pickle machinery in C, without pickle.py: a process that only reads the cache never needs
# the Python pickler, whose classes take ~1.4 ms of every start-up to define.
from _pickle import PickleBuffer, PicklingError, UnpicklingError, dumps, loads
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from zlib import crc32

CACHE_ENV = "KINERJA_CACHE_DIR"  # "" disables the cache
FORMAT = 5  # bump when the pickled layout changes
TABLE_MIN_SIZE = 10_000  # smaller dicts unpickle quickly as they are
BUFFER_MIN_SIZE = 1 << 12  # byte strings this long are stored out of band, read in place
MAGIC = b"kinerja4"  # the first bytes of an entry file
ALIGN = 8  # every out-of-band buffer starts at a multiple of this (64-bit columns)
LOAD_ERRORS = (
    OSError,
    EOFError,
    UnpicklingError,
    AttributeError,
    ValueError,
    TypeError,
    IndexError,
)
PICKLE_PROTOCOL = 5  # pickle.HIGHEST_PROTOCOL of the Pythons this runs on
FOUND_MAX = 1 << 16  # looked-up keys remembered per table
T = TypeVar("T")
# What a column is made from: bytes from a builder, or a view of a mapped cache entry.
Buffer = bytes | memoryview


class HashBuckets:
    """Sorted 32-bit hashes, found through the start of each bucket of their top bits."""

    __slots__ = ("buckets", "hashes", "shift")

    def __init__(self, hashes: Buffer, buckets: Buffer) -> None:
        self.hashes = column("I", hashes)
        self.buckets = column("I", buckets)  # hashes[buckets[b]:buckets[b + 1]] >> shift == b
        self.shift = 32 - (len(self.buckets) - 1).bit_length() + 1

    def find(self, h: int) -> int:
        """The position of the first ``h`` among the hashes, or -1."""
        b = h >> self.shift
        end = self.buckets[b + 1]
        i = bisect_left(self.hashes, h, self.buckets[b], end)
        return i if i < end and self.hashes[i] == h else -1


def hashes_to_buckets(hashes: Sequence[int]) -> bytes:
    """The bucket starts of ``HashBuckets`` for sorted 32-bit hashes: about two per bucket."""
    bits = max(len(hashes).bit_length() - 1, 0)
    starts = array("I", [0] * ((1 << bits) + 1))
    for h in hashes:
        starts[(h >> (32 - bits)) + 1] += 1
    for b in range(1, len(starts)):
        starts[b] += starts[b - 1]
    return starts.tobytes()


class WordTable(Mapping[str, Any]):
    """A read-only str -> number mapping over columns: keys, their hashes, values.

    Iterates in the order of the dict it was made from, and compares equal to it.
    """

    __slots__ = ("_found", "_hashes", "_keys", "_order", "_starts", "_values")

    def __init__(  # the columns of table_to_columns
        self,
        keys: str,
        starts: Buffer,
        values: Buffer,
        kind: str,
        hashes: Buffer,
        order: Buffer,
        buckets: Buffer,
    ) -> None:
        self._keys = keys  # the keys concatenated
        self._starts = column("I", starts)  # key k is keys[starts[k]:starts[k + 1]]
        self._values = column(kind, values)
        self._hashes = HashBuckets(hashes, buckets)  # sorted key hashes ...
        self._order = column("I", order)  # ... and the number of the key each belongs to
        self._found: dict[str, int] = {}  # text repeats its words: each is looked up once

    @classmethod
    def from_dict(cls, table: Mapping[str, float] | Mapping[str, int]) -> WordTable:
        return cls(*table_to_columns(table))

    def _key(self, k: int) -> str:
        return self._keys[self._starts[k] : self._starts[k + 1]]

    def _find(self, key: str) -> int:
        """The key's number, or -1."""
        found = self._found.get(key)
        if found is None:
            if len(self._found) >= FOUND_MAX:
                self._found.clear()
            found = self._found[key] = self._search(key)
        return found

    def _search(self, key: str) -> int:
        h = key_hash(key)
        found = self._hashes  # HashBuckets.find spelled out: every new word of a text ends here
        hashes, starts = found.hashes, found.buckets
        b = h >> found.shift
        end = len(hashes)
        i = bisect_left(hashes, h, starts[b], starts[b + 1])
        while i < end and hashes[i] == h:
            k = self._order[i]
            if self._key(k) == key:
                return k
            i += 1
        return -1

    def __getitem__(self, key: str) -> Any:
        k = self._find(key) if isinstance(key, str) else -1
        if k < 0:
            raise KeyError(key)
        return self._values[k]

    def get(self, key: str, default: Any = None) -> Any:
        k = self._find(key) if isinstance(key, str) else -1
        return self._values[k] if k >= 0 else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) >= 0

    def __iter__(self) -> Iterator[str]:
        return (self._key(k) for k in range(len(self._values)))

    def __len__(self) -> int:
        return len(self._values)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # Buffers, not copies, where pickle can take them (protocol 5: out of band into an
        # entry file); bytes under older protocols (multiprocessing's, for one).
        wrap: Any = PickleBuffer if protocol >= 5 else bytes
        return (
            WordTable,
            (
                self._keys,
                wrap(self._starts),
                wrap(self._values),
                self._values.format,
                wrap(self._hashes.hashes),
                wrap(self._order),
                wrap(self._hashes.buckets),
            ),
        )


def column(kind: str, data: Buffer) -> Any:
    """The bytes of an array of type ``kind`` read in place: a cast costs nothing, copying
    the megabytes of a cache entry into ``array``s a few milliseconds of every start-up.

    Typed Any: its items are ints or floats by ``kind``, while typeshed's memoryview holds
    ints, and the compiled modules (lexicon/compiled.py) check the declared types as they run."""
    return memoryview(data).cast(kind)  # type: ignore[call-overload]


def key_hash(key: str) -> int:
    return crc32(key.encode("utf-8", "surrogatepass"))


Columns = tuple[str, bytes, bytes, str, bytes, bytes, bytes]


def table_to_columns(table: Mapping[str, float] | Mapping[str, int]) -> Columns:
    """The arguments of ``WordTable``: keys concatenated, key starts, values, their array type
    code, sorted key hashes, the key number of each hash and the hash buckets."""
    starts, offset = array("I", [0]), 0
    for key in table:
        offset += len(key)
        starts.append(offset)
    kind = "d" if any(type(v) is float for v in table.values()) else "q"
    pairs = sorted((key_hash(key), k) for k, key in enumerate(table))
    return (
        "".join(table),
        starts.tobytes(),
        array(kind, table.values()).tobytes(),
        kind,
        array("I", [h for h, _ in pairs]).tobytes(),
        array("I", [k for _, k in pairs]).tobytes(),
        hashes_to_buckets([h for h, _ in pairs]),
    )


def is_word_table(value: object) -> bool:
    """A dict big enough to be worth columns, of str keys and values all float or all int."""
    return (
        type(value) is dict
        and len(value) >= TABLE_MIN_SIZE
        and all(type(k) is str for k in value)
        and {type(v) for v in value.values()} in ({float}, {int})
    )


def with_tables(value: object) -> object:
    """``value`` with its large word tables (itself, or values of a dict) as ``WordTable``s.

    (A pickler's ``reducer_override`` is not consulted for exact dicts, hence the walk.)
    """
    if is_word_table(value):
        return WordTable.from_dict(value)  # type: ignore[arg-type]
    if type(value) is dict:
        return {k: with_tables(v) for k, v in value.items()}
    return value


def to_bytes(value: object) -> bytes:
    """Pickled ``value``, its large word tables as columns."""
    return dumps(with_tables(value), protocol=PICKLE_PROTOCOL)


def with_buffers(value: object) -> object:
    """``value`` with its large byte strings (in dicts, lists and tuples, named ones too)
    wrapped as ``PickleBuffer``s, which protocol 5 can store out of band."""
    kind = type(value)
    if kind is bytes and len(value) >= BUFFER_MIN_SIZE:  # type: ignore[arg-type]
        return PickleBuffer(value)  # type: ignore[arg-type]
    if kind is dict:
        return {k: with_buffers(v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind is list:
        return [with_buffers(v) for v in value]  # type: ignore[attr-defined]
    if isinstance(value, tuple):
        items = [with_buffers(v) for v in value]
        return kind(*items) if hasattr(value, "_fields") else tuple(items)  # a NamedTuple's
    return value


def to_entry(value: object) -> bytes:
    """The bytes of an entry file: MAGIC; the buffer count, the pickle's length and each
    buffer's (offset, length), as native 64-bit numbers (the cache never leaves its machine);
    the pickle; then the buffers, each at an ALIGN boundary."""
    buffers: list[PickleBuffer] = []
    body = dumps(with_buffers(with_tables(value)), protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    head = len(MAGIC) + 16 + 16 * len(raws)
    table = array("Q", [len(raws), len(body)])
    end = aligned(head + len(body))
    for raw in raws:
        table.extend((end, raw.nbytes))
        end = aligned(end + raw.nbytes)
    entry = bytearray(end)
    entry[:head] = MAGIC + table.tobytes()
    entry[head : head + len(body)] = body
    for i, raw in enumerate(raws):
        offset = table[2 + 2 * i]
        entry[offset : offset + raw.nbytes] = raw
    return bytes(entry)


def aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def from_entry(data: memoryview) -> Any:
    """The value of an entry file's bytes, its buffers read in place (views of ``data``)."""
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError("not a kinerja cache entry")
    start = len(MAGIC)
    count, body_length = data[start : start + 16].cast("Q")
    table = data[start + 16 : start + 16 + 16 * count].cast("Q")
    body = start + 16 + 16 * count
    buffers = [data[table[2 * i] : table[2 * i] + table[2 * i + 1]] for i in range(count)]
    if any(len(buffer) != table[2 * i + 1] for i, buffer in enumerate(buffers)):
        raise ValueError("truncated cache entry")
    return loads(data[body : body + body_length], buffers=buffers)


def read_entry(path: Path) -> Any:
    """An entry file's value, mapped: only the pages look-ups touch are ever read."""
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return from_entry(memoryview(mapped))


def cache_dir() -> Path | None:
    """``$KINERJA_CACHE_DIR``, else ``$XDG_CACHE_HOME/kinerja`` or ``~/.cache/kinerja``."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kinerja"


def cache_path(name: str, sha256: str) -> Path | None:
    folder = cache_dir()
    return folder / f"{name}-{sha256[:24]}-f{FORMAT}.pickle" if folder else None


def load_or_build(name: str, sha256: str, build: Callable[[], T]) -> T:
    """The cached object for (name, lexicon hash), built and stored on a miss."""
    path = cache_path(name, sha256)
    if path is not None:
        try:
            return read_entry(path)  # type: ignore[no-any-return]
        except LOAD_ERRORS:
            pass
    value = build()
    if path is not None:
        store(path, value)
    return value


def load_or_build_stamped(name: str, stamp: object, build: Callable[[], T]) -> T:
    """The cached object for ``name`` while ``stamp`` (e.g. file sizes and times) is unchanged,
    built and stored with its stamp otherwise: for what costs too much to key by content."""
    folder = cache_dir()
    path = folder / f"{name}-f{FORMAT}.pickle" if folder else None
    if path is not None:
        try:
            stored_stamp, value = read_entry(path)
            if stored_stamp == stamp:
                return value  # type: ignore[no-any-return]
        except LOAD_ERRORS:
            pass
    value = build()
    if path is not None:
        store(path, (stamp, value))
    return value


def store(path: Path, value: object) -> None:
    """Write atomically (two workers may build the same entry at once); errors are ignored."""
    try:
        data = to_entry(value)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except (OSError, OverflowError, PicklingError):
        return

"""Load, validate and hash the lexicon data files (``lexicon/data/``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from zlib import crc32

from lexicon.cache import load_or_build, load_or_build_stamped

DATA_DIR = Path(__file__).parent / "data"
CONFUSION_CLASSES = frozenset("SMRXDWKPNA")
REQUIRED = {
    "vocabulary.csv": ("term", "kind", "section", "standard"),
    "domain_words.csv": ("word", "count"),
    "domain_bigrams.csv": ("first", "second", "count"),
    "general_words.csv": ("word", "zipf"),
    "variants.csv": ("variant", "canonical"),
    "acronyms.csv": ("acronym", "source"),
    "satker.csv": ("kind", "text"),
    "confusions.csv": ("class", "printed", "observed", "cost"),
}


class LexiconError(ValueError):
    """A lexicon file is missing or malformed; the message names the file and the row."""


class Frozen:
    """Read-only slots: what ``@dataclass(frozen=True, slots=True)`` gave these classes, without
    the ~1.2 ms each such class costs every process to define (this module is on the import
    path of every repair)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")


class FrozenValue(Frozen):
    """A Frozen class compared, hashed, pickled and shown by its ``_FIELDS`` in order, as a
    frozen dataclass is."""

    __slots__ = ()
    _FIELDS: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple[type[FrozenValue], tuple[object, ...]]:
        return (type(self), self._fields())


class Confusion(FrozenValue):
    """An OCR confusion: ``printed`` text read as ``observed`` at edit cost ``cost``."""

    __slots__ = ("cost", "kind", "observed", "printed")
    _FIELDS: tuple[str, ...] = ("kind", "printed", "observed", "cost")
    kind: str
    printed: str
    observed: str
    cost: float

    def __init__(self, kind: str, printed: str, observed: str, cost: float) -> None:
        for name, value in (("kind", kind), ("printed", printed), ("observed", observed)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "cost", cost)
        if kind not in CONFUSION_CLASSES or not 0 < cost <= 2 or printed == observed:
            raise LexiconError(f"bad confusion {self!r}")


LEXICON_FIELDS = (
    "general_zipf",
    "domain_counts",
    "bigrams",
    "terms",
    "variants",
    "acronyms",
    "satker_places",
    "satker_templates",
    "confusions",
    "variant_words",
    "sha256",
    "files",
)


class Lexicon(Frozen):
    """The KPU lexicon: word sets and frequencies, phrases, variants, acronyms, confusions.

    Compared by identity (one per lexicon hash and process)."""

    __slots__ = LEXICON_FIELDS
    general_zipf: Mapping[str, float]  # lower-cased general word -> wordfreq zipf (0 = unranked)
    domain_counts: Mapping[str, int]  # lower-cased word -> count in clean seeds + vocabulary
    bigrams: Mapping[tuple[str, str], int]  # lower-cased word pairs of the domain texts
    terms: tuple[tuple[str, str], ...]  # (term, kind W/M) in vocabulary order
    variants: Mapping[str, str]  # author variant as printed -> canonical ('' = keep as is)
    acronyms: frozenset[str]  # case-sensitive
    satker_places: tuple[str, ...]
    satker_templates: tuple[str, ...]  # with a {SATKER} slot
    confusions: tuple[Confusion, ...]
    variant_words: frozenset[str]  # lower-cased single-word variants, for membership
    sha256: str  # over every file in the data directory, names included
    files: tuple[str, ...]

    def __init__(
        self,
        general_zipf: Mapping[str, float],
        domain_counts: Mapping[str, int],
        bigrams: Mapping[tuple[str, str], int],
        terms: tuple[tuple[str, str], ...],
        variants: Mapping[str, str],
        acronyms: frozenset[str],
        satker_places: tuple[str, ...],
        satker_templates: tuple[str, ...],
        confusions: tuple[Confusion, ...],
        variant_words: frozenset[str],
        sha256: str,
        files: tuple[str, ...],
    ) -> None:
        values = locals()
        for name in LEXICON_FIELDS:
            object.__setattr__(self, name, values[name])

    def __repr__(self) -> str:
        return f"Lexicon(sha256={self.sha256!r}, files={self.files!r})"

    @property
    def phrases(self) -> tuple[str, ...]:
        """The multi-word [M] terms."""
        return tuple([term for term, kind in self.terms if kind == "M"])

    def is_word(self, lower: str) -> bool:
        """Whether a lower-cased word is known (general, domain or author variant)."""
        return (
            lower in self.general_zipf or lower in self.domain_counts or lower in self.variant_words
        )


def read_rows(path: Path, header: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a lexicon CSV, checking its header."""
    if not path.is_file():
        raise LexiconError(f"{path.name}: missing; run `kinerja lexicon build`")
    import csv  # only a rebuild parses: a process that finds the lexicon cached never does

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != header:
            raise LexiconError(f"{path.name}: header {reader.fieldnames} != {list(header)}")
        return list(reader)


def data_dir_sha256(data_dir: Path) -> tuple[str, tuple[str, ...]]:
    """SHA-256 over all files in the directory (name and bytes, in name order)."""
    import hashlib  # loading OpenSSL costs ~4 ms, most processes find the hash stamped

    digest = hashlib.sha256()
    names = tuple(sorted(p.name for p in data_dir.iterdir() if p.is_file()))
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((data_dir / name).read_bytes()).digest())
    return digest.hexdigest(), names


Stamp = tuple[tuple[str, int, int], ...]


def data_dir_stamp(data_dir: Path) -> Stamp:
    """(name, size, modification time in ns) of every file in the directory, in name order."""
    with os.scandir(data_dir) as entries:
        files = [(e.name, e.stat()) for e in entries if e.is_file()]
    return tuple(sorted((name, st.st_size, st.st_mtime_ns) for name, st in files))


def stamped_sha256(data_dir: Path) -> tuple[str, tuple[str, ...]]:
    """``data_dir_sha256``, remembered in the user cache while no file of the directory
    changes size or modification time (the test Python's own .pyc files rely on). Hashing
    reads 1.4 MB and loads OpenSSL: most of a repair's start-up, for an answer known."""
    name = f"sha256-{crc32(os.path.abspath(data_dir).encode()):08x}"
    return load_or_build_stamped(name, data_dir_stamp(data_dir), lambda: data_dir_sha256(data_dir))


def _number(value: str, where: str, kind: type[float] | type[int]) -> float:
    try:
        return kind(value)
    except ValueError as exc:
        raise LexiconError(f"{where}: not a number: {value!r}") from exc


def rows_to_counts(rows: list[dict[str, str]], name: str) -> dict[str, int]:
    counts = {r["word"]: int(_number(r["count"], name, int)) for r in rows}
    if any(not w or w != w.lower() for w in counts):
        raise LexiconError(f"{name}: words must be lower-cased and non-empty")
    return counts


def rows_to_confusions(rows: list[dict[str, str]]) -> tuple[Confusion, ...]:
    return tuple(
        Confusion(
            r["class"], r["printed"], r["observed"], _number(r["cost"], "confusions.csv", float)
        )
        for r in rows
    )


def rows_to_terms(rows: list[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    if any(r["kind"] not in ("W", "M") or not r["term"] for r in rows):
        raise LexiconError("vocabulary.csv: kind must be W or M and term non-empty")
    return tuple((r["term"], r["kind"]) for r in rows)


def rows_to_fields(rows: dict[str, list[dict[str, str]]]) -> dict[str, object]:
    """Parsed lexicon files -> the Lexicon fields (plain, picklable values)."""
    satker = rows["satker.csv"]
    variants = rows["variants.csv"]
    return {
        "general_zipf": {
            r["word"]: _number(r["zipf"], "general_words.csv", float)
            for r in rows["general_words.csv"]
        },
        "domain_counts": rows_to_counts(rows["domain_words.csv"], "domain_words.csv"),
        "bigrams": {(r["first"], r["second"]): int(r["count"]) for r in rows["domain_bigrams.csv"]},
        "terms": rows_to_terms(rows["vocabulary.csv"]),
        "variants": {r["variant"]: r["canonical"] for r in variants},
        "acronyms": frozenset(r["acronym"] for r in rows["acronyms.csv"]),
        "variant_words": frozenset(
            r["variant"].lower() for r in variants if " " not in r["variant"]
        ),
        "satker_places": tuple(r["text"] for r in satker if r["kind"] == "place"),
        "satker_templates": tuple(r["text"] for r in satker if r["kind"] == "template"),
        "confusions": rows_to_confusions(rows["confusions.csv"]),
    }


def parse_fields(data_dir: Path) -> dict[str, object]:
    """Read and validate every lexicon file in ``data_dir``."""
    return rows_to_fields({name: read_rows(data_dir / name, h) for name, h in REQUIRED.items()})


def load_lexicon_from(data_dir: Path, stamped: bool = False) -> Lexicon:
    """The lexicon of ``data_dir``: parsed once per lexicon hash, then read from the cache;
    ``stamped`` takes the hash from ``stamped_sha256``."""
    sha256, files = (stamped_sha256 if stamped else data_dir_sha256)(data_dir)
    fields = load_or_build("lexicon", sha256, lambda: parse_fields(data_dir))
    for name in ("general_zipf", "domain_counts", "bigrams", "variants"):
        fields[name] = MappingProxyType(fields[name])  # type: ignore[arg-type]
    return Lexicon(sha256=sha256, files=files, **fields)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The package's lexicon, loaded once per process."""
    return load_lexicon_from(DATA_DIR, stamped=True)

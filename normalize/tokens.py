"""Tokens of a line under repair: tokenising, noise stripping, and joining back to text.

A ``Piece`` is mutable inside the repair only; what leaves it is a frozen ``RepairResult``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

from lexicon.loader import FrozenValue
from normalize.tokenizer import tokenize

if TYPE_CHECKING:
    from normalize.models import Correction

NOISE_TOKEN = re.compile(r"^[~¦_«»¬•]+$|^\|{2,}$")
QUOTES = {"‘": "’", "“": "”", '"': '"', "'": "'"}
EDGE_NOISE = "|[]‘’“”\"'~¦"
LEADER = re.compile(r"\.{3,}")
HAS_DIGIT = re.compile(r"\d")
WHITESPACE_WORD = re.compile(r"\S+")
GLYPH_EDGE = re.compile(r"(?<![\w(\[{])([A-Za-z]{3,})([\]|!})])(?=[\s,.;:]|$)")
BRACKET_OPEN = re.compile(r"[{\[](?=[^\s)\]}]+\))")
LIST_CLOSE = re.compile(r"(?:(?<=^)|(?<=\s))([a-z0-9])\}")
GLYPH_MARKS = frozenset("]|!})")  # the marks GLYPH_EDGE reads as letters
COMMON_ZIPF = 3.0  # a word this frequent is a safe reading of a damaged edge


Change = tuple[str, str, int, float, str]  # a Correction's fields: raw, repaired, start, ...


class RepairResult(FrozenValue):
    """Repaired text, the raw text it came from and every correction made.

    The corrections are kept as plain tuples and made ``Correction``s when asked for: most
    callers (the pipeline's cells) read the text only, and normalize.models, whose dataclasses
    take ~10 ms to define, need not be imported by a process that only repairs text. For the
    same reason this is a plain read-only class, not the frozen dataclass it stands for (same
    fields, equality, hash and repr): defining one costs every repairing process a millisecond.
    """

    __slots__ = ("changes", "raw", "text")
    _FIELDS: tuple[str, ...] = ("text", "raw", "changes")
    text: str
    raw: str
    changes: tuple[Change, ...]

    def __init__(self, text: str, raw: str, changes: tuple[Change, ...] = ()) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "changes", changes)

    @property
    def corrections(self) -> tuple[Correction, ...]:
        from normalize.models import Correction

        return tuple(Correction(*change) for change in self.changes)


class Piece:
    """A token being repaired (mutable inside the repair only).

    A plain class with slots, not a dataclass: it never leaves the repair, and making the
    dataclass costs a millisecond of every process's start-up."""

    __slots__ = ("code", "confidence", "raw", "rule", "score", "space", "start", "text")

    def __init__(
        self,
        text: str,
        space: str,
        start: int,
        raw: str,
        confidence: float | None = None,
        rule: str = "",
        score: float = 0.0,
        code: bool = False,  # part of a code or number ('Kpt/01/KPU/IV/2020'): never repaired
    ) -> None:
        self.text = text
        self.space = space
        self.start = start
        self.raw = raw
        self.confidence = confidence
        self.rule = rule
        self.score = score
        self.code = code

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in PIECE_FIELDS)
        return f"Piece({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Piece):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in PIECE_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def set(self, text: str, rule: str, score: float) -> None:
        """Record a repair (nothing when the text is unchanged)."""
        if text != self.text:
            self.text, self.rule, self.score = text, rule, score


PIECE_FIELDS = ("text", "space", "start", "raw", "confidence", "rule", "score", "code")
TEXT = attrgetter("text")  # a piece's text, read in C loops


def text_to_pieces(text: str) -> list[Piece]:
    """spaCy's Indonesian tokenisation of a line -> pieces with offsets."""
    return [Piece(t, space, start, t) for t, start, space in tokenize(text)]


def fix_glyph_edges(text: str, prior: Callable[[str], float]) -> str:
    """Same-length glyph fixes before tokenising: 'Komis!' / 'Birokras|' -> 'Komisi',
    '{Renstra)' -> '(Renstra)', 'b}' -> 'b)' (vertical strokes and brackets, class S/P)."""

    def edge(match: re.Match[str]) -> str:
        word, mark = match[1], match[2]
        if mark == ")" and "(" in text[: match.start()]:
            return match[0]
        for letter in ("i", "l"):
            if prior((word + letter).lower()) >= COMMON_ZIPF:
                return word + letter
        return match[0]

    # Each pattern needs one of its marks in the line: most lines hold none, and a search for
    # a word before a mark tries every position of the line.
    if not GLYPH_MARKS.isdisjoint(text):
        text = GLYPH_EDGE.sub(edge, text)
    if "{" in text or "[" in text:
        text = BRACKET_OPEN.sub("(", text)
    return LIST_CLOSE.sub(lambda m: m[1] + ")", text) if "}" in text else text


def mark_codes(pieces: list[Piece], text: str) -> None:
    """Flag tokens inside whitespace words holding digits ('Kpt/G1/KPUIV2020', '197/PR.01')."""
    if not HAS_DIGIT.search(text):
        return
    spans = [m.span() for m in WHITESPACE_WORD.finditer(text) if HAS_DIGIT.search(m[0])]
    ends = [e for _, e in spans]
    for piece in pieces:
        k = bisect_right(ends, piece.start)  # the first word ending after the piece's start
        piece.code = k < len(spans) and spans[k][0] <= piece.start


def attach_confidences(pieces: list[Piece], text: str, confidences: Sequence[float] | None) -> None:
    """Give each token the tesseract confidence of the whitespace word it lies in."""
    if not confidences:
        return
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    for piece in pieces:
        for k, (s, e) in enumerate(spans):
            if s <= piece.start < e and k < len(confidences):
                piece.confidence = float(confidences[k])
                break


def fix_outline_marker(pieces: list[Piece]) -> None:
    """'A, Latar Belakang' -> 'A. Latar Belakang': a comma read for an outline period."""
    if len(pieces) < 3 or pieces[0].space or pieces[1].text != ",":
        return
    if re.fullmatch(r"[A-Z]", pieces[0].text) and pieces[2].text[:1].isupper():
        pieces[1].text, pieces[1].rule = ".", "noise"


def strip_noise(pieces: list[Piece]) -> list[Piece]:
    """Drop table rulings, stray quotes and dot-leader garbage."""
    pieces = strip_leader_garbage(pieces)
    kept: list[Piece] = []
    for i, piece in enumerate(pieces):
        if piece.text.isalnum():  # most tokens: no rule below touches letters and digits alone
            kept.append(piece)
            continue
        if NOISE_TOKEN.match(piece.text) or _unbalanced_quote(piece, pieces, i):
            _drop(piece, kept)
            continue
        stripped = strip_edges(piece.text)
        if stripped != piece.text:
            piece.text, piece.rule = stripped, "noise"
            if not stripped:
                _drop(piece, kept)
                continue
        kept.append(piece)
    return kept


def _drop(piece: Piece, kept: list[Piece]) -> None:
    """A dropped piece leaves its space to the piece before it."""
    if kept:
        kept[-1].space = kept[-1].space or piece.space


def _unbalanced_quote(piece: Piece, pieces: list[Piece], i: int) -> bool:
    """A quote (``pieces[i]``) that no later piece closes."""
    closer = QUOTES.get(piece.text)
    if closer is None:
        return False
    return not any(p.text == closer for p in pieces[i + 1 :])


def strip_edges(token: str) -> str:
    """Remove unbalanced quotes and rulings glued to a token ('|Penetapan', '‘Sasaran')."""
    if len(token) <= 1:
        return token
    stripped = token.strip(EDGE_NOISE)
    if "[" in token and "]" in token or "(" in stripped or ")" in stripped:
        return token if "[" in token and "]" in token else stripped
    return stripped if any(c.isalnum() for c in stripped) else token


def strip_leader_garbage(pieces: list[Piece]) -> list[Piece]:
    """A table-of-contents line: keep the dot leader, drop the letters OCR made of it."""
    # Separators no dot run crosses: the joined texts hold '...' where a piece does.
    if "..." not in "\0".join(map(TEXT, pieces)):  # most lines
        return pieces
    leader_at = next((i for i, p in enumerate(pieces) if "..." in p.text), None)  # LEADER
    if leader_at is None:
        return pieces
    piece = pieces[leader_at]
    match = LEADER.search(piece.text)
    assert match is not None
    piece.text, piece.space = piece.text[: match.end()], " "
    tail = pieces[leader_at + 1 :]
    page = tail[-1] if tail and tail[-1].text.isdigit() else None
    garbage = [p for p in tail if p is not page]
    if garbage and not all(re.fullmatch(r"[a-z.]{1,}", p.text) for p in garbage):
        return pieces
    return pieces[: leader_at + 1] + ([page] if page else [])


def resolve_rulings(pieces: list[Piece], slash_pairs: frozenset[str]) -> list[Piece]:
    """A column rule '|' goes, except between the halves of a domain 'X/Y' ('Kabupaten | Kota')."""
    if "|" not in map(TEXT, pieces):  # most lines: no rule left
        return pieces
    kept: list[Piece] = []
    for i, piece in enumerate(pieces):
        if piece.text != "|":
            kept.append(piece)
            continue
        right = pieces[i + 1].text.lower() if i + 1 < len(pieces) else ""
        if kept and f"{kept[-1].text.lower()}/{right}" in slash_pairs:
            piece.text, piece.rule = "/", "noise"
            kept.append(piece)
        elif kept:
            kept[-1].space = kept[-1].space or piece.space
    return kept


def pieces_to_result(raw: str, pieces: list[Piece], prepared: str) -> RepairResult:
    """Join pieces back into text and list the corrections made."""
    out = "".join(p.text + p.space for p in pieces)
    lead = raw[: len(raw) - len(raw.lstrip())]
    text = (lead + out.strip()) if pieces else raw.strip()
    if text.strip() == raw.strip():
        text = raw
    return RepairResult(text=text, raw=raw, changes=pieces_to_changes(raw, pieces, prepared))


def pieces_to_changes(raw: str, pieces: list[Piece], prepared: str) -> tuple[Change, ...]:
    """A correction for every piece a rule changed (glyph-edge fixes included)."""
    changed = [
        p
        for p in pieces
        if p.rule and (p.raw != p.text or prepared[p.start : p.start + len(p.raw)] != p.raw)
    ]
    return tuple(
        (
            raw[p.start : p.start + len(p.raw)] if " " not in p.raw else p.raw,
            p.text,
            p.start,
            p.score,
            RULE_NAMES.get(p.rule, p.rule),
        )
        for p in changed
    )


RULE_NAMES = {"case": "lexicon", "merge": "lexicon", "split": "lexicon"}

"""Words OCR split or merged: 'Kabupa ten' -> 'Kabupaten', 'yangberlaku' -> 'yang berlaku'."""

from __future__ import annotations

from normalize.repair_words import WordModel
from normalize.tokens import Piece

COMMON_ZIPF = 3.0  # both halves of a split, and a merged word, must be this common
MIN_SPLIT_LENGTH = 5
MIN_PART_LENGTH = 3


def merge_split_words(pieces: list[Piece], model: WordModel) -> list[Piece]:
    """Join 'Kabupa ten' -> 'Kabupaten'; split 'BABII' -> 'BAB II', 'PeouluPemilihan'."""
    merged: list[Piece] = []
    for piece in pieces:
        prev = merged[-1] if merged else None
        if prev is not None and should_merge(prev, piece, model):
            prev.text, prev.space, prev.rule = prev.text + piece.text, piece.space, "merge"
            prev.raw = prev.raw + " " + piece.raw
        elif may_split(piece, model):
            merged.extend(split_piece(piece, model))
        else:
            merged.append(piece)
    return merged


def may_split(piece: Piece, model: WordModel) -> bool:
    """What ``split_piece`` looks at further: unknown letter runs long enough to split."""
    token = piece.text
    return (
        len(token) >= MIN_SPLIT_LENGTH
        and not piece.code
        and token.isalpha()
        and not model.is_known(token)
    )


def should_merge(prev: Piece, piece: Piece, model: WordModel) -> bool:
    """Two spaced letter runs, not both known, that make a common word together."""
    if not prev.space or not (prev.text.isalpha() and piece.text.isalpha()):
        return False
    if model.is_known(prev.text) and model.is_known(piece.text):
        return False
    joined = (prev.text + piece.text).lower()
    return model.is_word(joined) and model.prior(joined) >= COMMON_ZIPF


def split_piece(piece: Piece, model: WordModel) -> list[Piece]:
    """An unknown token with no repair, split into two common words when it can be."""
    token = piece.text
    if not token.isalpha() or len(token) < MIN_SPLIT_LENGTH or piece.code:
        return [piece]
    if model.is_known(token) or model.best_word(token, "", "", piece.confidence) is not None:
        return [piece]
    parts = split_point(token, model)
    if parts is None:
        return [piece]
    first, second = parts
    return [
        Piece(first, " ", piece.start, piece.raw, piece.confidence, "split", 1.0),
        Piece(second, piece.space, piece.start + len(first), "", piece.confidence, "split"),
    ]


def split_point(token: str, model: WordModel) -> tuple[str, str] | None:
    """The best split into two known words (both common), or None."""
    best: tuple[float, int] | None = None
    for i in range(2, len(token) - 1):
        a, b = token[:i], token[i:]
        if not (is_split_part(a, model) and is_split_part(b, model)):
            continue
        strength = min(model.prior(a.lower()), model.prior(b.lower()))
        if best is None or strength > best[0]:
            best = (strength, i)
    return (token[: best[1]], token[best[1] :]) if best else None


def is_split_part(part: str, model: WordModel) -> bool:
    """A side of a split: a common word of 3+ letters, or an acronym / roman numeral."""
    if part in model.acronyms:
        return True
    return (
        len(part) >= MIN_PART_LENGTH
        and model.prior(part.lower()) >= COMMON_ZIPF
        and not (part.isupper() and len(part) <= 3 and part not in model.acronyms)
    )

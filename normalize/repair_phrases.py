"""Multi-word terms repaired as phrases: rapidfuzz over token windows.

The phrases are the [M] terms of the vocabulary plus every satker name the ``{SATKER}``
templates make with the satker places ('KPU Kabupaten Pasuruan', 'Sekretariat KPU Kota
Bontang'), so a damaged place name is repaired against the place list in its unit-name context.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz, process

from lexicon.loader import Lexicon
from normalize.repair_cost import MAX_ATYPICAL_COST, max_cost_for
from normalize.repair_words import WordModel, apply_case
from normalize.tokens import Piece

SLOT = "{SATKER}"
MIN_WORDS, MAX_WORDS = 2, 8  # the longest satker name has 7 words
MIN_RATIO = 88  # window vs phrase similarity (rapidfuzz ratio, 0-100)
PHRASE_EXTRA_COST = 0.6  # a phrase context allows a little more damage than a lone word
WINDOW_CACHE_SIZE = 1 << 14


def satker_names(lexicon: Lexicon) -> list[str]:
    """Every template filled with every place ('KIP {SATKER}' x 'Kota Serang')."""
    return [
        template.replace(SLOT, place)
        for template in lexicon.satker_templates
        for place in lexicon.satker_places
    ]


def lexicon_phrases(lexicon: Lexicon) -> list[str]:
    """[M] terms without a slot, then the satker names, without repeats."""
    terms = [p for p in lexicon.phrases if "{" not in p]
    return list(dict.fromkeys(terms + satker_names(lexicon)))


class PhraseIndex:
    """Phrases by word count; a window within a few OCR slips of one is repaired to it."""

    def __init__(self, lexicon: Lexicon, model: WordModel) -> None:
        self.model = model
        self.by_length: dict[int, list[str]] = {}
        for phrase in lexicon_phrases(lexicon):
            words = len(phrase.split())
            if MIN_WORDS <= words <= MAX_WORDS:
                self.by_length.setdefault(words, []).append(phrase)
        self.lowered = {n: [p.lower() for p in ps] for n, ps in self.by_length.items()}
        self.known_windows = {n: frozenset(ps) for n, ps in self.lowered.items()}
        self.lengths = sorted(self.by_length, reverse=True)
        # Pages repeat their damaged headings and unit names: each window is matched once.
        self.window_hit = lru_cache(maxsize=WINDOW_CACHE_SIZE)(self._window_hit)

    def repair(self, pieces: list[Piece]) -> None:
        """Replace the unknown words of windows that nearly spell a phrase, longest first."""
        is_known = self.model.is_known
        words = [i for i, p in enumerate(pieces) if p.text.isalpha()]
        # Only unknown words change, so a window of known words is skipped before its text is
        # built: a running count of unknown words tells in O(1) whether a window holds one.
        unknown = [0]
        for i in words:
            unknown.append(unknown[-1] + (not is_known(pieces[i].text)))
        if not unknown[-1]:
            return
        texts = [p.text.lower() for p in pieces]  # windows compare the text before this pass
        for n in self.lengths:
            for k in range(len(words) - n + 1):
                if unknown[k + n] == unknown[k] or words[k + n - 1] - words[k] != n - 1:
                    continue
                span = words[k : k + n]
                if all(is_known(pieces[i].text) for i in span):
                    continue  # a word repaired by a longer window is known now
                self._repair_window(pieces, span, " ".join([texts[i] for i in span]), n)

    def _repair_window(self, pieces: list[Piece], span: list[int], window: str, n: int) -> None:
        hit = self.window_hit(window, n)
        if hit:
            self._apply(pieces, span, self.by_length[n][hit[1]].split(), hit[0])

    def _window_hit(self, window: str, n: int) -> tuple[float, int] | None:
        """(similarity, phrase number) of the n-word phrase nearest the window, if near."""
        if window in self.known_windows[n]:
            return None
        hit = process.extractOne(window, self.lowered[n], scorer=fuzz.ratio, score_cutoff=MIN_RATIO)
        return (hit[1], hit[2]) if hit else None

    def _apply(self, pieces: list[Piece], span: list[int], target: list[str], score: float) -> None:
        for i, word in zip(span, target, strict=True):
            piece = pieces[i]
            if piece.text.lower() == word.lower() or self.model.is_known(piece.text):
                continue
            cost, atypical = self.model.ocr_cost.parts(word.lower(), piece.text.lower())
            if cost > max_cost_for(len(piece.text)) + PHRASE_EXTRA_COST:
                continue
            if atypical > MAX_ATYPICAL_COST:
                continue
            cased = (
                word
                if word.isupper()
                else apply_case(piece.text, word.lower(), self.model.acronyms)
            )
            piece.set(cased, "phrase", score)

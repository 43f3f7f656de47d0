"""Word candidates and their scores: the noisy-channel core of the OCR repair.

For a token that is unknown (or known but rare next to a frequent look-alike) the candidates
come from the prefix-delete index; each is scored by its prior (wordfreq zipf plus a boost for
words of the KPU domain texts), minus the OCR edit cost of reading the candidate as the token,
plus context (domain bigrams with the neighbours). A repair is made only when the best candidate
is clearly better than keeping the token. Decisions are cached per token: OCR pages repeat
their words heavily, and most tokens are known words that need no candidate search at all.
"""

from __future__ import annotations

import math
import re
from array import array
from functools import lru_cache, partial
from typing import Any, NamedTuple

from rapidfuzz.distance import Levenshtein

from lexicon.cache import Buffer, cache_path, column, load_or_build, store
from lexicon.loader import Lexicon
from normalize.repair_cost import (
    MAX_ATYPICAL_COST,
    OcrCost,
    confusions_to_costs,
    max_cost_for,
    min_cost_per_edit,
)
from normalize.repair_index import (
    INDEX_NAME,
    Hits,
    cached_candidate_index,
    domain_lookup,
    domain_words,
    lookup_hits,
)
from normalize.tokens import Piece

UNRANKED_PRIOR = 1.5  # a listed word wordfreq never saw (rare, archaic or a KBBI headword)
DOMAIN_BOOST = 1.5  # words of the clean KPU texts are likelier in KPU documents
CHANNEL_WEIGHT = 3.0  # one unit of edit cost weighs as much as 3 zipf steps
CONTEXT_BONUS = 0.8  # per neighbour forming a domain bigram
KNOWN_MARGIN = 3.0  # a known word is replaced only by a candidate this much better ...
KNOWN_MAX_COST = 0.5  # ... that is one cheap confusion away
KNOWN_MAX_PRIOR = 2.0  # ... and only when the known word itself is rare
MIN_CANDIDATE_SCORE = 0.5  # an unknown token needs a candidate at least this plausible
AMBIGUITY_GAP = 0.4  # the best candidate must beat the runner-up by this much
ACRONYM_BONUS = 1.0  # a short all-caps token is most likely an acronym
DOMAIN_FALLBACK_MIN_LENGTH = 7  # long unknown tokens may be compared to domain words more loosely
DOMAIN_FALLBACK_EXTRA_COST = 1.2
HIGH_CONFIDENCE = 95.0  # tesseract was sure: leave known words alone
LOW_CONFIDENCE = 60.0  # tesseract was unsure: accept a smaller margin
CACHE_SIZE = 1 << 16
PRIORS_NAME = f"priors-{INDEX_NAME}-u{UNRANKED_PRIOR}-b{DOMAIN_BOOST}-c{CONTEXT_BONUS}"
PRIORS_CHECKED = 997  # every this many stored priors is recomputed at start-up


# The prior and the reach of every word of the candidate index, in its number order (64-bit
# floats as bytes): pricing a token's candidates needs no word-table look-ups. A plain pair, not
# a named tuple: defining one costs every repairing process half a millisecond.
WordPriors = tuple[Buffer, Buffer]


class Candidate(NamedTuple):
    """A priced candidate (a tuple: made by the thousand, and quicker to build than a frozen
    dataclass)."""

    word: str  # lower-cased
    cost: float
    score: float
    atypical: float = 0.0


new_candidate = partial(tuple.__new__, Candidate)  # Candidate(*fields) without its Python __new__


class WordModel:
    """Priors, known-word tests and the best repair of one token (all cached per token)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.costs = confusions_to_costs(lexicon)
        self.min_edit_cost = min_cost_per_edit(self.costs)
        self.ocr_cost = OcrCost(self.costs)
        self.bigram_firsts = frozenset([a for a, _ in lexicon.bigrams])  # words context can lift
        self.bigram_seconds = frozenset([b for _, b in lexicon.bigrams])
        # Whether a missing neighbour ('' at a line's edge) can itself lift a word.
        self.edge_context = "" in self.bigram_firsts or "" in self.bigram_seconds
        self.acronyms = lexicon.acronyms
        self.near_acronyms = lru_cache(maxsize=None)(self._near_acronyms)
        self.variants = frozenset(v for v in lexicon.variants if " " not in v)
        self.variants_lower = frozenset(v.lower() for v in self.variants)
        # Every rule asks whether a word is known: remembered once for all of them.
        self.is_word = lru_cache(maxsize=CACHE_SIZE)(lexicon.is_word)
        self.prior = lru_cache(maxsize=CACHE_SIZE)(self._prior)
        self.is_known = lru_cache(maxsize=CACHE_SIZE)(self._is_known)
        self.candidates = lru_cache(maxsize=CACHE_SIZE)(self._candidates)
        self.best_word_in_context = lru_cache(maxsize=CACHE_SIZE)(self._best_word)
        self.context_matters = lru_cache(maxsize=CACHE_SIZE)(self._context_matters)
        self.reach = lru_cache(maxsize=CACHE_SIZE)(self._reach)
        self.settled = lru_cache(maxsize=CACHE_SIZE)(self._settled)
        self.wordlike = lru_cache(maxsize=CACHE_SIZE)(is_wordlike_text)
        self.case_repair = lru_cache(maxsize=CACHE_SIZE)(self._case_repair)
        self._index = cached_candidate_index(lexicon)
        self._domain_words = domain_words(lexicon)
        self.priors, self.reaches = self._stored_priors()

    def word_priors(self, words: list[str]) -> WordPriors:
        """The prior and reach of each word, as stored beside the candidate index."""
        priors = array("d", [self._prior(w) for w in words])
        reaches = array("d", [self._reach(w) for w in words])
        return priors.tobytes(), reaches.tobytes()

    def _stored_priors(self) -> tuple[Any, Any]:  # float columns (lexicon.cache.column)
        """The index words' priors and reaches from the user cache, rebuilt when a sample of
        them disagrees with the code (a changed formula that kept its constants)."""
        words = self._index.words
        stored = load_or_build(PRIORS_NAME, self.lexicon.sha256, lambda: self.word_priors(words))
        priors, reaches = column("d", stored[0]), column("d", stored[1])
        if not self._priors_agree(words, priors, reaches):
            fresh = self.word_priors(words)
            path = cache_path(PRIORS_NAME, self.lexicon.sha256)
            if path is not None:
                store(path, fresh)
            priors, reaches = column("d", fresh[0]), column("d", fresh[1])
        return priors, reaches

    def _priors_agree(self, words: list[str], priors: Any, reaches: Any) -> bool:
        if len(priors) != len(words) or len(reaches) != len(words):
            return False
        sample = range(0, len(words), PRIORS_CHECKED)
        return all(
            priors[n] == self.prior(words[n]) and reaches[n] == self.reach(words[n]) for n in sample
        )

    def _prior(self, lower: str) -> float:
        """Log-frequency prior of a lower-cased word (zipf scale, domain-boosted)."""
        zipf = self.lexicon.general_zipf.get(lower)
        count = self.lexicon.domain_counts.get(lower, 0)
        base = zipf if zipf else (UNRANKED_PRIOR if zipf is not None or count else 0.0)
        if count:
            base = max(base, 3.0) + DOMAIN_BOOST + 0.5 * math.log10(1 + count)
        return base

    def _is_known(self, token: str) -> bool:
        """An acronym, an author variant or a word of the lexicon."""
        return self.is_kept(token) or self.is_word(token.lower())

    def is_kept(self, token: str) -> bool:
        """Acronyms and author variants are never repaired."""
        return (
            token in self.acronyms or token in self.variants or token.lower() in self.variants_lower
        )

    def context(self, lower: str, left: str, right: str) -> float:
        bigrams = self.lexicon.bigrams
        return CONTEXT_BONUS * (((left, lower) in bigrams) + ((lower, right) in bigrams))

    def _candidates(self, lower: str, capitals: bool) -> tuple[Candidate, ...]:
        """Index look-up of a lower-cased token, priced with OCR costs, best first."""
        found = lookup_hits(self._index, lower)
        if capitals and len(lower) <= 6:
            # Not ``acronyms - found.keys()``: a set, which typeshed calls a frozenset.
            near = [a for a in self.near_acronyms(len(lower)) if a not in found]
            found.update((a, (Levenshtein.distance(a, lower), -1)) for a in near)
        found.pop(lower, None)
        budget = max_cost_for(len(lower))
        priced = self._price(found, lower, budget, capitals)
        if not priced and len(lower) >= DOMAIN_FALLBACK_MIN_LENGTH:
            loose = {
                w: (Levenshtein.distance(w, lower), -1)
                for w in domain_lookup(self._domain_words, lower)
            }
            priced = self._price(loose, lower, budget + DOMAIN_FALLBACK_EXTRA_COST, capitals)
        return tuple(sorted(priced, key=lambda c: (-c.score, c.word)))

    def _price(self, hits: Hits, lower: str, budget: float, capitals: bool) -> list[Candidate]:
        """The candidates (word -> edit distance, index number or -1) that can decide a
        repair, priced.

        A repair is decided by the best of ``ranked`` and by whether the runner-up comes within
        AMBIGUITY_GAP of it. Words are priced in the order of the best score they could reach
        (prior, bonus, the context bonuses of the bigrams they are part of, the cheapest cost
        their edit distance allows), and pricing stops once that bound falls below both the
        second-best score found and the best minus the gap: in no context does such a word
        rank first, or come close enough to the first to make it ambiguous. Index words take
        their prior and reach from the arrays stored beside the index.
        """
        floor = CHANNEL_WEIGHT * self.min_edit_cost
        reaches, priors, reach = self.reaches, self.priors, self.reach
        if capitals:
            acronyms = self.acronyms  # _bonus spelled out: it runs for every hit
            bounds = [
                (
                    (reaches[n] if n >= 0 else reach(word))
                    + (ACRONYM_BONUS if word.upper() in acronyms else 0.0)
                    - floor * distance,
                    word,
                    n,
                )
                for word, (distance, n) in hits.items()
            ]
        else:  # no bonus (adding 0.0 changes no sum): the same bounds, sooner
            bounds = [
                ((reaches[n] if n >= 0 else reach(word)) - floor * distance, word, n)
                for word, (distance, n) in hits.items()
            ]
        bounds.sort(reverse=True)
        priced: list[Candidate] = []
        first = second = -math.inf
        for bound, word, n in bounds:
            if bound < max(second, first - AMBIGUITY_GAP):
                break
            cost, atypical = self.ocr_cost.parts(word, lower)
            if cost <= budget:
                prior = priors[n] if n >= 0 else self.prior(word)
                if capitals:  # else no bonus, and adding 0.0 changes no score
                    prior += self._bonus(word, capitals)
                score = prior - CHANNEL_WEIGHT * cost
                priced.append(new_candidate((word, cost, score, atypical)))
                first, second = (score, first) if score > first else (first, max(second, score))
        return priced

    def _near_acronyms(self, length: int) -> frozenset[str]:
        """The lower-cased acronyms at most one letter longer or shorter than a token of this
        length: the ones a capitalised token is compared with."""
        return frozenset([a.lower() for a in self.acronyms if abs(len(a) - length) <= 1])

    def _bonus(self, word: str, capitals: bool) -> float:
        return ACRONYM_BONUS if capitals and word.upper() in self.acronyms else 0.0

    def _reach(self, word: str) -> float:
        """A word's prior plus the context bonuses of the domain bigrams it is part of: the
        most it scores in any context before its bonus and edit cost."""
        context = CONTEXT_BONUS * ((word in self.bigram_seconds) + (word in self.bigram_firsts))
        return self.prior(word) + context

    def _settled(self, token: str) -> bool:
        """Whether ``best_word`` keeps the token in every context and at every confidence (a
        kept word, or a known one too frequent to give way): most tokens of a page."""
        if self.is_kept(token):
            return True
        lower = token.lower()
        known = self.is_word(lower) or token.upper() in self.acronyms
        return known and self.prior(lower) > KNOWN_MAX_PRIOR

    def _case_repair(self, token: str) -> str | None:
        """The token with its case noise fixed ('BelaKang' -> 'Belakang'), or None."""
        if is_mixed_case_noise(token) and self.is_word(token.lower()):
            return apply_case(token[0] + token[1:].lower(), token.lower(), self.acronyms)
        return None

    def best_word(
        self, token: str, left: str, right: str, confidence: float | None, noisy_line: bool = True
    ) -> Candidate | None:
        """``_best_word``, remembered per token and context; a context that can change no score
        is left out, so a damaged word decided once is decided in every context."""
        if (left or right) and not self.context_matters(token):
            left = right = ""
        return self.best_word_in_context(token, left, right, confidence, noisy_line)

    def _context_matters(self, token: str) -> bool:
        """Whether the neighbours can change ``_best_word``'s answer for the token: only when
        it or one of its candidates is part of a domain bigram (``context`` is 0 otherwise)."""
        lower = token.lower()
        if self.is_kept(token) or (self.is_word(lower) and self.prior(lower) > KNOWN_MAX_PRIOR):
            return False  # kept whatever its neighbours
        capitals = token.isupper() and len(token) > 1
        words = [lower, *(c.word for c in self.candidates(lower, capitals))]
        return any(w in self.bigram_firsts or w in self.bigram_seconds for w in words)

    def _best_word(
        self, token: str, left: str, right: str, confidence: float | None, noisy_line: bool = True
    ) -> Candidate | None:
        """The repair for one word token, or None to keep it."""
        lower = token.lower()
        if self.is_kept(token):
            return None
        known = self.is_word(lower) or token.upper() in self.acronyms
        if known and ((confidence or 0) >= HIGH_CONFIDENCE or self.prior(lower) > KNOWN_MAX_PRIOR):
            return None
        ranked = self.ranked(token, left, right)
        if not ranked:
            return None
        best, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -math.inf
        if best_score - runner_up < AMBIGUITY_GAP or (best.atypical and not noisy_line):
            return None
        if best.atypical > MAX_ATYPICAL_COST:
            return None
        if known and not self._beats_known(best, best_score, lower, left, right, confidence):
            return None
        if not known and best_score < MIN_CANDIDATE_SCORE:
            return None
        return new_candidate((best.word, best.cost, best_score, best.atypical))

    def ranked(self, token: str, left: str, right: str) -> list[tuple[Candidate, float]]:
        """The token's candidates with their scores in this context, best first."""
        capitals = token.isupper() and len(token) > 1
        candidates = self.candidates(token.lower(), capitals)
        if not (left or right or self.edge_context):
            # No neighbours, so no context: the candidates' own scores, in their own order
            # (best first, by the same key).
            return [(c, c.score + 0.0) for c in candidates]
        scored = ((c, c.score + self.context(c.word, left, right)) for c in candidates)
        return sorted(scored, key=lambda x: (-x[1], x[0].word))

    def _beats_known(
        self,
        best: Candidate,
        best_score: float,
        lower: str,
        left: str,
        right: str,
        confidence: float | None,
    ) -> bool:
        """A known word gives way only to a cheap look-alike clearly likelier in context."""
        margin = KNOWN_MARGIN * (0.6 if (confidence or 100) < LOW_CONFIDENCE else 1.0)
        own = self.prior(lower) + self.context(lower, left, right)
        return best.cost <= KNOWN_MAX_COST and best_score - own >= margin


def apply_case(original: str, word: str, acronyms: frozenset[str]) -> str:
    """Give the repaired lower-case ``word`` the casing of the token it replaces."""
    if word.upper() in acronyms and (original.isupper() or len(word) <= 3):
        return word.upper()
    letters = list(filter(str.isalpha, original))
    if len(letters) > 1 and all(map(str.isupper, letters)):
        return word.upper()
    if len(original) > 1 and original[0].isupper() and original[0].lower() == original[1]:
        return word  # "Kkinerjanya": a doubled initial in capitals is noise, not a capital
    if original[:1].isupper() or (original[:1] == "l" and word[:1] == "i"):
        return word[:1].upper() + word[1:]  # 'lkhtisar': a capital I read as l
    return word


def is_mixed_case_noise(token: str) -> bool:
    """'BelaKang', 'ReNCANA', 'FUNGSi': capitals inside a word that is not an acronym."""
    inner = token[1:]
    return len(token) >= 4 and any(map(str.isupper, inner)) and any(map(str.islower, inner))


WORDLIKE = re.compile(r"^[A-Za-z][A-Za-z!|1@#<{]*[A-Za-z]$|^[A-Za-z]{2,}$")


def is_wordlike_text(text: str) -> bool:
    """Letters (with OCR glyph noise): text the word rules may touch."""
    return len(text) >= 2 and WORDLIKE.match(text) is not None


def repair_words(pieces: list[Piece], model: WordModel) -> None:
    """Word-level repair, left to right (the left neighbour is already repaired)."""
    words = [p for p in pieces if p.text != "|"]
    wordlike = [not p.code and model.wordlike(p.text) for p in words]
    is_known = model.is_known
    unknown = len([p for p, w in zip(words, wordlike, strict=True) if w and not is_known(p.text)])
    last = len(words) - 1
    for i, piece in enumerate(words):
        if not wordlike[i]:
            continue
        if model.settled(piece.text):  # kept in any context: only its case may be noise
            repair_case(piece, model)
            continue
        left = words[i - 1].text.lower() if i else ""
        right = words[i + 1].text.lower() if i < last else ""
        repair_word(piece, model, left, right, unknown >= 2)


def repair_word(piece: Piece, model: WordModel, left: str, right: str, noisy_line: bool) -> None:
    """The lexicon repair of one token, else its case noise fixed ('BelaKang' -> 'Belakang')."""
    token = piece.text
    settled = model.settled(token)  # one look-up instead of a context-keyed one
    best = None if settled else model.best_word(token, left, right, piece.confidence, noisy_line)
    if best is not None:
        piece.set(apply_case(token, best.word, model.acronyms), "lexicon", best.score)
    else:
        repair_case(piece, model)


def repair_case(piece: Piece, model: WordModel) -> None:
    cased = model.case_repair(piece.text)
    if cased is not None:
        piece.set(cased, "case", 1.0)

"""OCR repair of KPU text against the lexicon: noisy tokens and phrases -> repaired text.

A noisy-channel corrector: for a token that is unknown (or known but rare next to a frequent
look-alike) the candidates come from a SymSpell index; each is scored by its prior (wordfreq zipf
plus a boost for words of the KPU domain texts), minus the OCR edit cost of reading the candidate
as the token (confusion classes of ocr-noise.md §5.2, weights in lexicon/data/confusions.csv),
plus context (domain bigrams with the neighbours). A repair is made only when the best candidate
is clearly better than keeping the token. Value cells (target, capaian, pagu) follow the value
rules at the end of this module, never word rules; digits in prose never change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from lexicon.loader import Lexicon, load_lexicon
from normalize.models import Correction

COLUMNS = ("text", "sasaran", "indikator", "value", "percent", "rupiah")
CANDIDATE_MIN_ZIPF = 3.0  # wordfreq's Indonesian list starts near 3: ranked words are candidates
UNRANKED_PRIOR = 1.5  # a listed word wordfreq never saw (rare, archaic or a KBBI headword)
DOMAIN_BOOST = 1.5  # words of the clean KPU texts are likelier in KPU documents
CHANNEL_WEIGHT = 3.0  # one unit of edit cost weighs as much as 3 zipf steps
CONTEXT_BONUS = 0.8  # per neighbour forming a domain bigram
KNOWN_MARGIN = 3.0  # a known word is replaced only by a candidate this much better ...
KNOWN_MAX_COST = 0.5  # ... that is one cheap confusion away
KNOWN_MAX_PRIOR = 2.0  # ... and only when the known word itself is rare
MIN_CANDIDATE_SCORE = 0.5  # an unknown token needs a candidate at least this plausible
AMBIGUITY_GAP = 0.4  # the best candidate must beat the runner-up by this much
DEFAULT_DELETE_COST = 0.6  # a printed letter missing from the OCR text
DEFAULT_INSERT_COST = 0.7  # an extra letter in the OCR text
DOUBLED_LETTER_COST = 0.25
THIN_LETTER_COST = 0.5  # thin glyphs (i, l, t, j, f, r, 1, punctuation) come and go in OCR
THIN = frozenset("iljtfr1!|.,'")
MAX_ATYPICAL_COST = 1.0  # at most one edit that no OCR confusion explains
ACRONYM_BONUS = 1.0  # a short all-caps token is most likely an acronym
DOMAIN_FALLBACK_MIN_LENGTH = 7  # long unknown tokens may be compared to domain words more loosely
DOMAIN_FALLBACK_EXTRA_COST = 1.2
DEFAULT_SUBSTITUTE_COST = 1.0
HIGH_CONFIDENCE = 95.0  # tesseract was sure: leave known words alone
LOW_CONFIDENCE = 60.0  # tesseract was unsure: accept a smaller margin
NOISE_TOKEN = re.compile(r"^[~¦_«»¬•]+$|^\|{2,}$")
QUOTES = {"‘": "’", "“": "”", '"': '"', "'": "'"}
EDGE_NOISE = "|[]‘’“”\"'~¦"
LEADER = re.compile(r"\.{3,}")
WORDLIKE = re.compile(r"^[A-Za-z][A-Za-z!|1@#<{]*[A-Za-z]$|^[A-Za-z]{2,}$")
HAS_DIGIT = re.compile(r"\d")


def max_cost_for(length: int) -> float:
    """Edit budget for an unknown token: longer words can carry more OCR damage."""
    if length <= 3:
        return 0.7
    if length <= 5:
        return 1.3
    if length <= 8:
        return 1.8
    return 2.4


@dataclass(frozen=True, slots=True)
class RepairResult:
    """Repaired text, the raw text it came from and every correction made."""

    text: str
    raw: str
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    word: str  # lower-cased
    cost: float
    score: float
    atypical: float = 0.0


@dataclass(slots=True)
class Piece:
    """A token being repaired (mutable inside this module only)."""

    text: str
    space: str
    start: int
    raw: str
    confidence: float | None = None
    rule: str = ""
    score: float = 0.0
    code: bool = False  # part of a code or number ('Kpt/01/KPU/IV/2020'): never word-repaired


def confusions_to_costs(lexicon: Lexicon) -> dict[tuple[str, str], float]:
    """(printed, observed) -> cost, both directions (OCR swaps glyphs either way)."""
    costs: dict[tuple[str, str], float] = {}
    for confusion in lexicon.confusions:
        costs[(confusion.printed, confusion.observed)] = confusion.cost
        costs.setdefault((confusion.observed, confusion.printed), confusion.cost)
    return costs


def indel_cost(chars: str, before: str, default: float) -> tuple[float, float]:
    """(cost, atypical part) of letters inserted or dropped by OCR."""
    if chars and all(c == (before or chars[0]) for c in chars):
        return DOUBLED_LETTER_COST * len(chars), 0.0
    thin = sum(THIN_LETTER_COST for c in chars if c in THIN)
    other = sum(default for c in chars if c not in THIN)
    return thin + other, other


def block_cost(
    src: str, dst: str, costs: dict[tuple[str, str], float], before: str
) -> tuple[float, float]:
    """(cost, atypical part) of reading printed ``src`` as ``dst`` (one block of edits).

    The atypical part is what no OCR confusion explains (an 'a' inserted, an 'h' for a 'k'):
    author typos look like that, so a clean line needs more than that to be touched.
    """
    if (src, dst) in costs:
        return costs[(src, dst)], 0.0
    if not src:
        return indel_cost(dst, before, DEFAULT_INSERT_COST)
    if not dst:
        return indel_cost(src, "", DEFAULT_DELETE_COST)
    pairs = [costs.get((a, b), DEFAULT_SUBSTITUTE_COST) for a, b in zip(src, dst, strict=False)]
    atypical = sum(c for c in pairs if c >= DEFAULT_SUBSTITUTE_COST)
    extra = len(src) - len(dst)
    rest = (
        indel_cost(src[len(dst) :], "", DEFAULT_DELETE_COST)
        if extra > 0
        else indel_cost(dst[len(src) :], "", DEFAULT_INSERT_COST)
    )
    return sum(pairs) + rest[0], atypical + rest[1]


def ocr_cost(printed: str, observed: str, costs: dict[tuple[str, str], float]) -> float:
    """OCR-aware edit cost of ``printed`` coming out of tesseract as ``observed``."""
    return ocr_cost_parts(printed, observed, costs)[0]


def ocr_cost_parts(
    printed: str, observed: str, costs: dict[tuple[str, str], float]
) -> tuple[float, float]:
    """(cost, atypical part) of ``printed`` coming out of tesseract as ``observed``."""
    total = atypical = 0.0
    blocks: list[list[int]] = []
    for op in Levenshtein.opcodes(printed, observed):
        if op.tag == "equal":
            continue
        if blocks and blocks[-1][1] == op.src_start and blocks[-1][3] == op.dest_start:
            blocks[-1][1], blocks[-1][3] = op.src_end, op.dest_end
        else:
            blocks.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    for s0, s1, d0, d1 in blocks:
        before = printed[s0 - 1] if s0 else ""
        cost, odd = block_cost(printed[s0:s1], observed[d0:d1], costs, before)
        total, atypical = total + cost, atypical + odd
    return total, atypical


def apply_case(original: str, word: str, acronyms: frozenset[str]) -> str:
    """Give the repaired lower-case ``word`` the casing of the token it replaces."""
    if word.upper() in acronyms and (original.isupper() or len(word) <= 3):
        return word.upper()
    letters = [c for c in original if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return word.upper()
    if len(original) > 1 and original[0].isupper() and original[0].lower() == original[1]:
        return word  # "Kkinerjanya": a doubled initial in capitals is noise, not a capital
    if original[:1].isupper() or (original[:1] == "l" and word[:1] == "i"):
        return word[:1].upper() + word[1:]  # 'lkhtisar': a capital I read as l
    return word


def is_mixed_case_noise(token: str) -> bool:
    """'BelaKang', 'ReNCANA', 'FUNGSi': capitals inside a word that is not an acronym."""
    inner = token[1:]
    return len(token) >= 4 and any(c.isupper() for c in inner) and any(c.islower() for c in inner)


class Repairer:
    """Repairs OCR text with a lexicon; build once (``Repairer.default()``), call per cell."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.costs = confusions_to_costs(lexicon)
        self.acronyms = lexicon.acronyms
        self.variants = frozenset(v for v in lexicon.variants if " " not in v)
        self.variants_lower = frozenset(v.lower() for v in self.variants)
        self.index = candidate_index(lexicon)
        self.domain_index = tuple(sorted(w for w in lexicon.domain_counts if len(w) >= 5))
        self._nlp: Any = None
        self._candidates = lru_cache(maxsize=65536)(self._candidates_uncached)
        self.phrases = PhraseIndex(lexicon, self)

    @classmethod
    def default(cls) -> Repairer:
        """The repairer over the package lexicon, built once per process."""
        return _default_repairer()

    # ---------------------------------------------------------------- tokens
    def tokenize(self, text: str) -> list[Piece]:
        """spaCy's Indonesian tokenizer (rules only, no model) -> pieces with offsets."""
        if self._nlp is None:
            self._nlp = indonesian_tokenizer()
        doc = self._nlp(text)
        return [Piece(t.text, t.whitespace_, t.idx, t.text) for t in doc]

    def prior(self, lower: str) -> float:
        """Log-frequency prior of a lower-cased word (zipf scale, domain-boosted)."""
        zipf = self.lexicon.general_zipf.get(lower)
        count = self.lexicon.domain_counts.get(lower, 0)
        base = zipf if zipf else (UNRANKED_PRIOR if zipf is not None or count else 0.0)
        if count:
            base = max(base, 3.0) + DOMAIN_BOOST + 0.5 * math.log10(1 + count)
        return base

    def is_known(self, token: str) -> bool:
        lower = token.lower()
        return (
            token in self.acronyms
            or token in self.variants
            or lower in self.variants_lower
            or self.lexicon.is_word(lower)
        )

    def context(self, lower: str, left: str, right: str) -> float:
        bigrams = self.lexicon.bigrams
        return CONTEXT_BONUS * (((left, lower) in bigrams) + ((lower, right) in bigrams))

    def _candidates_uncached(self, lower: str, capitals: bool) -> tuple[Candidate, ...]:
        """Index look-up of a lower-cased token, priced with OCR costs (cached per token)."""
        found = self._lookup(lower)
        if capitals and len(lower) <= 6:
            found |= {a.lower() for a in self.acronyms if abs(len(a) - len(lower)) <= 1}
        budget = max_cost_for(len(lower))
        priced = self._price(found - {lower}, lower, budget, capitals)
        if not priced and len(lower) >= DOMAIN_FALLBACK_MIN_LENGTH:
            priced = self._price(
                self._domain_lookup(lower), lower, budget + DOMAIN_FALLBACK_EXTRA_COST, capitals
            )
        return tuple(sorted(priced, key=lambda c: (-c.score, c.word)))

    def _price(
        self, words: Iterable[str], lower: str, budget: float, capitals: bool
    ) -> list[Candidate]:
        priced = []
        for word in words:
            cost, atypical = ocr_cost_parts(word, lower, self.costs)
            if cost <= budget:
                bonus = ACRONYM_BONUS if capitals and word.upper() in self.acronyms else 0.0
                score = self.prior(word) + bonus - CHANNEL_WEIGHT * cost
                priced.append(Candidate(word, cost, score, atypical))
        return priced

    def _lookup(self, lower: str) -> set[str]:
        """Words within Levenshtein distance 2 (1 for short tokens): SymSpell-style prefix
        deletes narrow the field, rapidfuzz checks the distance."""
        distance = 2 if len(lower) >= 5 else 1
        pool: set[str] = set()
        for key in prefix_deletes(lower, distance):
            pool.update(self.index.get(key, ()))
        return {
            w for w in pool if Levenshtein.distance(lower, w, score_cutoff=distance) <= distance
        }

    def _domain_lookup(self, lower: str) -> set[str]:
        """Domain words loosely like a badly damaged long token ('Paorsemiase')."""
        from rapidfuzz import fuzz, process

        hits = process.extract(
            lower, self.domain_index, scorer=fuzz.ratio, score_cutoff=70, limit=5
        )
        return {hit[0] for hit in hits}

    def best_word(
        self, token: str, left: str, right: str, confidence: float | None, noisy_line: bool = True
    ) -> Candidate | None:
        """The repair for one word token, or None to keep it."""
        lower = token.lower()
        if token in self.acronyms or token in self.variants or lower in self.variants_lower:
            return None
        known = self.lexicon.is_word(lower) or token.upper() in self.acronyms
        if known and (confidence or 0) >= HIGH_CONFIDENCE:
            return None
        if known and self.prior(lower) > KNOWN_MAX_PRIOR:
            return None
        capitals = token.isupper() and len(token) > 1
        ranked = sorted(
            (
                (c, c.score + self.context(c.word, left, right))
                for c in self._candidates(lower, capitals)
            ),
            key=lambda x: (-x[1], x[0].word),
        )
        if not ranked:
            return None
        best, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -math.inf
        if best_score - runner_up < AMBIGUITY_GAP or (best.atypical and not noisy_line):
            return None
        if best.atypical > MAX_ATYPICAL_COST:
            return None
        if known:
            margin = KNOWN_MARGIN * (0.6 if (confidence or 100) < LOW_CONFIDENCE else 1.0)
            own = self.prior(lower) + self.context(lower, left, right)
            if best.cost > KNOWN_MAX_COST or best_score - own < margin:
                return None
        elif best_score < MIN_CANDIDATE_SCORE:
            return None
        return Candidate(best.word, best.cost, best_score, best.atypical)

    # ---------------------------------------------------------------- passes
    def repair_words(self, pieces: list[Piece]) -> None:
        """Word-level repair, left to right (the left neighbour is already repaired)."""
        words = [p for p in pieces if p.text != "|"]
        unknown = sum(
            1 for p in words if WORDLIKE.match(p.text) and not p.code and not self.is_known(p.text)
        )
        for i, piece in enumerate(words):
            token = piece.text
            if not WORDLIKE.match(token) or len(token) < 2 or piece.code:
                continue
            left = words[i - 1].text.lower() if i else ""
            right = words[i + 1].text.lower() if i + 1 < len(words) else ""
            best = self.best_word(token, left, right, piece.confidence, unknown >= 2)
            if best is not None:
                self._set(piece, apply_case(token, best.word, self.acronyms), "lexicon", best.score)
            elif is_mixed_case_noise(token) and self.lexicon.is_word(token.lower()):
                self._set(
                    piece,
                    apply_case(token[0] + token[1:].lower(), token.lower(), self.acronyms),
                    "case",
                    1.0,
                )

    def merge_split_words(self, pieces: list[Piece]) -> list[Piece]:
        """Join 'Kabupa ten' -> 'Kabupaten'; split 'BABII' -> 'BAB II', 'PeouluPemilihan'."""
        merged: list[Piece] = []
        for piece in pieces:
            prev = merged[-1] if merged else None
            if prev is not None and self._should_merge(prev, piece):
                prev.text, prev.space, prev.rule = prev.text + piece.text, piece.space, "merge"
                prev.raw = prev.raw + " " + piece.raw
                continue
            merged.extend(self._split(piece))
        return merged

    def _should_merge(self, prev: Piece, piece: Piece) -> bool:
        if not prev.space or not (prev.text.isalpha() and piece.text.isalpha()):
            return False
        if self.is_known(prev.text) and self.is_known(piece.text):
            return False
        joined = (prev.text + piece.text).lower()
        return self.lexicon.is_word(joined) and self.prior(joined) >= 3.0

    def _split(self, piece: Piece) -> list[Piece]:
        token = piece.text
        if not token.isalpha() or len(token) < 5 or piece.code or self.is_known(token):
            return [piece]
        if self.best_word(token, "", "", piece.confidence) is not None:
            return [piece]
        parts = self._split_point(token)
        if parts is None:
            return [piece]
        first, second = parts
        return [
            Piece(first, " ", piece.start, piece.raw, piece.confidence, "split", 1.0),
            Piece(second, piece.space, piece.start + len(first), "", piece.confidence, "split"),
        ]

    def _split_point(self, token: str) -> tuple[str, str] | None:
        """The best split into two known words (both common), or None."""
        best: tuple[float, int] | None = None
        for i in range(2, len(token) - 1):
            a, b = token[:i], token[i:]
            if not (self._split_part(a) and self._split_part(b)):
                continue
            strength = min(self.prior(a.lower()), self.prior(b.lower()))
            if best is None or strength > best[0]:
                best = (strength, i)
        return (token[: best[1]], token[best[1] :]) if best else None

    def _split_part(self, part: str) -> bool:
        """A side of a split: a common word of 3+ letters, or an acronym / roman numeral."""
        if part in self.acronyms:
            return True
        return (
            len(part) >= 3
            and self.prior(part.lower()) >= 3.0
            and not (part.isupper() and len(part) <= 3 and part not in self.acronyms)
        )

    def _set(self, piece: Piece, text: str, rule: str, score: float) -> None:
        if text != piece.text:
            piece.text, piece.rule, piece.score = text, rule, score

    # ---------------------------------------------------------------- public
    def repair_text(
        self,
        text: str,
        column: str = "text",
        confidences: Sequence[float] | None = None,
        row_values: Sequence[str] = (),
    ) -> RepairResult:
        """Repair one cell or line; ``column`` picks word rules or value rules."""
        if column not in COLUMNS:
            raise ValueError(f"column must be one of {COLUMNS}, not {column!r}")
        if column in ("value", "percent", "rupiah"):
            return repair_value_text(text, column, row_values)
        text_in = fix_glyph_edges(text, self)
        pieces = strip_noise(self.tokenize(text_in), self.lexicon)
        mark_codes(pieces, text_in)
        attach_confidences(pieces, text_in, confidences)
        fix_outline_marker(pieces)
        pieces = self.merge_split_words(pieces)
        self.repair_words(pieces)
        self.phrases.repair(pieces)
        pieces = resolve_rulings(pieces, self)
        return pieces_to_result(text, pieces, text_in)


# -------------------------------------------------------------------- helpers
PREFIX_LENGTH = 6  # SymSpell's prefix trick: deletes of the first letters only


def prefix_deletes(word: str, distance: int) -> set[str]:
    """The word's prefix with up to ``distance`` letters deleted (the prefix itself included)."""
    keys = {word[:PREFIX_LENGTH]}
    frontier = set(keys)
    for _ in range(distance):
        frontier = {k[:i] + k[i + 1 :] for k in frontier for i in range(len(k)) if len(k) > 1}
        keys |= frontier
    return keys


def candidate_index(lexicon: Lexicon) -> dict[str, tuple[str, ...]]:
    """Prefix-delete key -> candidate words (ranked general, domain, canonical variants)."""
    words = {w for w, z in lexicon.general_zipf.items() if z >= CANDIDATE_MIN_ZIPF}
    words |= set(lexicon.domain_counts)
    words |= {c.lower() for c in lexicon.variants.values() if c and " " not in c}
    index: dict[str, list[str]] = {}
    for word in sorted(w for w in words if len(w) >= 2):
        for key in prefix_deletes(word, 2):
            index.setdefault(key, []).append(word)
    return {k: tuple(v) for k, v in index.items()}


def indonesian_tokenizer() -> Any:
    """spaCy's Indonesian tokenizer rules (spacy.blank("id") punctuation and abbreviations).

    The 15,600 hyphenated special cases of spacy.blank("id") ('aba-aba') are left out: adding
    them takes five seconds per process, and the repair treats the two halves as words anyway.
    """
    from spacy.lang.id import Indonesian
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
    from spacy.vocab import Vocab

    defaults = Indonesian.Defaults
    rules = {k: v for k, v in defaults.tokenizer_exceptions.items() if "-" not in k}
    return Tokenizer(
        Vocab(),
        rules=rules,
        prefix_search=compile_prefix_regex(defaults.prefixes).search,
        suffix_search=compile_suffix_regex(defaults.suffixes).search,
        infix_finditer=compile_infix_regex(defaults.infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


GLYPH_EDGE = re.compile(r"(?<![\w(\[{])([A-Za-z]{3,})([\]|!})])(?=[\s,.;:]|$)")
BRACKET_OPEN = re.compile(r"[{\[](?=[^\s)\]}]+\))")
LIST_CLOSE = re.compile(r"(?:(?<=^)|(?<=\s))([a-z0-9])\}")


def fix_glyph_edges(text: str, repairer: Repairer) -> str:
    """Same-length glyph fixes before tokenising: 'Komis!' / 'Birokras|' -> 'Komisi',
    '{Renstra)' -> '(Renstra)', 'b}' -> 'b)' (vertical strokes and brackets, class S/P)."""

    def edge(match: re.Match[str]) -> str:
        word, mark = match[1], match[2]
        if mark == ")" and "(" in text[: match.start()]:
            return match[0]
        for letter in ("i", "l"):
            if repairer.prior((word + letter).lower()) >= 3.0:
                return word + letter
        return match[0]

    text = GLYPH_EDGE.sub(edge, text)
    text = BRACKET_OPEN.sub("(", text)
    return LIST_CLOSE.sub(lambda m: m[1] + ")", text)


def mark_codes(pieces: list[Piece], text: str) -> None:
    """Flag tokens inside whitespace words holding digits ('Kpt/G1/KPUIV2020', '197/PR.01')."""
    spans = [m.span() for m in re.finditer(r"\S+", text) if HAS_DIGIT.search(m[0])]
    for piece in pieces:
        piece.code = any(s <= piece.start < e for s, e in spans)


def fix_outline_marker(pieces: list[Piece]) -> None:
    """'A, Latar Belakang' -> 'A. Latar Belakang': a comma read for an outline period."""
    if len(pieces) < 3 or pieces[0].space or pieces[1].text != ",":
        return
    if re.fullmatch(r"[A-Z]", pieces[0].text) and pieces[2].text[:1].isupper():
        pieces[1].text, pieces[1].rule = ".", "noise"


@lru_cache(maxsize=1)
def _default_repairer() -> Repairer:
    return Repairer(load_lexicon())


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


def strip_noise(pieces: list[Piece], lexicon: Lexicon) -> list[Piece]:
    """Drop table rulings, stray quotes and dot-leader garbage; '|' between a known pair -> '/'."""
    pieces = strip_leader_garbage(pieces)
    kept: list[Piece] = []
    for i, piece in enumerate(pieces):
        if NOISE_TOKEN.match(piece.text) or _unbalanced_quote(piece, pieces[i + 1 :]):
            if kept:
                kept[-1].space = kept[-1].space or piece.space
            continue
        stripped = strip_edges(piece.text)
        if stripped != piece.text:
            piece.text, piece.rule = stripped, "noise"
            if not stripped:
                if kept:
                    kept[-1].space = kept[-1].space or piece.space
                continue
        kept.append(piece)
    return kept


def _unbalanced_quote(piece: Piece, rest: list[Piece]) -> bool:
    closer = QUOTES.get(piece.text)
    if closer is None:
        return False
    return not any(p.text == closer for p in rest)


def resolve_rulings(pieces: list[Piece], repairer: Repairer) -> list[Piece]:
    """A column rule '|' goes, except between the halves of a domain 'X/Y' ('Kabupaten | Kota')."""
    pairs = _slash_pairs(repairer.lexicon)
    kept: list[Piece] = []
    for i, piece in enumerate(pieces):
        if piece.text != "|":
            kept.append(piece)
            continue
        right = pieces[i + 1].text.lower() if i + 1 < len(pieces) else ""
        if kept and f"{kept[-1].text.lower()}/{right}" in pairs:
            piece.text, piece.rule = "/", "noise"
            kept.append(piece)
        elif kept:
            kept[-1].space = kept[-1].space or piece.space
    return kept


@lru_cache(maxsize=2)
def _slash_pairs(lexicon: Lexicon) -> frozenset[str]:
    pairs = set()
    for term, _ in lexicon.terms:
        pairs |= {m.lower() for m in re.findall(r"[A-Za-z]+/[A-Za-z]+", term)}
    return frozenset(pairs | {"pemilu/pemilihan", "kabupaten/kota"})


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
    leader_at = next((i for i, p in enumerate(pieces) if LEADER.search(p.text)), None)
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


def pieces_to_result(raw: str, pieces: list[Piece], prepared: str) -> RepairResult:
    """Join pieces back into text and list the corrections made."""
    out = "".join(p.text + p.space for p in pieces)
    lead = raw[: len(raw) - len(raw.lstrip())]
    text = (lead + out.strip()) if pieces else raw.strip()
    changed = [
        p for p in pieces if p.raw != p.text or prepared[p.start : p.start + len(p.raw)] != p.raw
    ]
    corrections = tuple(
        Correction(
            raw[p.start : p.start + len(p.raw)] if " " not in p.raw else p.raw,
            p.text,
            p.start,
            p.score,
            _rule_name(p.rule),
        )
        for p in changed
        if p.rule
    )
    if text.strip() == raw.strip():
        text = raw
    return RepairResult(text=text, raw=raw, corrections=corrections)


def _rule_name(rule: str) -> str:
    return {"case": "lexicon", "merge": "lexicon", "split": "lexicon"}.get(rule, rule)


class PhraseIndex:
    """Multi-word [M] terms repaired as phrases: rapidfuzz over token windows."""

    def __init__(self, lexicon: Lexicon, repairer: Repairer) -> None:
        self.repairer = repairer
        self.by_length: dict[int, list[str]] = {}
        for phrase in lexicon.phrases:
            words = phrase.split()
            if 2 <= len(words) <= 6 and "{" not in phrase:
                self.by_length.setdefault(len(words), []).append(phrase)
        self.lowered = {n: [p.lower() for p in ps] for n, ps in self.by_length.items()}

    def repair(self, pieces: list[Piece]) -> None:
        """Replace a window that is within a few OCR slips of a domain phrase."""
        from rapidfuzz import fuzz, process

        words = [i for i, p in enumerate(pieces) if p.text.isalpha()]
        texts = [p.text.lower() for p in pieces]
        for n, phrases in sorted(self.by_length.items(), reverse=True):
            lowered = self.lowered[n]
            for k in range(len(words) - n + 1):
                span = words[k : k + n]
                if span[-1] - span[0] != n - 1:
                    continue
                window = " ".join(texts[i] for i in span)
                if window in lowered:
                    continue
                hit = process.extractOne(window, lowered, scorer=fuzz.ratio, score_cutoff=88)
                if hit:
                    self._apply(pieces, span, phrases[hit[2]].split(), hit[1])

    def _apply(self, pieces: list[Piece], span: list[int], target: list[str], score: float) -> None:
        repairer = self.repairer
        for i, word in zip(span, target, strict=True):
            piece = pieces[i]
            if piece.text.lower() == word.lower() or repairer.is_known(piece.text):
                continue
            cost, atypical = ocr_cost_parts(word.lower(), piece.text.lower(), repairer.costs)
            if cost > max_cost_for(len(piece.text)) + 0.6 or atypical > MAX_ATYPICAL_COST:
                continue
            repairer._set(
                piece,
                apply_case(piece.text, word.lower(), repairer.acronyms)
                if not word.isupper()
                else word,
                "phrase",
                score,
            )


# -------------------------------------------------------------------- values
PERCENT = re.compile(r"^\d{1,3}(?:[.,]\d{1,2})?%$")
DIGIT_LOOKALIKES = str.maketrans(
    {"o": "0", "O": "0", "l": "1", "I": "1", "|": "1", "g": "9", "S": "5", "s": "5"}
)
VALUE_TRAIL = ":;,.‘’'\"|"
PLAUSIBLE_PERCENT = 200.0


def _percent_number(text: str) -> float:
    return float(text.rstrip("%").replace(",", "."))


def garbled_percent_candidates(token: str) -> list[str]:
    """Readings of a garbled percentage: '1005' -> '100%', '1008%' -> '100%'/'108%'."""
    core = token.rstrip(VALUE_TRAIL).replace("%%", "%")
    if any(c.isdigit() for c in core):
        core = core.translate(DIGIT_LOOKALIKES)
    if PERCENT.match(core) and _percent_number(core) <= PLAUSIBLE_PERCENT:
        return [core]
    digits = core.rstrip("%")
    if not digits.isdigit() or len(digits) < 3:
        return []
    options = []
    if not core.endswith("%"):
        options.append(digits[:-1] + "%")  # the % sign read as 5, 8 or 0
    options += [digits[:i] + digits[i + 1 :] + "%" for i in range(len(digits))]
    unique = dict.fromkeys(
        o
        for o in options
        if PERCENT.match(o) and not re.match(r"0\d", o) and _percent_number(o) <= PLAUSIBLE_PERCENT
    )
    return list(unique)


def repair_percent_token(token: str, evidence: Sequence[str]) -> str:
    """One percent cell token: the reading the row's other values support, else the likeliest.

    Without support, readings without a leading zero and nearest 100 come first: KPU targets
    and capaian cluster at 100% (../shared/domain/documents-and-tables.md).
    """
    options = garbled_percent_candidates(token)
    if len(options) == 1 and options[0].rstrip("%") == token.rstrip(VALUE_TRAIL).rstrip("%"):
        return options[0]
    for option in options:
        if option in evidence:
            return option
    near = [e for e in evidence if Levenshtein.distance(e, token.rstrip(VALUE_TRAIL)) <= 2]
    if near and HAS_DIGIT.search(token):
        return near[0]
    if not options:
        return token
    return min(options, key=lambda o: (o.startswith("0"), abs(_percent_number(o) - 100), o))


def repair_value_text(text: str, column: str, row_values: Sequence[str]) -> RepairResult:
    """Value rules for a target / realisasi / capaian / pagu cell."""
    tokens = merge_percent_signs(text.split())
    evidence = [t for t in row_values if PERCENT.match(t)]
    out, corrections, offset = [], [], 0
    for token in tokens:
        fixed = token
        if column == "percent" or "%" in token or (column == "value" and evidence):
            fixed = repair_percent_token(token, evidence)
        if fixed != token:
            corrections.append(Correction(token, fixed, text.find(token, offset), 1.0, "value"))
        offset = max(offset, text.find(token, offset))
        out.append(fixed)
    repaired = " ".join(out)
    return RepairResult(
        repaired if corrections or repaired != " ".join(text.split()) else text,
        text,
        tuple(corrections),
    )


def merge_percent_signs(tokens: list[str]) -> list[str]:
    """'100 %' / '100 %%' -> '100%' (a lone percent sign belongs to the number before it)."""
    merged: list[str] = []
    for token in tokens:
        if re.fullmatch(r"%+[:;,.]?", token) and merged and merged[-1][-1:].isdigit():
            merged[-1] += "%"
            continue
        merged.append(token)
    return merged


# -------------------------------------------------------------------- lines
VALUE_LIKE = re.compile(r"^[\dogOlI|S%.,:;‘’'\"]*\d[\dogOlI|S%.,:;‘’'\"]*$|^%+[:;,.]?$")


def split_value_tail(line: str) -> tuple[str, list[str]]:
    """A table row printed as a line: (text part, trailing value tokens) when the tail holds
    at least one clean percentage; otherwise the whole line is text."""
    tokens = line.split()
    k = len(tokens)
    while k > 0 and VALUE_LIKE.match(tokens[k - 1]):
        k -= 1
    tail = tokens[k:]
    if not any("%" in t for t in tail):
        return line, []
    head_end = _nth_token_end(line, k)
    return line[:head_end], tail


def _nth_token_end(line: str, k: int) -> int:
    spans = [m.end() for m in re.finditer(r"\S+", line)]
    return spans[k - 1] if k else 0


@dataclass
class LineRepairer:
    """Line mode for ``kinerja repair``: word rules for text, value rules for a value tail."""

    repairer: Repairer = field(default_factory=Repairer.default)

    def repair_line(self, line: str) -> str:
        head, tail = split_value_tail(line)
        text = self.repairer.repair_text(head).text if head.strip() else head
        if not tail:
            return text
        values = merge_percent_signs(tail)
        evidence = [v for v in values if PERCENT.match(v)]
        fixed = [repair_percent_token(v, evidence) if _percentish(v) else v for v in values]
        return (text.rstrip() + " " if text.strip() else text) + " ".join(fixed)


def _percentish(token: str) -> bool:
    digits = token.rstrip(VALUE_TRAIL).rstrip("%")
    return "%" in token or (digits.isdigit() and len(digits) == 4 and digits[-1] in "580")


def repair_lines(lines: Iterable[str]) -> Iterator[str]:
    """Repair plain text line by line: one line out for every line in (line ends kept)."""
    line_repairer = LineRepairer()
    for line in lines:
        body = line.rstrip("\r\n")
        yield line_repairer.repair_line(body) + line[len(body) :]


def repair_jsonl(in_lines: Iterable[str]) -> Iterator[str]:
    """Objects with a ``noisy`` field -> the same objects with a ``text`` field added."""
    import json

    line_repairer = LineRepairer()
    for raw in in_lines:
        if not raw.strip():
            continue
        record = json.loads(raw)
        record["text"] = line_repairer.repair_line(record["noisy"])
        yield json.dumps(record, ensure_ascii=False) + "\n"

"""OCR edit cost: how likely tesseract reads a printed word as the observed token.

The confusion classes of ocr-noise.md §5.2 (weights in lexicon/data/confusions.csv) price each
block of edits; what no confusion explains is the *atypical* part, which author typos have too.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from lexicon.loader import Lexicon

Costs = dict[tuple[str, str], float]
DEFAULT_DELETE_COST = 0.6  # a printed letter missing from the OCR text
DEFAULT_INSERT_COST = 0.7  # an extra letter in the OCR text
DEFAULT_SUBSTITUTE_COST = 1.0
DOUBLED_LETTER_COST = 0.25
THIN_LETTER_COST = 0.5  # thin glyphs (i, l, t, j, f, r, 1, punctuation) come and go in OCR
THIN = frozenset("iljtfr1!|.,'")
MAX_ATYPICAL_COST = 1.0  # at most one edit that no OCR confusion explains
MAX_REMEMBERED_BLOCKS = 1 << 16


def max_cost_for(length: int) -> float:
    """Edit budget for an unknown token: longer words can carry more OCR damage."""
    if length <= 3:
        return 0.7
    if length <= 5:
        return 1.3
    if length <= 8:
        return 1.8
    return 2.4


def confusions_to_costs(lexicon: Lexicon) -> Costs:
    """(printed, observed) -> cost, both directions (OCR swaps glyphs either way)."""
    costs: Costs = {}
    for confusion in lexicon.confusions:
        costs[(confusion.printed, confusion.observed)] = confusion.cost
        costs.setdefault((confusion.observed, confusion.printed), confusion.cost)
    return costs


def min_cost_per_edit(costs: Costs) -> float:
    """A floor under the cost of one Levenshtein edit: every block of k edits (k = its longer
    side) costs at least k times this, so ``distance * floor`` never exceeds ``ocr_cost``."""
    listed = (cost / max(len(a), len(b)) for (a, b), cost in costs.items())
    defaults = (DEFAULT_DELETE_COST, DEFAULT_INSERT_COST, DEFAULT_SUBSTITUTE_COST)
    return min(min(listed, default=1.0), DOUBLED_LETTER_COST, THIN_LETTER_COST, *defaults)


def indel_cost(chars: str, before: str, default: float) -> tuple[float, float]:
    """(cost, atypical part) of letters inserted or dropped by OCR."""
    if chars and all(c == (before or chars[0]) for c in chars):
        return DOUBLED_LETTER_COST * len(chars), 0.0
    thin = sum(THIN_LETTER_COST for c in chars if c in THIN)
    other = sum(default for c in chars if c not in THIN)
    return thin + other, other


def block_cost(src: str, dst: str, costs: Costs, before: str) -> tuple[float, float]:
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


def edit_blocks(printed: str, observed: str) -> list[tuple[int, int, int, int]]:
    """Adjacent Levenshtein edits merged into blocks (src_start, src_end, dst_start, dst_end).

    Built from the single edits (``editops``), of which rapidfuzz makes its opcodes: the same
    blocks as merging the non-equal opcodes, without the equal stretches in between."""
    blocks: list[tuple[int, int, int, int]] = []
    edits: list[tuple[str, int, int]] = Levenshtein.editops(printed, observed).as_list()  # type: ignore[assignment]
    for tag, s0, d0 in edits:
        s1 = s0 + (tag != "insert")
        d1 = d0 + (tag != "delete")
        if blocks and blocks[-1][1] == s0 and blocks[-1][3] == d0:
            s0, _, d0, _ = blocks.pop()
        blocks.append((s0, s1, d0, d1))
    return blocks


def ocr_cost_parts(printed: str, observed: str, costs: Costs) -> tuple[float, float]:
    """(cost, atypical part) of ``printed`` coming out of tesseract as ``observed``."""
    total = atypical = 0.0
    for s0, s1, d0, d1 in edit_blocks(printed, observed):
        src, dst = printed[s0:s1], observed[d0:d1]
        if (src, dst) in costs:  # the common case: one listed confusion
            total += costs[(src, dst)]
            continue
        cost, odd = block_cost(src, dst, costs, printed[s0 - 1] if s0 else "")
        total, atypical = total + cost, atypical + odd
    return total, atypical


class OcrCost:
    """``ocr_cost_parts`` with the price of each block of edits remembered: a token's
    candidates share most of their blocks ('' -> 'a' after 'n'), and pages repeat damage."""

    __slots__ = ("_blocks", "costs")

    def __init__(self, costs: Costs) -> None:
        self.costs = costs
        self._blocks: dict[tuple[str, str, str], tuple[float, float]] = {}

    def parts(self, printed: str, observed: str) -> tuple[float, float]:
        """The same (cost, atypical part) as ``ocr_cost_parts``, summed in the same order."""
        total = atypical = 0.0
        blocks = self._blocks
        for s0, s1, d0, d1 in edit_blocks(printed, observed):
            # Only an insertion's price depends on the letter before it (a doubled letter):
            # other blocks are remembered once, whatever precedes them.
            before = printed[s0 - 1] if s0 and s0 == s1 else ""
            key = (printed[s0:s1], observed[d0:d1], before)
            part = blocks.get(key)
            if part is None:
                if len(blocks) >= MAX_REMEMBERED_BLOCKS:
                    blocks.clear()
                part = blocks[key] = self._price(*key)
            total += part[0]
            atypical += part[1]
        return total, atypical

    def _price(self, src: str, dst: str, before: str) -> tuple[float, float]:
        listed = self.costs.get((src, dst))
        if listed is not None:
            return listed, 0.0
        if len(src) == 1 == len(dst):  # block_cost's answer for the commonest unlisted block
            return DEFAULT_SUBSTITUTE_COST, DEFAULT_SUBSTITUTE_COST
        return block_cost(src, dst, self.costs, before)


def ocr_cost(printed: str, observed: str, costs: Costs) -> float:
    """OCR-aware edit cost of ``printed`` coming out of tesseract as ``observed``."""
    return ocr_cost_parts(printed, observed, costs)[0]

"""Value rules for target / realisasi / capaian / pagu cells: digits follow these, never words.

A garbled percentage is read back from its look-alike digits ('1005' -> '100%'), preferring the
reading the row's other values support, else the one nearest 100: KPU targets and capaian
cluster at 100% (../shared/domain/documents-and-tables.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from normalize.tokens import HAS_DIGIT, Change, RepairResult


class LazyPattern:
    """A regular expression compiled when first matched: a process that repairs text only
    never matches these, and compiling them would cost every start-up half a millisecond."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    def match(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled.match(text)


PERCENT = LazyPattern(r"^\d{1,3}(?:[.,]\d{1,2})?%$")
DIGIT_LOOKALIKES = str.maketrans(
    {"o": "0", "O": "0", "l": "1", "I": "1", "|": "1", "g": "9", "S": "5", "s": "5"}
)
VALUE_TRAIL = ":;,.‘’'\"|"
PLAUSIBLE_PERCENT = 200.0
VALUE_LIKE = LazyPattern(r"^[\dogOlI|S%.,:;‘’'\"]*\d[\dogOlI|S%.,:;‘’'\"]*$|^%+[:;,.]?$")
PERCENT_READ_AS = "580"  # the % sign comes out of tesseract as one of these digits
# The % sign read as two glyphs: "Yo", "Y6", "96", "76" (issue 3: "100Y6", "10096"), alone after
# the number ("95 Yo") or glued to it ("100Y6").
PERCENT_TWO_GLYPHS = LazyPattern(r"^(?:[YVy][o0a6b]|%o|o/o|[97]6)$")
GLUED_PERCENT = LazyPattern(r"^(?P<number>\d{1,3}(?:[.,]\d{1,2})?)(?:[YVy][o0a6b]|%o)$")


def _percent_number(text: str) -> float:
    return float(text.rstrip("%").replace(",", "."))


def _plausible(option: str) -> bool:
    return (
        PERCENT.match(option) is not None
        and not re.match(r"0\d", option)
        and _percent_number(option) <= PLAUSIBLE_PERCENT
    )


def garbled_percent_candidates(token: str) -> list[str]:
    """Readings of a garbled percentage: '1005' -> '100%', '1008%' -> '100%'/'108%'."""
    core = token.rstrip(VALUE_TRAIL).replace("%%", "%")
    if any(c.isdigit() for c in core):
        core = core.translate(DIGIT_LOOKALIKES)
    if PERCENT.match(core) and _percent_number(core) <= PLAUSIBLE_PERCENT:
        return [core]
    glued = GLUED_PERCENT.match(core)
    if glued:
        return [glued.group("number") + "%"]
    digits = core.rstrip("%")
    if not digits.isdigit() or len(digits) < 3:
        return []
    options = []
    if not core.endswith("%") and len(digits) >= 4 and digits[-2:] in ("96", "76"):
        options.append(digits[:-2] + "%")  # the % sign read as "96" / "76"
    if not core.endswith("%"):
        options.append(digits[:-1] + "%")  # the % sign read as 5, 8 or 0
    options += [digits[:i] + digits[i + 1 :] + "%" for i in range(len(digits))]
    return list(dict.fromkeys(o for o in options if _plausible(o)))


def repair_percent_token(token: str, evidence: Sequence[str]) -> str:
    """One percent cell token: the reading the row's other values support, else the likeliest."""
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


def merge_percent_signs(tokens: list[str]) -> list[str]:
    """'100 %' / '100 %%' -> '100%' (a lone percent sign belongs to the number before it)."""
    merged: list[str] = []
    for token in tokens:
        sign = re.fullmatch(r"%+[:;,.]?", token) or PERCENT_TWO_GLYPHS.match(token)
        if sign and merged and re.fullmatch(r"\d{1,3}(?:[.,]\d{1,2})?", merged[-1]):
            merged[-1] += "%"
            continue
        merged.append(token)
    return merged


def repair_value_text(text: str, column: str, row_values: Sequence[str]) -> RepairResult:
    """Value rules for a target / realisasi / capaian / pagu cell."""
    tokens = merge_percent_signs(text.split())
    evidence = [t for t in row_values if PERCENT.match(t)]
    out: list[str] = []
    changes: list[Change] = []
    offset = 0
    for token in tokens:
        fixed = token
        if (
            column == "percent"
            or "%" in token
            or (column == "value" and (evidence or GLUED_PERCENT.match(token)))
        ):
            fixed = repair_percent_token(token, evidence)
        if fixed != token:
            changes.append((token, fixed, text.find(token, offset), 1.0, "value"))
        offset = max(offset, text.find(token, offset))
        out.append(fixed)
    repaired = " ".join(out)
    changed = bool(changes) or repaired != " ".join(text.split())
    return RepairResult(repaired if changed else text, text, tuple(changes))


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
    ends = [m.end() for m in re.finditer(r"\S+", line)]
    return line[: ends[k - 1] if k else 0], tail


def repair_value_tail(values: list[str]) -> list[str]:
    """The value tokens of a line's tail, each percent-like one repaired with the others."""
    merged = merge_percent_signs(values)
    evidence = [v for v in merged if PERCENT.match(v)]
    return [repair_percent_token(v, evidence) if is_percentish(v) else v for v in merged]


def is_percentish(token: str) -> bool:
    """A token with a % sign, or four digits ending in what a % sign is misread as."""
    digits = token.rstrip(VALUE_TRAIL).rstrip("%")
    return "%" in token or (digits.isdigit() and len(digits) == 4 and digits[-1] in PERCENT_READ_AS)

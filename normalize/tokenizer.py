"""spaCy's rule-based Indonesian tokenizer, without importing spaCy.

Importing spaCy and building ``Tokenizer(spacy.lang.id ...)`` costs 1.5 s per process, more than
repairing a whole document. This module runs the same algorithm (spacy/tokenizer.pyx 3.8:
whitespace chunks, then prefixes / suffixes / special cases, then infixes, then the special-case
matcher) over the same patterns, which ``kinerja lexicon build`` writes to
``lexicon/data/tokenizer.json``. tests/test_repair.py checks it against spaCy on the seed texts.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lexicon.cache import column, load_or_build
from lexicon.loader import DATA_DIR, load_lexicon

Token = tuple[str, int, str]  # text, offset in the line, trailing whitespace
MAX_SPECIAL_TOKENS = 8  # the longest special case spans a few tokens only
PLAIN_WORD = re.compile(r"[A-Za-z]{2,}[,;:]?\Z")
PLAIN_SUFFIXES = ",;:"
PLAIN_NUMBER = re.compile(r"[0-9]+[%.,);:]?\Z")
SUFFIX_WINDOW = 12


class TokenizerRules:
    """Compiled affix patterns and special cases (chunk -> its token texts).

    A plain class with slots, not a named tuple or a frozen dataclass: defining either costs
    every process's start-up half a millisecond or more."""

    __slots__ = ("infix", "matched", "matched_first", "prefix", "specials", "suffix", "url")

    def __init__(
        self,
        prefix: Callable[[str], re.Match[str] | None],
        suffix: Callable[[str], re.Match[str] | None],
        infix: Callable[[str], list[re.Match[str]]],
        url: Callable[[str], re.Match[str] | None],
        specials: dict[str, tuple[str, ...]],
        matched: dict[tuple[str, ...], str],  # affix-split token texts -> the special chunk
        matched_first: set[str],  # the first token text of each matched special
    ) -> None:
        self.prefix = prefix
        self.suffix = suffix
        self.infix = infix
        self.url = url
        self.specials = specials
        self.matched = matched
        self.matched_first = matched_first


PATTERNS = ("prefix", "suffix", "infix", "url")
Program = tuple[Any, ...]  # the arguments of _sre.compile for one pattern


def json_to_rules(text: str) -> TokenizerRules:
    """tokenizer.json -> compiled rules."""
    data = json.loads(text)
    patterns = {name: re.compile(data[name]) for name in PATTERNS}
    return patterns_to_rules(patterns, {c: tuple(o) for c, o in data["rules"].items()})


def patterns_to_rules(
    patterns: dict[str, re.Pattern[str]],
    specials: dict[str, tuple[str, ...]],
    matched: dict[tuple[str, ...], str] | None = None,
) -> TokenizerRules:
    """Compiled patterns and special cases -> rules (the matcher entries derived if not given)."""
    rules = TokenizerRules(
        prefix=patterns["prefix"].match,  # every alternative starts with ^
        suffix=_tail_search(patterns["suffix"]),
        infix=_all_matches(patterns["infix"]),
        url=patterns["url"].match,
        specials=specials,
        matched={},
        matched_first=set(),
    )
    rules.matched.update(_matcher_entries(rules) if matched is None else matched)
    rules.matched_first.update(texts[0] for texts in rules.matched)
    return rules


def pattern_to_program(pattern: str) -> Program:
    """What ``re.compile`` hands to ``_sre.compile`` (re/_compiler.py ``compile``).

    Parsing and optimising the 45,000 characters of spaCy's affix classes takes ~100 ms per
    process, longer than repairing a page; the program they compile to loads in under 1 ms.
    """
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, 0)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in parsed.state.groupdict.items():
        indexgroup[i] = name
    # Opcodes are named int constants, of 32 bits (SRE_CODE): stored as an array's bytes, which
    # a cache entry reads in place instead of unpickling ~20,000 ints.
    code = array("I", [int(op) for op in _compiler._code(parsed, 0)]).tobytes()
    groups = parsed.state.groups - 1
    return pattern, int(parsed.state.flags), code, groups, dict(parsed.state.groupdict), indexgroup


def program_to_pattern(program: Program) -> re.Pattern[str]:
    """A cached program back to a pattern; the same as ``re.compile`` of its source."""
    import _sre

    pattern, flags, code, groups, groupindex, indexgroup = program
    opcodes = column("I", code).tolist()
    return _sre.compile(pattern, flags, opcodes, groups, groupindex, tuple(indexgroup))  # type: ignore[no-any-return]


def json_to_cached_parts(text: str) -> dict[str, Any]:
    """What ``cached_rules`` stores: regex programs, special cases, matcher entries."""
    rules = json_to_rules(text)
    data = json.loads(text)
    return {
        "programs": {name: pattern_to_program(data[name]) for name in PATTERNS},
        "specials": rules.specials,
        "matched": rules.matched,
    }


def cached_rules(text: str, sha256: str) -> TokenizerRules:
    """The rules of tokenizer.json, their compiled form read from the user cache.

    The programs are CPython's own and differ between versions, so the entry name carries the
    interpreter version and the regex engine's magic; a program that fails to load (another
    engine) falls back to compiling the patterns.
    """
    import _sre

    name = f"tokenizer-code32-py{sys.version_info[0]}.{sys.version_info[1]}-sre{_sre.MAGIC}"
    parts = load_or_build(name, sha256, lambda: json_to_cached_parts(text))
    try:
        patterns = {n: program_to_pattern(parts["programs"][n]) for n in PATTERNS}
    except (TypeError, ValueError, RuntimeError, KeyError):
        return json_to_rules(text)
    return patterns_to_rules(patterns, parts["specials"], parts["matched"])


def _matcher_entries(rules: TokenizerRules) -> dict[tuple[str, ...], str]:
    """Special cases spaCy adds to its phrase matcher: those with an affix or a space."""
    entries = {}
    for chunk in sorted(rules.specials):
        if rules.prefix(chunk) or rules.infix(chunk) or rules.suffix(chunk) or " " in chunk:
            entries[tuple(chunk_to_texts(chunk, rules, False))] = chunk
    return entries


def _all_matches(pattern: re.Pattern[str]) -> Callable[[str], list[re.Match[str]]]:
    return lambda text: list(pattern.finditer(text))


def _tail_search(pattern: re.Pattern[str]) -> Callable[[str], re.Match[str] | None]:
    """``pattern.search`` for $-anchored suffixes, trying only the last characters first.

    A plain search tries every position of the chunk against 14,000 characters of alternatives;
    suffixes are short, so a match is looked for in the tail, and the whole chunk is searched
    only when the match might extend further left (it starts right at the tail's edge). The
    only suffixes longer than the window are repeats ('.....'), whose tails match too.
    """

    def search(chunk: str) -> re.Match[str] | None:
        start = len(chunk) - SUFFIX_WINDOW
        if start <= 0:
            return pattern.search(chunk)
        match = pattern.search(chunk, start)
        return pattern.search(chunk) if match is not None and match.start() == start else match

    return search


@lru_cache(maxsize=1)
def default_rules() -> TokenizerRules:
    """The rules of the package lexicon (the lexicon hash covers tokenizer.json)."""
    text = (DATA_DIR / "tokenizer.json").read_text(encoding="utf-8")
    return cached_rules(text, load_lexicon().sha256)


def ascii_letters(text: str) -> bool:
    """Text no suffix, infix or url pattern matches (the tests check the lexicon's words):
    their searches try every position against thousands of alternatives, for nothing."""
    return text.isascii() and text.isalpha()


def _affix_length(match: re.Match[str] | None) -> int:
    return match.end() - match.start() if match is not None else 0


def split_affixes(
    chunk: str, rules: TokenizerRules, specials: bool
) -> tuple[list[str], str, list[str]]:
    """(prefixes, core, suffixes) of a whitespace chunk (spaCy's ``_split_affixes``)."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    last_size = 0
    known = rules.specials if specials else {}
    while chunk and len(chunk) != last_size:
        if chunk in known:
            break
        last_size = len(chunk)
        pre = _affix_length(rules.prefix(chunk))
        if pre and chunk[pre:] in known:
            prefixes.append(chunk[:pre])
            return prefixes, chunk[pre:], suffixes
        rest = chunk[pre:]
        suf = 0 if ascii_letters(rest) else _affix_length(rules.suffix(rest))
        if suf and chunk[:-suf] and chunk[:-suf] in known:
            suffixes.append(chunk[-suf:])
            return prefixes, chunk[:-suf], suffixes
        if pre and suf and pre + suf <= len(chunk):
            prefixes.append(chunk[:pre])
            suffixes.append(chunk[-suf:])
            chunk = chunk[pre:-suf]
        elif pre:
            prefixes.append(chunk[:pre])
            chunk = chunk[pre:]
        elif suf:
            suffixes.append(chunk[-suf:])
            chunk = chunk[:-suf]
    return prefixes, chunk, suffixes


def split_infixes(core: str, rules: TokenizerRules) -> list[str]:
    """The core of a chunk split at its infixes (hyphens, slashes between letters ...)."""
    if ascii_letters(core) or rules.url(core):
        return [core]
    parts, start = [], 0
    for match in rules.infix(core):
        if match.start() == 0:
            continue  # spaCy skips an infix at the very start of the core
        if match.start() != start:
            parts.append(core[start : match.start()])
        if match.start() != match.end():
            parts.append(core[match.start() : match.end()])
        start = match.end()
    return parts + ([core[start:]] if core[start:] else [])


def chunk_to_texts(chunk: str, rules: TokenizerRules, specials: bool = True) -> list[str]:
    """The token texts of one whitespace-free chunk."""
    if specials and chunk in rules.specials:
        return list(rules.specials[chunk])
    if PLAIN_WORD.match(chunk):
        # No affix or infix pattern matches inside ASCII letters, and the suffix search is slow
        # (it tries every position); checked against spaCy over the seed texts in the tests.
        return [chunk[:-1], chunk[-1]] if chunk[-1] in PLAIN_SUFFIXES else [chunk]
    if PLAIN_NUMBER.match(chunk):
        # Nor inside ASCII digits, but for one trailing sign (the tests check it on numbers).
        return [chunk] if chunk[-1].isdigit() else [chunk[:-1], chunk[-1]]
    return affixes_to_texts(chunk, rules, specials)


def affixes_to_texts(chunk: str, rules: TokenizerRules, specials: bool = True) -> list[str]:
    """``chunk_to_texts`` by the affix and infix patterns alone (no shortcut)."""
    prefixes, core, suffixes = split_affixes(chunk, rules, specials)
    middle: list[str] = []
    if core and specials and core in rules.specials:
        middle = list(rules.specials[core])
    elif core:
        middle = split_infixes(core, rules)
    return prefixes + middle + suffixes[::-1]


@lru_cache(maxsize=65536)
def cached_chunk(chunk: str) -> tuple[str, ...]:
    """Token texts of a chunk of the default rules (OCR pages repeat their words heavily)."""
    return tuple(chunk_to_texts(chunk, default_rules()))


WHITESPACE_RUNS = re.compile(r"\S+|\s+")


def tokenize(text: str, rules: TokenizerRules | None = None) -> list[Token]:
    """Tokens (text, offset, trailing space) of a line, as spaCy's tokenizer gives them."""
    split = cached_chunk if rules is None else (lambda c: tuple(chunk_to_texts(c, rules)))
    chunks = text.split(" ")
    if text.isprintable() and "" not in chunks:  # single spaces only: no whitespace tokens
        tokens = _single_spaced_tokens(chunks, split)
    else:
        tokens = _whitespace_run_tokens(text, split)
    return apply_matcher(tokens, rules or default_rules())


def _single_spaced_tokens(
    chunks: list[str], split: Callable[[str], tuple[str, ...]]
) -> list[Token]:
    """The tokens of chunks that one space each separates (``_whitespace_run_tokens``'s
    result for such a line, without the regex and the whitespace tests): the last token of
    every chunk but the last trails the space after it."""
    tokens: list[Token] = []
    append = tokens.append
    offset = 0
    for chunk in chunks:
        pieces = split(chunk)
        if len(pieces) == 1:  # most chunks: one token
            append((pieces[0], offset, " "))
        elif not pieces:  # no token to take the space: the general rule
            return _spaced_tokens(chunks, split)
        else:
            start = offset
            for piece in pieces[:-1]:
                append((piece, start, ""))
                start += len(piece)
            append((pieces[-1], start, " "))
        offset += len(chunk) + 1
    tokens[-1] = (tokens[-1][0], tokens[-1][1], "")
    return tokens


def _spaced_tokens(chunks: list[str], split: Callable[[str], tuple[str, ...]]) -> list[Token]:
    """``_single_spaced_tokens`` for chunks of any token count, none included."""
    tokens: list[Token] = []
    append = tokens.append
    offset = 0
    for chunk in chunks:
        if offset:  # the single space before this chunk trails the token before it
            if tokens:
                tokens[-1] = (tokens[-1][0], tokens[-1][1], " ")
            else:
                append((" ", offset - 1, ""))
        start = offset
        for piece in split(chunk):
            append((piece, start, ""))
            start += len(piece)
        offset += len(chunk) + 1
    return tokens


def _whitespace_run_tokens(text: str, split: Callable[[str], tuple[str, ...]]) -> list[Token]:
    """Tokens of any line: chunks split by ``split``, whitespace runs after the first space
    as tokens of their own (spaCy's rule)."""
    tokens: list[Token] = []
    for match in WHITESPACE_RUNS.finditer(text):
        chunk = match[0]
        if chunk.isspace():
            tokens.extend(_space_tokens(chunk, match.start(), tokens))
            continue
        offset = match.start()
        for piece in split(chunk):
            tokens.append((piece, offset, ""))
            offset += len(piece)
    return tokens


def _space_tokens(space: str, start: int, tokens: list[Token]) -> list[Token]:
    """A single space after a token is its trailing whitespace; other runs are tokens."""
    if space.startswith(" ") and tokens:
        text, offset, _ = tokens[-1]
        tokens[-1] = (text, offset, " ")
        space, start = space[1:], start + 1
    return [(space, start, "")] if space else []


def apply_matcher(tokens: list[Token], rules: TokenizerRules) -> list[Token]:
    """Merge token runs spelling a special case with no space inside (spaCy's matcher)."""
    spans = _matcher_spans(tokens, rules)
    if not spans:
        return tokens
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        end = spans.get(i)
        if end is None:
            out.append(tokens[i])
            i += 1
            continue
        chunk = "".join(t[0] for t in tokens[i:end])
        offset = tokens[i][1]
        for piece in rules.specials[chunk]:
            out.append((piece, offset, ""))
            offset += len(piece)
        out[-1] = (out[-1][0], out[-1][1], tokens[end - 1][2])
        i = end
    return out


def _matcher_spans(tokens: list[Token], rules: TokenizerRules) -> dict[int, int]:
    """start -> end of special-case runs, longest first, without overlaps, spaces excluded."""
    texts = [t[0] for t in tokens]
    if rules.matched_first.isdisjoint(texts):  # most lines: no special case starts in them
        return {}
    starts = [i for i, text in enumerate(texts) if text in rules.matched_first]
    found = [
        (start, start + n)
        for start in starts
        for n in range(1, min(MAX_SPECIAL_TOKENS, len(texts) - start) + 1)
        if tuple(texts[start : start + n]) in rules.matched
    ]
    found.sort(key=lambda s: (s[1] - s[0], -s[0]), reverse=True)
    seen: set[int] = set()
    spans = {}
    for start, end in found:
        if start not in seen and end - 1 not in seen and _unspaced(tokens[start:end]):
            spans[start] = end
        seen.update(range(start, end))
    return spans


def _unspaced(run: list[Token]) -> bool:
    return all(not t[2] for t in run[:-1])

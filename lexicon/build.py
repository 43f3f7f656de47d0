"""Regenerate the lexicon data files from their sources (``kinerja lexicon build``).

Sources, all under the shared directory: ``domain/vocabulary.md`` (the 642 KPU terms),
``domain/ocr-noise.md`` (author variants that are not errors, allowed institution codes),
``seeds/000_*.txt`` and ``seeds/004_*.txt`` (the two clean seed texts: domain word and bigram
counts), ``lexicon-sources/indonesian-wordlist.lst`` (general words) and the PyPI package
``wordfreq`` (their frequencies). The noisy seeds (001, 002) and the invented one (003) are never
read: counting them would teach the corrector the OCR errors it must repair.

Output is deterministic: rows are sorted, numbers are formatted with a fixed precision and no
timestamps are written, so running the build twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

CLEAN_SEED_PREFIXES = ("000_", "004_")  # 001/002 are noisy OCR, 003 is invented text
TERM_LINE = re.compile(r"^\[(?P<kind>[MW])\]\s+(?P<body>.+?)\s*$")
SECTION_LINE = re.compile(r"^###\s+(?P<number>6\.\d+)\s+(?P<title>.+?)\s*(\(\d+\))?\s*$")
WORD = re.compile(r"[A-Za-z]+")
PLAIN_WORD = re.compile(r"^[a-z]+$")
MARKUP = re.compile(r"<[^>]*>|\]\([^)]*\)|https?://\S+|\S+@\S+|\S+\.go\.id\S*")
ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,6}$")
ALIAS_ARROW = re.compile(r"(?P<variants>[^;→]+?)\s*→\s*(?P<canonical>[^;.]+)")
GENERAL_EXTRA_ZIPF = 3.0  # wordfreq words missing from the word list but this frequent are real
MIN_GENERAL_ZIPF = 0.0
ROMAN_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
SATKER_TEMPLATES = (
    "KPU {SATKER}",
    "Komisi Pemilihan Umum {SATKER}",
    "Sekretariat KPU {SATKER}",
    "Sekretariat Komisi Pemilihan Umum {SATKER}",
    "KIP {SATKER}",
)


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def vocabulary_md_to_terms(text: str) -> list[tuple[str, str, str, str]]:
    """vocabulary.md -> (term, kind W/M, section, standard flag '1' for † entries) in file order."""
    terms: list[tuple[str, str, str, str]] = []
    section = ""
    for line in text.splitlines():
        heading = SECTION_LINE.match(line)
        if heading:
            section = heading["number"]
            continue
        match = TERM_LINE.match(line)
        if not match or not section:
            continue
        body = match["body"]
        standard = "1" if "†" in body else "0"
        term = re.split(r"\s+†|\s+\(printed", body)[0].strip()
        terms.append((term, match["kind"], section, standard))
    return terms


def text_to_words(text: str) -> Iterator[list[str]]:
    """Clean text -> per line, its alphabetic words (markup, links and addresses removed)."""
    for line in text.splitlines():
        words = WORD.findall(MARKUP.sub(" ", line))
        if words:
            yield words


def clean_seed_texts(shared_dir: Path) -> list[str]:
    """The texts of the clean seeds, in name order."""
    seeds = sorted((shared_dir / "seeds").glob("*.txt"))
    return [_read_text(p) for p in seeds if p.name.startswith(CLEAN_SEED_PREFIXES)]


def domain_lines(shared_dir: Path, terms: Iterable[tuple[str, str, str, str]]) -> list[list[str]]:
    """Word lines of the clean seeds followed by one line per vocabulary term."""
    lines = [words for text in clean_seed_texts(shared_dir) for words in text_to_words(text)]
    lines.extend(words for term, *_ in terms for words in text_to_words(term))
    return lines


def lines_to_word_counts(lines: Iterable[list[str]]) -> Counter[str]:
    """Lower-cased word counts."""
    return Counter(word.lower() for words in lines for word in words)


def lines_to_bigram_counts(lines: Iterable[list[str]]) -> Counter[tuple[str, str]]:
    """Lower-cased adjacent word pairs within a line."""
    counts: Counter[tuple[str, str]] = Counter()
    for words in lines:
        lowered = [w.lower() for w in words]
        counts.update(zip(lowered, lowered[1:], strict=False))
    return counts


def wordlist_to_words(text: str) -> set[str]:
    """The word list's single plain words (multi-word and apostrophe entries are dropped)."""
    return {w.strip() for w in text.splitlines() if PLAIN_WORD.match(w.strip())}


def general_word_zipf(words: set[str]) -> dict[str, float]:
    """Zipf frequency (wordfreq, Indonesian) for the word list plus wordfreq's frequent words."""
    import wordfreq

    freqs = wordfreq.get_frequency_dict("id")
    zipf = {w: (math.log10(freqs[w] * 1e9) if w in freqs else MIN_GENERAL_ZIPF) for w in words}
    for word, freq in freqs.items():
        value = math.log10(freq * 1e9)
        if PLAIN_WORD.match(word) and value >= GENERAL_EXTRA_ZIPF:
            zipf.setdefault(word, value)
    return zipf


def noise_md_to_variants(noise_md: str, vocabulary_md: str) -> dict[str, str]:
    """Author variants that are not OCR errors -> canonical form ('' when the source gives none)."""
    variants: dict[str, str] = {}
    section = noise_md.split("### 5.3", 1)[-1].split("indiscriminate casing", 1)[0]
    for quoted in re.findall(r"`([^`]+)`", section):
        variants.setdefault(quoted.strip(), "")
    alias_text = vocabulary_md.split("Author variants to keep as aliases", 1)[-1]
    alias_text = alias_text.split("\n\n", 1)[0].replace("\n", " ")
    for match in ALIAS_ARROW.finditer(alias_text.split(":", 1)[-1]):
        canonical = match["canonical"].strip()
        for variant in match["variants"].split("/"):
            variants[variant.strip()] = canonical
    return {k: v for k, v in variants.items() if k}


def allowed_codes(noise_md: str) -> set[str]:
    """Institution codes the noise notes list as legitimate (the 'allowed set')."""
    match = re.search(r"allowed set \(([^)]*)\)", noise_md)
    return {c.strip() for c in match[1].split(",") if ACRONYM.match(c.strip())} if match else set()


def collect_acronyms(
    terms: Iterable[tuple[str, str, str, str]],
    seed_texts: Iterable[str],
    general: set[str],
    noise_md: str,
) -> dict[str, str]:
    """Case-sensitive acronyms -> where they came from (vocabulary, clean seeds, noise notes).

    A [W] term in capitals is an acronym; elsewhere a capitalised token counts only when it is
    not a word of the general list (headings print ordinary words in capitals too).
    """
    found: dict[str, str] = {}
    for term, kind, *_ in terms:
        for token in re.findall(r"[A-Za-z0-9]+", term):
            if ACRONYM.match(token) and (kind == "W" or token.lower() not in general):
                found.setdefault(token, "vocabulary")
    for code in allowed_codes(noise_md):
        found.setdefault(code, "ocr-noise")
    counts = Counter(t for text in seed_texts for t in re.findall(r"[A-Za-z0-9]+", text))
    for token, count in counts.items():
        if count >= 2 and ACRONYM.match(token) and token.lower() not in general:
            found.setdefault(token, "seeds")
    for numeral in ROMAN_NUMERALS:
        found.setdefault(numeral, "roman")
    return found


def satker_rows(terms: Iterable[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """(kind, text): satker place names from vocabulary §6.2 and the name templates."""
    places = sorted({t for t, kind, sec, _ in terms if sec == "6.2" and kind == "M"})
    return [("place", p) for p in places] + [("template", t) for t in SATKER_TEMPLATES]


def rows_to_csv(header: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> str:
    """Rows -> CSV text with Unix line ends (stable across platforms)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def spacy_tokenizer_rules() -> str:
    """spaCy's Indonesian tokenizer rules as JSON (affix and URL patterns, special cases).

    normalize/tokenizer.py runs spaCy's algorithm over these patterns: importing spaCy and
    building its tokenizer takes 1.5 s per process, the repair's largest start-up cost. The
    15,600 hyphenated special cases ('aba-aba') are left out, as before: the repair treats the
    two halves as words anyway.
    """
    from spacy.lang.id import Indonesian
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    defaults = Indonesian.Defaults
    rules = {
        chunk: [token[65] for token in tokens]  # 65 = spacy.attrs.ORTH
        for chunk, tokens in defaults.tokenizer_exceptions.items()
        if "-" not in chunk
    }
    data = {
        "prefix": compile_prefix_regex(defaults.prefixes).pattern,
        "suffix": compile_suffix_regex(defaults.suffixes).pattern,
        "infix": compile_infix_regex(defaults.infixes).pattern,
        "url": defaults.url_match.__self__.pattern,  # type: ignore[union-attr]
        "rules": rules,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=0) + "\n"


def _source_rows(shared_dir: Path) -> list[tuple[str, str, str]]:
    import wordfreq

    paths = [
        shared_dir / "domain" / "vocabulary.md",
        shared_dir / "domain" / "ocr-noise.md",
        shared_dir / "lexicon-sources" / "indonesian-wordlist.lst",
    ]
    paths += [
        p
        for p in sorted((shared_dir / "seeds").glob("*.txt"))
        if p.name.startswith(CLEAN_SEED_PREFIXES)
    ]
    rows = [
        (str(p.relative_to(shared_dir)), hashlib.sha256(p.read_bytes()).hexdigest(), "file")
        for p in paths
    ]
    version = getattr(wordfreq, "__version__", "") or _package_version("wordfreq")
    rows.append(("pypi:wordfreq", version, "package"))
    rows.append(("pypi:spacy", _package_version("spacy"), "package"))
    return rows


def _package_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def build_outputs(shared_dir: Path) -> dict[str, str]:
    """All generated files: name -> CSV text."""
    vocabulary_md = _read_text(shared_dir / "domain" / "vocabulary.md")
    noise_md = _read_text(shared_dir / "domain" / "ocr-noise.md")
    terms = vocabulary_md_to_terms(vocabulary_md)
    lines = domain_lines(shared_dir, terms)
    wordlist = wordlist_to_words(
        _read_text(shared_dir / "lexicon-sources" / "indonesian-wordlist.lst")
    )
    zipf = general_word_zipf(wordlist)
    words = lines_to_word_counts(lines)
    bigrams = lines_to_bigram_counts(lines)
    acronyms = collect_acronyms(terms, clean_seed_texts(shared_dir), wordlist, noise_md)
    return {
        "vocabulary.csv": rows_to_csv(("term", "kind", "section", "standard"), terms),
        "domain_words.csv": rows_to_csv(("word", "count"), sorted(words.items())),
        "domain_bigrams.csv": rows_to_csv(
            ("first", "second", "count"), sorted((a, b, n) for (a, b), n in bigrams.items())
        ),
        "general_words.csv": rows_to_csv(
            ("word", "zipf"), sorted((w, f"{z:.2f}") for w, z in zipf.items())
        ),
        "variants.csv": rows_to_csv(
            ("variant", "canonical"), sorted(noise_md_to_variants(noise_md, vocabulary_md).items())
        ),
        "acronyms.csv": rows_to_csv(("acronym", "source"), sorted(acronyms.items())),
        "satker.csv": rows_to_csv(("kind", "text"), satker_rows(terms)),
        "tokenizer.json": spacy_tokenizer_rules(),
        "sources.csv": rows_to_csv(
            ("source", "sha256_or_version", "kind"), _source_rows(shared_dir)
        ),
    }


def build_lexicon(shared_dir: Path, out_dir: Path) -> list[Path]:
    """Write the generated lexicon files into ``out_dir``; return their paths (sorted)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(build_outputs(Path(shared_dir)).items()):
        path = out_dir / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written

"""doc_type, satker, tahun and pihak from the page texts of one document.

The year is taken from titles and captions ("PERJANJIAN KINERJA TAHUN 2024", "TAHUN ANGGARAN
2024", "TAHUN : 2024"), never from a signing date: a LAKIP 2024 is signed in January 2025.
"""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import fuzz

from normalize.models import DocumentInfo

TITLE_PAGES = 2  # the doc type, satker and year are stated on the cover / first page
TITLE_LINE_MAX_WORDS = 14  # longer lines are body text, not titles
TITLE_MATCH_CUTOFF = 88.0  # rapidfuzz partial_ratio of a title phrase inside an OCR'd line
RUNNING_HEADER_MIN_PAGES = 3  # a line printed on this many pages is a running header/footer
# Most specific first: "PERUBAHAN PERJANJIAN KINERJA" must win over "PERJANJIAN KINERJA".
DOC_TYPE_TITLES: tuple[tuple[str, str], ...] = (
    ("KEPUTUSAN", "KEPUTUSAN KOMISI PEMILIHAN UMUM"),
    ("PK_PERUBAHAN", "PERUBAHAN PERJANJIAN KINERJA"),
    ("PK_PERUBAHAN", "PERUBAHAN PENETAPAN KINERJA"),
    ("RENCANA_AKSI", "RENCANA AKSI"),
    ("RKT", "RENCANA KINERJA TAHUNAN"),
    ("IKU", "INDIKATOR KINERJA UTAMA"),
    ("RENSTRA", "RENCANA STRATEGIS"),
    ("LAKIP", "LAPORAN AKUNTABILITAS KINERJA"),
    ("LAKIP", "LAPORAN KINERJA"),
    ("LAKIP", "LAKIP"),
    ("PK", "PERJANJIAN KINERJA"),
    ("PK", "PENETAPAN KINERJA"),
)
_YEAR_RE = re.compile(r"\bTAHUN(?:\s+ANGGARAN)?\s*:?\s*(20\d{2})\b", re.IGNORECASE)
_DECREE_YEAR_RE = re.compile(r"\b(?:NOMOR|NO\.?)\s*[\w./-]*\s+TAHUN\s*$", re.IGNORECASE)
_SATKER_RE = re.compile(
    r"(?P<sekretariat>SEKRETARIAT\s+)?(?:KOMISI\s+PEMILIHAN\s+UMUM|KPU)\s+"
    r"(?P<level>KOTA|KABUPATEN|KAB\.?|PROVINSI)\s+(?P<name>[A-Za-z][A-Za-z ]*)",
    re.IGNORECASE,
)
_NAME_STOP = frozenset(
    [
        "tahun",
        "nomor",
        "tentang",
        "dan",
        "yang",
        "pada",
        "alamat",
        "perubahan",
        "perjanjian",
        "penetapan",
        "rencana",
        "laporan",
        "keputusan",
        "selaku",
        "dengan",
        "untuk",
        "dalam",
        "atas",
        "di",
        "ke",
        "sebagai",
        "provinsi",
        "telp",
        "jalan",
        "jl",
    ]
)
_JABATAN_RE = re.compile(r"^\s*Jabatan\s*[:;.]?\s+(?P<role>.+)$", re.IGNORECASE | re.MULTILINE)
# OCR spells the tail "Komis: Pemilihan Umtn", "Komis Penmliban Umum": match the first word loosely.
_ROLE_TAIL_RE = re.compile(
    r"\s+(?:pada\s+)?(?:Sekretariat\s+)?(?:Komis\w*|KPU|KPO)\b.*$", re.IGNORECASE
)
# The two statutory signatories, so that OCR'd "Sekretanis" / "Sehretans" still group together.
SIGNATORY_ROLES = ("Ketua", "Sekretaris")
ROLE_MATCH_CUTOFF = 75.0
_LEVEL_NAMES = {
    "kota": "Kota",
    "kabupaten": "Kabupaten",
    "kab": "Kabupaten",
    "provinsi": "Provinsi",
}


def title_lines(text: str) -> list[str]:
    """Short lines of a page: cover titles, captions, headings."""
    lines = [" ".join(re.sub(r"[*#<>]", " ", line).split()) for line in text.splitlines()]
    return [line for line in lines if line and len(line.split()) <= TITLE_LINE_MAX_WORDS]


def title_to_doc_type(text: str) -> str | None:
    """The document type a title names: "PERUBAHAN PERJANJIAN KINERJA 2024" -> PK_PERUBAHAN."""
    upper = " ".join(text.upper().split())
    for doc_type, phrase in DOC_TYPE_TITLES:
        if phrase in upper:
            return doc_type
    for doc_type, phrase in DOC_TYPE_TITLES:
        # Fuzzy only for long phrases: OCR'd "PERJANJIAN KINERIA", not "RENCANA" ~ "RENCANA AKSI".
        long_enough = len(phrase) >= 14 and len(upper) >= len(phrase)
        if long_enough and fuzz.partial_ratio(phrase, upper) >= TITLE_MATCH_CUTOFF:
            return doc_type
    return None


def text_to_tahun(text: str) -> int | None:
    """The first "TAHUN 2024" / "TAHUN ANGGARAN 2024" that is not a decree number's year."""
    for match in _YEAR_RE.finditer(text):
        if not _DECREE_YEAR_RE.search(text[max(0, match.start() - 30) : match.start() + 5]):
            return int(match.group(1))
    return None


def text_to_satkers(text: str) -> list[str]:
    """Every satker named in a text, in order, normalised."""
    flat = " ".join(text.split())
    return [s for s in map(_match_to_satker, _SATKER_RE.finditer(flat)) if s]


def text_to_satker(text: str) -> str:
    """The first satker named: "SEKRETARIAT KOMISI PEMILIHAN UMUM KABUPATEN KUBU RAYA" ->
    "Sekretariat KPU Kabupaten Kubu Raya"."""
    found = text_to_satkers(text)
    return found[0] if found else ""


def _match_to_satker(match: re.Match[str]) -> str:
    before = match.string[max(0, match.start() - 40) : match.start()].lower()
    if "salinan sesuai" in before:  # the certifying office of a copy, not the document's author
        return ""
    words: list[str] = []
    for word in match.group("name").split():
        if word.lower() in _NAME_STOP or (words and word[0].islower()) or len(words) == 3:
            break
        words.append(word.capitalize())
    if not words:
        return ""
    level = _LEVEL_NAMES[match.group("level").lower().rstrip(".")]
    prefix = "Sekretariat " if match.group("sekretariat") else ""
    return f"{prefix}KPU {level} {' '.join(words)}"


def text_to_pihak(text: str) -> str:
    """The first "Jabatan : ..." of a page (Pihak Pertama), without the satker tail."""
    match = _JABATAN_RE.search(text)
    if not match:
        return ""
    role = _ROLE_TAIL_RE.sub("", " ".join(match.group("role").replace("*", "").split()))
    role = role.strip(" ,.;:")
    for canonical in SIGNATORY_ROLES:
        if fuzz.ratio(role.lower(), canonical.lower()) >= ROLE_MATCH_CUTOFF:
            return canonical
    return role


def running_lines(pages: list[tuple[int, str]]) -> frozenset[str]:
    """Lines printed on many pages (running headers, footers, watermarks)."""
    counts: Counter[str] = Counter()
    for _, text in pages:
        counts.update({line.upper() for line in title_lines(text)})
    return frozenset(line for line, n in counts.items() if n >= RUNNING_HEADER_MIN_PAGES)


def pages_to_pihak_by_page(
    pages: list[tuple[int, str]], running: frozenset[str]
) -> tuple[tuple[int, str], ...]:
    """(first page, pihak) each time a PK statement names a new signatory or another doc starts."""
    changes: list[tuple[int, str]] = []
    for number, text in pages:
        pihak = text_to_pihak(text)
        if not pihak:
            titles = [line for line in title_lines(text) if line.upper() not in running]
            doc_types = {title_to_doc_type(line) for line in titles} - {None}
            # A new RKT / Rencana Aksi / LAKIP section is nobody's PK: stop the last pihak there.
            if not doc_types or doc_types & {"PK", "PK_PERUBAHAN", "KEPUTUSAN"}:
                continue
        if (changes and changes[-1][1] != pihak) or (not changes and pihak):
            changes.append((number, pihak))
    return tuple(changes)


def pages_to_satker(pages: list[tuple[int, str]], first: list[tuple[int, str]]) -> str:
    """The unit named most often in the document (OCR variants lose the vote), prefixed with
    "Sekretariat" when the first unit named after the title is the Sekretariat."""
    names: Counter[str] = Counter()
    for _, text in pages:
        names.update(s.removeprefix("Sekretariat ") for s in text_to_satkers(text))
    if not names:
        return ""
    name = names.most_common(1)[0][0]
    flat = " ".join(" ".join(text for _, text in first).split())
    titled = text_to_satkers(flat[title_position(flat) :]) or text_to_satkers(flat)
    return f"Sekretariat {name}" if titled and titled[0] == f"Sekretariat {name}" else name


def title_position(flat: str) -> int:
    """Where the first document title phrase starts in a text, 0 when none is printed."""
    upper = flat.upper()
    found = [upper.find(phrase) for _, phrase in DOC_TYPE_TITLES if phrase in upper]
    return min(found) if found else 0


def pages_to_document_info(pages: list[tuple[int, str]]) -> DocumentInfo:
    """Document type, satker, year and pihak per page from (page number, page text) pairs."""
    pages = sorted(pages)
    running = running_lines(pages)
    first = [(n, t) for n, t in pages if t.strip()][:TITLE_PAGES]
    titles = [line for _, text in first for line in title_lines(text)]
    doc_type = next((t for t in map(title_to_doc_type, titles) if t), None)
    satker = pages_to_satker(pages, first)
    tahun = text_to_tahun("\n".join(titles)) or text_to_tahun("\n".join(t for _, t in first))
    return DocumentInfo(
        doc_type=doc_type or "LAINNYA",
        satker=satker,
        tahun=tahun,
        pihak_by_page=pages_to_pihak_by_page(pages, running),
    )

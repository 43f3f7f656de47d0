"""Table + column map -> IndicatorRow / BudgetRow (merged cells, group rows, bullets, page breaks).

The grid comes from extract/ as printed: header rows repeat where the table continues on a new
page, a sasaran merged over several indicators is one Cell with row_span > 1, a row broken by
the page break continues at the top of the next page with an empty NO cell, and one cell can
stack several bulleted indicators over a target cell with as many values ("B WTP 80").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from extract.models import Table
from normalize.budget import (  # noqa: F401  (split_kode and collapse_letter_spacing: public here too)
    PROGRAM_NAME_MARKERS,
    budget_segment_to_rows,
    collapse_letter_spacing,
    headerless_budget_map,
    split_kode,
)
from normalize.checks import budget_rows_reasons, capaian_computed, indicator_row_reasons
from normalize.grid_rows import (  # noqa: F401  (the grid types are part of this module's API)
    GridRow,
    Repair,
    TableContext,
    TableRows,
    join_lines,
    printed_value_text,
    row_base,
    row_texts,
    table_to_grid_rows,
    title_to_sasaran,
)
from normalize.headers import (
    MAX_HEADER_ROWS,
    ColumnMap,
    header_rows_to_column_map,
    is_header_row,
    is_numbering_row,
)
from normalize.models import BudgetRow, IndicatorRow, TableIssue, ValueKind
from normalize.values import split_stacked_values, text_to_value

INDICATOR_OPENERS = (
    "Persentase",
    "Prosentase",
    "Presentase",
    "Persentasi",
    "Jumlah",
    "Nilai",
    "Indeks",
    "Index",
    "Opini",
)
MIN_INDICATOR_WORDS = 3  # a split piece shorter than this is not an indicator sentence
UNPARSED_SIGNAL_ROWS = 2  # indicator sentences needed to call an unmapped table an indicator table
EXTRA_IN_INDICATOR = frozenset(
    {"program", "kegiatan", "anggaran", "pagu", "persen", "uraian", "kode"}
)
_BULLET_GLYPHS = "•·▪●◦‣∙"
# Tesseract reads a round bullet as "e", "o", "©", "@", "¢", "#", "®" or "°": such a lone glyph
# counts as a bullet where a capitalised word follows it.
_BULLET_LINE_RE = re.compile(rf"^\s*(?:[{_BULLET_GLYPHS}\-–*+»«¢]|[eo©@#®°](?=\s+[A-Z]))\s*")
_OPENER_SPLIT_RE = re.compile(rf"\s(?=(?:{'|'.join(INDICATOR_OPENERS)})\b)")
_GROUP_MARKER_RE = re.compile(r"^\s*([A-Za-z]{1,4}|\d{1,2})[.)]\s*\S")


def grid_rows_to_segments(
    rows: list[GridRow], colmap: ColumnMap, n_cols: int
) -> list[tuple[ColumnMap, list[GridRow]]]:
    """Drop repeated header and numbering rows; a new header of another kind starts a segment
    (a PK's Program | Anggaran block printed inside the indicator grid)."""
    segments: list[tuple[ColumnMap, list[GridRow]]] = [(colmap, [])]
    for row in rows:
        texts = row_texts(row, n_cols)
        if not any(t.strip() for t in texts) or is_numbering_row(texts):
            continue
        if sum(1 for t in texts if t.strip()) >= 2 and is_header_row(texts):
            header = header_rows_to_column_map([texts])
            if (
                header
                and header.kind in ("indicator", "budget")
                and header.kind != segments[-1][0].kind
            ):
                segments.append((header, []))
            continue
        segments[-1][1].append(row)
    return [segment for segment in segments if segment[1]]


def _value_cols(colmap: ColumnMap) -> list[int]:
    names = ("target", "realisasi", "capaian", "pagu", "anggaran", "persen")
    return [i for i, n in enumerate(colmap.columns) if n in names or n.startswith("target_")]


def _starts_new_indicator(text: str) -> bool:
    text = text.lstrip()
    return bool(_BULLET_LINE_RE.match(text)) or text.startswith(INDICATOR_OPENERS)


def is_continuation(prev: GridRow, row: GridRow, colmap: ColumnMap, page_changed: bool) -> bool:
    """A row broken by a page break (or a wrapped line) that belongs to the row above.

    ``page_changed`` is true only for the first body row on a new page: that is where a
    broken row continues, never further down the page."""
    if row.own_text(colmap.index("no")).strip():
        return False
    sasaran = row.own_text(colmap.index("sasaran"))
    indikator = row.own_text(colmap.index("indikator"))
    has_values = any(row.own_text(c) for c in _value_cols(colmap))
    texts = [t for t in (sasaran, indikator) if t]
    lower_start = bool(texts) and all(t[0].islower() for t in texts)
    if page_changed and colmap.index("no") is not None:
        if sasaran:
            return True
        return not indikator or not _starts_new_indicator(indikator) or indikator[0].islower()
    if page_changed:  # no NO column to tell: only text that visibly carries on
        return lower_start or (not indikator and not has_values and bool(texts))
    return not has_values and lower_start


def join_continuations(rows: list[GridRow], colmap: ColumnMap) -> list[GridRow]:
    joined: list[GridRow] = []
    previous_page: int | None = None
    for row in rows:
        page_changed = previous_page is not None and row.page != previous_page
        previous_page = row.page
        if joined and is_continuation(joined[-1], row, colmap, page_changed):
            prev = joined[-1]
            for col in row.anchored:
                prev.lines.setdefault(col, [])
                prev.lines[col] = prev.lines[col] + row.lines.get(col, [])
                prev.anchored.add(col)
            prev.cells.extend(c for c in row.cells if c not in prev.cells)
        else:
            joined.append(row)
    return joined


def group_label(row: GridRow, colmap: ColumnMap) -> str | None:
    """ "A. PROGRAM DUKUNGAN MANAJEMEN" when the row is a group row, else None."""
    if any(row.own_text(c) for c in _value_cols(colmap)):
        return None
    filled = [c for c in sorted(row.lines) if row.own_text(c)]
    no_col, indikator_col = colmap.index("no"), colmap.index("indikator")
    if len(filled) == 2 and filled[0] == no_col and len(row.own_text(no_col)) <= 4:
        label_col = filled[1]
    elif len(filled) == 1:
        label_col = filled[0]
    else:
        return None
    if label_col == indikator_col and label_col not in row.spans:
        return None
    return " ".join(row.own_text(c) for c in filled)


def group_level(label: str) -> int:
    """0 for a program group ("A.", "II.", "1. PROGRAM ..."), 1 for a kegiatan group ("a.")."""
    marker = _GROUP_MARKER_RE.match(label)
    if re.search(r"\bprogram\b", label, re.IGNORECASE) and not re.search(r"[a-z]\.", label[:3]):
        return 0
    return 0 if marker and marker.group(1).isupper() else 1


def split_indicators(text_lines: list[str]) -> tuple[list[str], bool]:
    """Indicator texts of one cell and whether they were bulleted explicitly."""
    text = "\n".join(re.sub(r"<[^>]*>", " ", line) for line in text_lines)
    text = re.sub(rf"\s*[{_BULLET_GLYPHS}]\s*", "\n• ", text)
    items: list[list[str]] = []
    bulleted = 0
    for line in text.splitlines():
        bullet = _BULLET_LINE_RE.match(line)
        if bullet:
            bulleted += 1
            items.append([line[bullet.end() :]])
        elif items:
            items[-1].append(line)
        else:
            items.append([line])
    pieces = [p for p in (join_lines(item) for item in items) if p]
    if bulleted >= 2:
        return pieces, True
    lines = text.splitlines()
    if lines and (bullet := _BULLET_LINE_RE.match(lines[0])):
        lines[0] = lines[0][bullet.end() :]  # one bulleted indicator: the bullet is not text
    whole = join_lines(lines).removeprefix("• ")
    split = [p for p in _OPENER_SPLIT_RE.split(whole) if p.strip()]
    if len(split) > 1 and all(len(p.split()) >= MIN_INDICATOR_WORDS for p in split):
        return split, False
    return ([whole] if whole else []), False


def stacked_values(lines: list[str]) -> list[str]:
    return [value for line in lines for value in split_stacked_values(line)]


@dataclass(slots=True)
class _Walk:
    """What the rows above say about the next one: groups, and the sasaran it may inherit."""

    groups: list[tuple[int, str]] = field(default_factory=list)
    no: str = ""
    sasaran_raw: str = ""

    def enter_group(self, label: str) -> None:
        level = group_level(label)
        self.groups = [g for g in self.groups if g[0] < level] + [(level, label)]
        self.no, self.sasaran_raw = "", ""

    @property
    def kelompok(self) -> str:
        return " > ".join(label for _, label in self.groups)


def _sasaran_level(colmap: ColumnMap, walk: _Walk, title_level: str) -> str:
    if colmap.sasaran_level == "program/kegiatan":
        if not walk.groups:
            return ""
        return "kegiatan" if walk.groups[-1][0] >= 1 else "program"
    return colmap.sasaran_level or title_level


def _pick(stack: list[str], index: int, whole: str, split: bool) -> str:
    return stack[index] if split and stack else whole


def grid_row_to_indicator_rows(
    row: GridRow, colmap: ColumnMap, walk: _Walk, base: dict[str, object], repair: Repair
) -> list[IndicatorRow]:
    """One IndicatorRow per indicator in the row's cell and per target year."""
    ind_col = colmap.index("indikator")
    pieces, bulleted = split_indicators(row.lines.get(ind_col, []) if ind_col is not None else [])
    pieces = pieces or [""]
    targets = [(int(n[7:]), i) for i, n in enumerate(colmap.columns) if n.startswith("target_")]
    targets = targets or [(None, colmap.index("target"))]  # type: ignore[list-item]
    value_cols = [c for _, c in targets] + [colmap.index("realisasi"), colmap.index("capaian")]
    stacks = {c: stacked_values(row.lines.get(c, [])) for c in value_cols if c is not None}
    split = len(pieces) > 1 and all(len(s) in (0, len(pieces)) for s in stacks.values())
    flags: tuple[str, ...] = ()
    if len(pieces) > 1 and not split:
        if bulleted:
            flags = ("VALUE_UNPARSED",)  # n bullets but not n targets: one row, for a reviewer
        pieces = [row.text(ind_col)]
    out = []
    for k, piece in enumerate(pieces):
        for year, target_col in targets:
            raws = {
                name: _pick(stacks.get(col, []) if col is not None else [], k, row.text(col), split)
                for name, col in (
                    ("target", target_col),
                    ("realisasi", colmap.index("realisasi")),
                    ("capaian", colmap.index("capaian")),
                )
            }
            out.append(_indicator_row(row, colmap, walk, base, repair, piece, raws, year, flags))
    return out


_LIST_NUMBER_RE = re.compile(rf"^\d{{1,2}}[.)]?\s+(?=(?:{'|'.join(INDICATOR_OPENERS)})\b)")


def strip_list_number(indikator: str) -> str:
    """ "1 Prosentase Temuan ..." -> "Prosentase Temuan ...": a running number printed in the
    indicator cell is a list marker (the row's NO column holds the row number)."""
    return _LIST_NUMBER_RE.sub("", indikator)


_PERCENT_INDICATOR_RE = re.compile(
    r"^\W*(?:p[re]r?o?s?\w*entase|presentase|persentasi)\b", re.IGNORECASE
)
_BARE_NUMBER_RE = re.compile(r"^[\d.,\s%YyVvoab/]+$")


def value_column_kind(indikator: str) -> Callable[[str], str]:
    """A "Persentase ..." indicator's bare-number cells are read as percentages ("10076" ->
    "100%"); a cell with a unit word ("1 Satker", "454 badan adhoc") keeps the value rules."""
    percent = bool(_PERCENT_INDICATOR_RE.match(indikator))
    return lambda raw: "percent" if percent and _BARE_NUMBER_RE.match(raw) else "value"


def _indicator_row(
    row: GridRow,
    colmap: ColumnMap,
    walk: _Walk,
    base: dict[str, object],
    repair: Repair,
    indikator_raw: str,
    raws: dict[str, str],
    year: int | None,
    flags: tuple[str, ...],
) -> IndicatorRow:
    kind = value_column_kind(indikator_raw)
    repaired = {
        "target": repair(raws["target"], kind(raws["target"])) if raws["target"] else "",
        "realisasi": repair(raws["realisasi"], kind(raws["realisasi"]))
        if raws["realisasi"]
        else "",
        "capaian": repair(raws["capaian"], "percent") if raws["capaian"] else "",
    }
    target = text_to_value(repaired["target"])
    realisasi = text_to_value(repaired["realisasi"])
    capaian = text_to_value(repaired["capaian"], "percent")
    sasaran_raw = walk.sasaran_raw or str(base["title_sasaran"])
    extraction = str(base["extraction"])
    extra = tuple(
        (
            colmap.printed[c] if colmap.printed else name,
            " ".join(repair(row.text(c), "text").split()),
        )
        for c, name in enumerate(colmap.columns)
        if name.startswith("extra:") or name in EXTRA_IN_INDICATOR
    )
    return IndicatorRow(
        source_file=str(base["source_file"]),
        doc_sha256=str(base["doc_sha256"]),
        page=row.page,
        table_index=int(str(base["table_index"])),
        row_index=0,
        extraction=extraction,
        ocr_confidence=row.confidence() if extraction == "ocr" else None,
        doc_type=str(base["doc_type"]),
        satker=str(base["satker"]),
        tahun=year if year is not None else base["tahun"],  # type: ignore[arg-type]
        pihak=str(base["pihak"]),
        table_title=str(base["table_title"]),
        sasaran_level=_sasaran_level(colmap, walk, str(base["title_level"])),
        kelompok=walk.kelompok,
        no=walk.no,
        sasaran=" ".join(repair(sasaran_raw, "sasaran").split()) if sasaran_raw else "",
        indikator=strip_list_number(" ".join(repair(indikator_raw, "indikator").split()))
        if indikator_raw
        else "",
        target=printed_value_text(target, repaired["target"]),
        target_value=target.number if target.kind is ValueKind.NUMBER else None,
        target_unit=target.unit,
        realisasi=printed_value_text(realisasi, repaired["realisasi"]),
        realisasi_value=realisasi.number if realisasi.kind is ValueKind.NUMBER else None,
        realisasi_unit=realisasi.unit,
        capaian=printed_value_text(capaian, repaired["capaian"]),
        capaian_value=capaian.number if capaian.kind is ValueKind.NUMBER else None,
        capaian_computed=capaian_computed(target, realisasi),
        needs_review=False,
        review_reasons=flags,
        sasaran_raw=sasaran_raw,
        indikator_raw=indikator_raw,
        target_raw=raws["target"],
        realisasi_raw=raws["realisasi"],
        capaian_raw=raws["capaian"],
        extra=extra,
    )


def indicator_segment_to_rows(
    table: Table,
    table_index: int,
    ctx: TableContext,
    colmap: ColumnMap,
    rows: list[GridRow],
    repair: Repair,
) -> list[IndicatorRow]:
    walk = _Walk()
    out: list[IndicatorRow] = []
    no_col, sasaran_col = colmap.index("no"), colmap.index("sasaran")
    for row in join_continuations(rows, colmap):
        label = group_label(row, colmap)
        if label is not None:
            walk.enter_group(" ".join(repair(label, "text").split()))
            continue
        no, sasaran = row.text(no_col), row.text(sasaran_col)
        if no or sasaran:  # else: the sasaran (and no) of the row above continue
            walk.no, walk.sasaran_raw = no, sasaran
        base = row_base(table, table_index, ctx, row.page)
        out.extend(grid_row_to_indicator_rows(row, colmap, walk, base, repair))
    return out


def looks_like_indicator_table(table: Table, colmap: ColumnMap | None) -> bool:
    """Header words of an indicator table, or several indicator sentences in the body."""
    if colmap is not None and {"indikator", "sasaran"} & set(colmap.columns):
        return True
    sentences = 0
    for r in range(table.n_rows):
        for text in table.row_texts(r):
            text = text.strip()
            if text.startswith(INDICATOR_OPENERS) and len(text.split()) >= MIN_INDICATOR_WORDS:
                sentences += 1
    return sentences >= UNPARSED_SIGNAL_ROWS


def _numbered(rows: list, reasons: list[tuple[str, ...]]) -> tuple:
    return tuple(
        dataclasses.replace(row, row_index=i, review_reasons=r, needs_review=bool(r))
        for i, (row, r) in enumerate(zip(rows, reasons, strict=True), start=1)
    )


def table_to_rows(
    table: Table,
    table_index: int,
    ctx: TableContext,
    repair: Repair = lambda text, column: text,
) -> TableRows:
    """Indicator or budget rows of one logical table, with the table-level issues found."""
    first_rows = [table.row_texts(r) for r in range(min(MAX_HEADER_ROWS, table.n_rows))]
    colmap = header_rows_to_column_map(first_rows) or headerless_budget_map(table)
    if colmap is None or colmap.kind == "skip":
        if not looks_like_indicator_table(table, colmap):
            return TableRows(kind="skip")
        header = " | ".join(first_rows[0]) if first_rows else ""
        detail = f"table {table_index}: header '{header}' does not map to indikator/target columns"
        issue = TableIssue(table.pages[0], table_index, "TABLE_UNPARSED", detail)
        return TableRows(issues=(issue,), kind="skip")
    indicators: list[IndicatorRow] = []
    budget: list[BudgetRow] = []
    grid = table_to_grid_rows(table, colmap.header_rows)
    for segment_map, rows in grid_rows_to_segments(grid, colmap, table.n_cols):
        if segment_map.kind == "budget":
            budget += budget_segment_to_rows(table, table_index, ctx, segment_map, rows, repair)
        else:
            indicators += indicator_segment_to_rows(
                table, table_index, ctx, segment_map, rows, repair
            )
    indicator_reasons = [indicator_row_reasons(row) for row in indicators]
    return TableRows(
        indicators=_numbered(indicators, indicator_reasons),
        budget=_numbered(budget, budget_rows_reasons(budget)),
        kind=colmap.kind,
    )

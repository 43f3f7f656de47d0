"""Budget tables -> BudgetRow: Program / Anggaran blocks under a PK, Pagu / Realisasi / %
tables, RKT pendanaan; with or without a header row."""

from __future__ import annotations

import dataclasses
import re

from extract.models import Table
from normalize.grid_rows import GridRow, Repair, TableContext, printed_value_text, row_base
from normalize.headers import ColumnMap
from normalize.models import BudgetRow, Value, ValueKind
from normalize.values import text_to_value

_NUMBER_MARKER_RE = re.compile(r"^\s*\d{1,2}\s*[.,)]\s*")
# The two programs of Bagian Anggaran 076 (all KPU budgets), printed without the word "Program".
PROGRAM_NAME_MARKERS = ("konsolidasi demokrasi", "dukungan manajemen")
_KODE = r"\d{3}\.\d{2}\.[A-Z]{2}|\d{4}(?:\.[A-Z0-9]{3})?"
_KODE_PREFIX_RE = re.compile(rf"^(?P<kode>{_KODE})\s*[-–]\s*(?P<name>.+)$")
_KODE_SUFFIX_RE = re.compile(rf"^(?P<name>.+?)\s*\((?P<kode>{_KODE})\)\s*(?P<rest>.*)$")
_TRAILING_RUPIAH_RE = re.compile(r"\s(?P<amount>Rp\.?\s*\d[\d.,]*(?:,-)?)\s*$", re.IGNORECASE)


def split_kode(label: str) -> tuple[str, str]:
    """(kode, name) from "076.01.CQ-Penyelenggaraan ..." or "... Demokrasi (076.01.CQ)"."""
    name = _NUMBER_MARKER_RE.sub("", label).strip()
    prefix = _KODE_PREFIX_RE.match(name)
    if prefix:
        return prefix.group("kode"), prefix.group("name").strip()
    suffix = _KODE_SUFFIX_RE.match(name)
    if suffix:
        return suffix.group("kode"), " ".join(
            f"{suffix.group('name')} {suffix.group('rest')}".split()
        )
    return "", name


def budget_level(name: str, kode: str, header: str) -> str:
    """program, kegiatan or total, from the line's words, its code, then the column header."""
    squeezed = re.sub(r"\s+", "", name).lower()
    if squeezed.startswith(("total", "jumlah", "grandtotal")):
        return "total"
    if re.fullmatch(r"\d{3}\.\d{2}\.[A-Z]{2}", kode):
        return "program"
    if kode:  # 6639, 6709.QGE: kegiatan codes, even when the name says "Perencanaan Program"
        return "kegiatan"
    if squeezed.startswith("program") or any(m in name.lower() for m in PROGRAM_NAME_MARKERS):
        return "program"
    header = header.lower()
    return "program" if "program" in header and "kegiatan" not in header else "kegiatan"


def _budget_continuation(row: GridRow, colmap: ColumnMap) -> bool:
    money = [colmap.index(n) for n in ("pagu", "realisasi", "persen")]
    return not row.own_text(colmap.index("no")) and not any(row.own_text(c) for c in money)


def budget_segment_to_rows(
    table: Table,
    table_index: int,
    ctx: TableContext,
    colmap: ColumnMap,
    rows: list[GridRow],
    repair: Repair,
) -> list[BudgetRow]:
    joined: list[GridRow] = []
    uraian = colmap.index("uraian")
    for row in rows:
        # A wrapped name ("Konsolidasi Demokrasi") on its own grid row, with no number or amount.
        if (
            joined
            and uraian is not None
            and _budget_continuation(row, colmap)
            and row.own_text(uraian)
        ):
            joined[-1].lines[uraian] = joined[-1].lines.get(uraian, []) + row.lines.get(uraian, [])
        else:
            joined.append(row)
    budget = [_budget_row(table, table_index, ctx, colmap, row, repair) for row in joined]
    if len(budget) >= 2 and not budget[-1].uraian and budget[-1].pagu_value is not None:
        # An amount with no name under a list of lines is the list's total.
        budget[-1] = dataclasses.replace(budget[-1], level="total")
    return budget


def collapse_letter_spacing(text: str) -> str:
    """ "T o t a l" -> "Total": letter-spacing is typography, the dataset holds the word."""
    return re.sub(r"\b[A-Za-z](?: [A-Za-z]){2,}\b", lambda m: m.group(0).replace(" ", ""), text)


_LABEL_NUMBER_RE = re.compile(r"^\d{1,2}[.)]?\s+(?=[A-Z])")


_CURRENCY_RE = re.compile(r"^Rp\.?,?$", re.IGNORECASE)


def with_currency(row: GridRow, colmap: ColumnMap, name: str) -> str:
    """An amount with the "Rp" printed in its own column just before it ("Rp | 921.285.000")."""
    col = colmap.index(name)
    text = row.text(col)
    if col is None or col == 0 or not text or colmap.columns[col - 1]:
        return text
    currency = row.text(col - 1).strip()
    return f"{currency} {text}" if _CURRENCY_RE.match(currency) else text


def _budget_row(
    table: Table,
    table_index: int,
    ctx: TableContext,
    colmap: ColumnMap,
    row: GridRow,
    repair: Repair,
) -> BudgetRow:
    label_raw = row.text(colmap.index("uraian"))
    no_text = row.own_text(colmap.index("no"))
    if not label_raw and not _NUMBER_MARKER_RE.fullmatch(no_text + " "):
        label_raw = no_text  # "TOTAL" printed across the NO and uraian columns
    label = collapse_letter_spacing(" ".join(repair(label_raw, "text").split()))
    label = _LABEL_NUMBER_RE.sub("", label)  # "1 Program ..." in a list without a NO column
    pagu_raw = with_currency(row, colmap, "pagu")
    trailing = _TRAILING_RUPIAH_RE.search(label)
    if not pagu_raw and trailing:  # "1. Program Dukungan Manajemen Rp. 2.519.511.000,-" in one cell
        pagu_raw, label = trailing.group("amount"), label[: trailing.start()].strip()
    kode, name = split_kode(label)
    uraian_col = colmap.index("uraian")
    header = colmap.printed[uraian_col] if colmap.printed and uraian_col is not None else ""
    values = {
        "pagu": (pagu_raw, "rupiah"),
        "realisasi": (row.text(colmap.index("realisasi")), "rupiah"),
        "persen": (row.text(colmap.index("persen")), "percent"),
    }
    parsed = {
        k: (repair(raw, "rupiah" if e == "rupiah" else "percent") if raw else "", e)
        for k, (raw, e) in values.items()
    }
    v = {k: text_to_value(text, expect) for k, (text, expect) in parsed.items()}
    base = row_base(table, table_index, ctx, row.page)
    everything = " ".join(row.text(c) for c in row.lines)
    sumber = re.search(r"\b(APBN|APBD)\b", everything)
    return BudgetRow(
        source_file=ctx.source_file,
        doc_sha256=ctx.doc_sha256,
        page=row.page,
        table_index=table_index,
        row_index=0,
        extraction=str(base["extraction"]),
        doc_type=str(base["doc_type"]),
        satker=ctx.doc.satker,
        tahun=base["tahun"],  # type: ignore[arg-type]
        level=budget_level(name, kode, header),
        kode=kode,
        uraian=name,
        pagu=printed_value_text(v["pagu"], parsed["pagu"][0]),
        pagu_value=_rupiah_int(v["pagu"]),
        realisasi=printed_value_text(v["realisasi"], parsed["realisasi"][0]),
        realisasi_value=_rupiah_int(v["realisasi"]),
        persen=printed_value_text(v["persen"], parsed["persen"][0]),
        persen_value=v["persen"].number if v["persen"].kind is ValueKind.NUMBER else None,
        sumber_dana=sumber.group(1) if sumber else "",
        needs_review=False,
        review_reasons=(),
    )


def _rupiah_int(value: Value) -> int | None:
    return (
        round(value.number) if value.kind is ValueKind.RUPIAH and value.number is not None else None
    )


_AMOUNT_RE = re.compile(r"^(?:Rp\.?,?\s*)?\d{1,3}(?:[.\s]\d{3})+(?:,\d{2}|,-)?$", re.IGNORECASE)


_ROW_NUMBER_RE = re.compile(r"^\d{1,2}[.,]?$")


MIN_HEADERLESS_BUDGET_LINES = 2


def headerless_budget_map(table: Table) -> ColumnMap | None:
    """A PK budget block printed without a header row ("1. | Kegiatan ... | Rp. 1.759.811.000",
    or "Program ... | : | Rp | 921.285.000"): amounts in the last column, names in the widest
    text column, an optional first column of numbers; ":" and "Rp" columns carry no field."""
    if not 2 <= table.n_cols <= 5:
        return None
    rows = [[t.strip() for t in table.row_texts(r)] for r in range(table.n_rows)]
    amounts = sum(1 for texts in rows if _AMOUNT_RE.match(_currency_joined(texts)))
    if amounts < MIN_HEADERLESS_BUDGET_LINES or amounts < len(rows) // 2:
        return None
    columns = [""] * table.n_cols
    columns[-1] = "pagu"
    text_cols = [c for c in range(table.n_cols - 1) if not _is_filler_column(rows, c)]
    if not text_cols:
        return None
    columns[max(text_cols, key=lambda c: sum(len(r[c]) for r in rows))] = "uraian"
    # A first column of row numbers; a label there with nothing beside it spans both columns.
    if (
        columns[0] == ""
        and 0 in text_cols
        and all(not r[0] or _ROW_NUMBER_RE.match(r[0]) or r[1] in ("", r[0]) for r in rows)
    ):
        columns[0] = "no"
    if "uraian" not in columns or not any(
        re.search(r"[A-Za-z]{3}", r[columns.index("uraian")]) for r in rows
    ):
        return None
    return ColumnMap(
        columns=tuple(columns), header_rows=0, kind="budget", printed=("",) * len(columns)
    )


def _currency_joined(texts: list[str]) -> str:
    last = texts[-1]
    return f"{texts[-2]} {last}" if len(texts) >= 2 and _CURRENCY_RE.match(texts[-2]) else last


def _is_filler_column(rows: list[list[str]], col: int) -> bool:
    """A column of ":" separators or "Rp" signs (OCR turns some ":" into "5" or "3")."""
    return all(
        len(r[col]) <= 3 and not re.search(r"[a-z]{2}", r[col]) or _CURRENCY_RE.match(r[col])
        for r in rows
    )

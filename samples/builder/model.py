"""Document specs (samples/source/*.json) and the truth rows they imply.

Truth comes from the same cell texts that born.py renders, so the two cannot drift apart; only
the page of each row is learnt from the rendering (see born.PageLog).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDICATOR_COLUMNS = [
    "source_file",
    "page",
    "no",
    "sasaran",
    "indikator",
    "target",
    "realisasi",
    "capaian",
    "kelompok",
    "doc_type",
    "satker",
    "tahun",
    "pihak",
    "table_title",
    "tahun_target",
]
BUDGET_COLUMNS = ["source_file", "page", "level", "kode", "uraian", "pagu", "realisasi", "persen"]
BULLET = "\u2022"
# Columns of the 7-column RKT that act as nested groups rather than as the indicator's sasaran.
RKT7_GROUP_FIELDS = ("sasaran_program", "program", "kegiatan")

RowKey = tuple[str, int, int]  # ("i" indicator | "b" budget, table index, row index)


@dataclass(frozen=True, slots=True)
class TruthRow:
    """One expected output row before its page is known."""

    key: RowKey
    fields: dict[str, str]
    part: int = 0  # which bullet of a multi-indicator cell


def load_spec(path: Path) -> dict[str, Any]:
    """Read one document spec and check the fields every spec must carry."""
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for field in ("stem", "doc_type", "satker", "tahun", "paper", "blocks", "exercises"):
        if field not in spec:
            raise ValueError(f"{path.name}: missing field {field!r}")
    if spec["stem"] != path.stem:
        raise ValueError(f"{path.name}: stem {spec['stem']!r} differs from the file name")
    return spec


def load_specs(source_dir: Path) -> list[dict[str, Any]]:
    return [load_spec(path) for path in sorted(source_dir.glob("*.json"))]


def is_group(row: Any) -> bool:
    return isinstance(row, dict) and "group" in row


def continuation_flags(row: list[str], columns: list[str], merge: list[str]) -> dict[str, bool]:
    """Which merged columns of a row continue the cell above (empty, and so is every merged
    column to their left): the nesting that a vertically merged Word cell expresses."""
    flags: dict[str, bool] = {}
    outer_continues = True
    for name in merge:
        continues = outer_continues and row[columns.index(name)] == ""
        flags[name] = continues
        outer_continues = continues
    return flags


def split_cell_lines(text: str) -> list[str]:
    """A cell's printed lines: bulleted indicators and stacked targets are one per line."""
    return [line.removeprefix(BULLET).strip() for line in text.split("\n") if line.strip()]


def table_title(blocks: list[dict[str, Any]], index: int) -> str:
    """The caption or title printed nearest above block `index`."""
    for block in reversed(blocks[:index]):
        if block["type"] == "caption":
            return str(block["text"])
        if block["type"] == "title":
            return " ".join(block["lines"])
    return ""


def rows_with_inherited(table: dict[str, Any]) -> list[tuple[int, dict[str, str], list[str]]]:
    """(row index, values with merged cells filled from above, group path) per data row."""
    columns, merge = table["columns"], table["merge"]
    current: dict[str, str] = {}
    groups: list[tuple[int, str]] = []
    out = []
    for index, row in enumerate(table["rows"]):
        if is_group(row):
            groups = [g for g in groups if g[0] < row["level"]] + [(row["level"], row["group"])]
            continue
        flags = continuation_flags(row, columns, merge)
        values = dict(zip(columns, row, strict=True))
        for name in merge:
            if flags[name]:
                values[name] = current.get(name, "")
        current = values
        out.append((index, values, [text for _, text in groups]))
    return out


def indicator_truth(spec: dict[str, Any], table_index: int, block_index: int) -> list[TruthRow]:
    """Truth rows of one indicator table: one per indicator, bullet and (multi-year) year."""
    table = spec["blocks"][block_index]
    base = {
        "doc_type": spec["doc_type"],
        "satker": spec["satker"],
        "tahun": spec["tahun"],
        "pihak": spec.get("pihak", ""),
        "table_title": table_title(spec["blocks"], block_index),
    }
    out: list[TruthRow] = []
    for row_index, values, groups in rows_with_inherited(table):
        kelompok = [values[f] for f in RKT7_GROUP_FIELDS if f in values] or groups
        common = base | {
            "no": values.get("no", ""),
            "sasaran": values["sasaran"],
            "kelompok": " > ".join(kelompok),
        }
        key: RowKey = ("i", table_index, row_index)
        expanded = expand_indicator(values, common)
        bullets = len(split_cell_lines(values["indikator"]))
        out.extend(
            TruthRow(key, fields, i if bullets > 1 else 0) for i, fields in enumerate(expanded)
        )
    return out


def expand_indicator(values: dict[str, str], common: dict[str, str]) -> list[dict[str, str]]:
    """One row per bulleted indicator (each with its own stacked target), or per target year."""
    years = sorted(name for name in values if name.startswith("y") and name[1:].isdigit())
    indicators = split_cell_lines(values["indikator"])
    if years:
        (indikator,) = indicators
        return [
            common
            | empty_values()
            | {"indikator": indikator, "target": values[y], "tahun": y[1:], "tahun_target": y[1:]}
            for y in years
        ]
    per_line = {f: split_cell_lines(values.get(f, "")) for f in ("target", "realisasi", "capaian")}
    for name, lines in per_line.items():
        if len(indicators) > 1 and len(lines) not in (0, len(indicators)):
            raise ValueError(f"{len(indicators)} bullets but {len(lines)} {name} lines: {values}")
    rows = []
    for i, indikator in enumerate(indicators):
        picked = {
            f: (lines[i] if len(indicators) > 1 and lines else " ".join(lines))
            for f, lines in per_line.items()
        }
        rows.append(common | empty_values() | picked | {"indikator": indikator})
    return rows


def empty_values() -> dict[str, str]:
    return {"target": "", "realisasi": "", "capaian": "", "tahun_target": ""}


def collapse_letter_spacing(text: str) -> str:
    """ "T o t a l" -> "Total": letter-spacing is typography, the dataset holds the word."""
    return re.sub(r"\b[A-Za-z](?: [A-Za-z]){2,}\b", lambda m: m.group(0).replace(" ", ""), text)


def budget_truth(table: dict[str, Any], table_index: int) -> list[TruthRow]:
    """Truth rows of one budget table, values as printed."""
    return [
        TruthRow(
            ("b", table_index, index),
            {
                "level": row["level"],
                "kode": row.get("kode", ""),
                "uraian": collapse_letter_spacing(row["uraian"]),
                "pagu": row["pagu"],
                "realisasi": row.get("realisasi", ""),
                "persen": row.get("persen", ""),
            },
        )
        for index, row in enumerate(table["rows"])
    ]


def spec_truth(spec: dict[str, Any]) -> tuple[list[TruthRow], list[TruthRow]]:
    """All indicator and budget truth rows of a document, in reading order."""
    indicators: list[TruthRow] = []
    budget: list[TruthRow] = []
    for block_index, block in enumerate(spec["blocks"]):
        if block["type"] == "indicator_table":
            indicators += indicator_truth(spec, block_index, block_index)
        elif block["type"] == "budget_table":
            budget += budget_truth(block, block_index)
    return indicators, budget

"""PK targets against LAKIP results: OUT/indicators.csv -> OUT/reconciliation.csv.

Within a run, each PK indicator (PK or PK_PERUBAHAN) is matched to the LAKIP indicator of the
same satker and tahun whose text is most alike once the satker's own name is replaced by a
``{SATKER}`` slot ("Persentase KPU Kota Bontang yang memutakhirkan ..." reads as "Persentase
{SATKER} yang memutakhirkan ...").

Duplicates, and what was chosen:
* PK side: every PK row is kept. The same indicator is cascaded to several pihak (Ketua,
  Sekretaris, Kasubbag) and amended by a PK_PERUBAHAN; each is a separate promise an analyst
  may want to hold against the LAKIP, so each gets its own line and its own ``pk_source``.
  Matching is one to one between distinct indicator *texts*, so all PK copies of one text share
  the one LAKIP indicator it matched. Lines that come out fully identical are dropped.
* LAKIP side: a LAKIP prints one indicator several times (summary table, Tabel 3.1, per-sasaran
  tables). Its copies collapse to one: the first (in source_file, page, table, row order) among
  those with the most of target / realisasi / capaian filled, i.e. the measurement table.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

MATCH_SCORE_CUTOFF = 85.0  # token_sort_ratio; below this two wordings are different indicators
CAPAIAN_TOLERANCE = 1.0  # percentage points, as CAPAIAN_MISMATCH in DATASETS.md
PK_TYPES = frozenset({"PK", "PK_PERUBAHAN"})
LAKIP_TYPES = frozenset({"LAKIP"})
SATKER_SLOT = "{SATKER}"
# A row number or bullet the cell split left on the text ("1 Prosentase ...", "- Jumlah ...",
# "a. Persentase ..."): not part of the indicator's wording.
LEADING_ENUMERATOR = re.compile(r"^(?:[-\u2022*]|\(?\d{1,2}[.)]?|[a-z][.)])\s+(?=[a-z])")
FILE_MODE = 0o644

RECONCILIATION_COLUMNS = (
    "satker", "tahun", "indikator", "match_score", "pk_source", "pk_target", "lakip_source",
    "lakip_target", "lakip_realisasi", "lakip_capaian", "capaian_computed", "flags",
)  # fmt: skip
REQUIRED_COLUMNS = ("source_file", "page", "doc_type", "satker", "tahun", "indikator", "target")
OPTIONAL_COLUMNS = (
    "table_index", "row_index", "pihak", "target_value", "target_unit", "realisasi",
    "capaian", "capaian_value", "capaian_computed",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entry:
    """One indicator row of a PK or LAKIP, as reconciliation needs it."""

    order: int  # position in (source_file, page, table_index, row_index) order
    source: str  # "source_file:page"
    satker: str
    tahun: str
    indikator: str
    key: str  # indikator normalised for matching
    target: str
    target_value: str
    target_unit: str
    realisasi: str
    capaian: str
    capaian_value: str
    capaian_computed: str

    @property
    def filled(self) -> int:
        return sum(bool(text) for text in (self.target, self.realisasi, self.capaian))


def cell_text(value: object) -> str:
    """A DataFrame cell as the text a CSV would hold: NaN is empty, 2024.0 is 2024."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


def column_text(values: pd.Series) -> pd.Series:
    """cell_text of every cell of a column; one string operation over the column when every
    cell is text (as read from a CSV), about twice as fast as a Python call per cell."""
    if values.hasnans or pd.api.types.infer_dtype(values, skipna=False) != "string":
        return values.map(cell_text)
    return values.str.replace(r"\s+", " ", regex=True).str.strip()


def satker_variants(satker: str) -> list[str]:
    """Lower-cased ways an indicator may name its satker, longest first: 'sekretariat kpu kota
    bontang', 'kpu kota bontang', 'kota bontang'."""
    name = satker.lower().strip()
    variants = {name}
    without_secretariat = re.sub(r"^sekretariat\s+", "", name)
    variants.add(without_secretariat)
    variants.add(re.sub(r"^(kpu|komisi pemilihan umum)\s+", "", without_secretariat))
    return sorted((v for v in variants if len(v) > 3), key=len, reverse=True)


def indicator_key(indikator: str, satker: str) -> str:
    """The indicator text lower-cased, without a leading row number or bullet, with the
    satker's name replaced by {SATKER}."""
    text = re.sub(r"\s+", " ", indikator.lower()).strip()
    text = LEADING_ENUMERATOR.sub("", text)
    for variant in satker_variants(satker):
        text = text.replace(variant, SATKER_SLOT)
    return text


def sorted_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    """The rows as text, missing optional columns empty, in the contract's stable order."""
    missing = [name for name in REQUIRED_COLUMNS if name not in indicators.columns]
    if missing:
        raise ValueError(f"indicators lack columns {missing}")
    frame = indicators.copy()
    for name in OPTIONAL_COLUMNS:
        if name not in frame.columns:
            frame[name] = ""
    frame = frame.apply(column_text)
    order = ["source_file", "page", "table_index", "row_index"]
    numeric = {name: pd.to_numeric(frame[name], errors="coerce") for name in order[1:]}
    keyed = frame.assign(**{f"_{name}": values for name, values in numeric.items()})
    # The remaining columns break ties, so even rows that share a position (two documents
    # given the same source_file) come out in one order whatever order they came in.
    ties = [name for name in frame.columns if name not in order]
    keyed = keyed.sort_values(
        ["source_file", "_page", "_table_index", "_row_index", *ties], kind="stable"
    )
    return keyed.drop(columns=[f"_{name}" for name in order[1:]]).reset_index(drop=True)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts; built from whole columns, as DataFrame.to_dict walks cell by cell."""
    names = [str(name) for name in frame.columns]
    columns = [frame[name].tolist() for name in frame.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def frame_to_entries(frame: pd.DataFrame, doc_types: frozenset[str]) -> list[Entry]:
    """Entries for the rows of ``doc_types`` that name an indicator (nothing to match without)."""
    entries = []
    for order, row in enumerate(frame_records(frame)):
        if row["doc_type"] not in doc_types or not row["indikator"]:
            continue
        entries.append(
            Entry(
                order=order,
                source=f"{row['source_file']}:{row['page']}",
                satker=row["satker"],
                tahun=row["tahun"],
                indikator=row["indikator"],
                key=indicator_key(row["indikator"], row["satker"]),
                target=row["target"],
                target_value=row["target_value"],
                target_unit=row["target_unit"],
                realisasi=row["realisasi"],
                capaian=row["capaian"],
                capaian_value=row["capaian_value"],
                capaian_computed=row["capaian_computed"],
            )
        )
    return entries


def distinct_lakip(entries: Sequence[Entry]) -> list[Entry]:
    """One entry per indicator key: the first of the copies with the most values filled."""
    best: dict[str, Entry] = {}
    for entry in entries:
        kept = best.get(entry.key)
        if kept is None or entry.filled > kept.filled:
            best[entry.key] = entry
    return sorted(best.values(), key=lambda entry: entry.order)


def match_keys(pk_keys: Sequence[str], lakip_keys: Sequence[str]) -> dict[str, tuple[str, float]]:
    """PK key -> (LAKIP key, score), one to one, best pairs first (greedy, ties by order)."""
    if not pk_keys or not lakip_keys:
        return {}
    scores = process.cdist(
        pk_keys, lakip_keys, scorer=fuzz.token_sort_ratio, processor=default_process
    )
    pairs = [
        (-float(scores[i][j]), i, j)
        for i in range(len(pk_keys))
        for j in range(len(lakip_keys))
        if scores[i][j] >= MATCH_SCORE_CUTOFF
    ]
    matched: dict[str, tuple[str, float]] = {}
    taken: set[int] = set()
    for negative_score, i, j in sorted(pairs):
        if pk_keys[i] not in matched and j not in taken:
            matched[pk_keys[i]] = (lakip_keys[j], -negative_score)
            taken.add(j)
    return matched


def normalised_value_text(text: str) -> str:
    """'87,5 %' and '87.5%' compare equal: no spaces, '.' decimals, lower case."""
    return re.sub(r"\s+", "", text).replace(",", ".").lower()


def as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def targets_differ(pk: Entry, lakip: Entry) -> bool:
    """Parsed numbers and units when both have them, else the normalised printed text."""
    if not pk.target or not lakip.target:
        return False  # nothing to compare: a LAKIP table without a target column
    pk_number, lakip_number = as_number(pk.target_value), as_number(lakip.target_value)
    if pk_number is not None and lakip_number is not None:
        return not math.isclose(pk_number, lakip_number) or pk.target_unit != lakip.target_unit
    return normalised_value_text(pk.target) != normalised_value_text(lakip.target)


def printed_capaian(entry: Entry) -> float | None:
    parsed = as_number(entry.capaian_value)
    if parsed is not None:
        return parsed
    match = re.fullmatch(r"(\d+(?:\.\d+)?)%?", normalised_value_text(entry.capaian))
    return float(match.group(1)) if match else None


def capaian_differs(lakip: Entry) -> bool:
    printed, computed = printed_capaian(lakip), as_number(lakip.capaian_computed)
    if printed is None or computed is None:
        return False
    return abs(printed - computed) > CAPAIAN_TOLERANCE


def matched_line(pk: Entry, lakip: Entry, score: float) -> dict[str, str]:
    flags = []
    if targets_differ(pk, lakip):
        flags.append("TARGET_DIFFERS")
    if capaian_differs(lakip):
        flags.append("CAPAIAN_DIFFERS")
    return line(pk, pk, lakip, f"{score:.1f}", flags)


def line(
    named: Entry, pk: Entry | None, lakip: Entry | None, score: str, flags: list[str]
) -> dict[str, str]:
    """A reconciliation.csv record; ``named`` gives satker, tahun and indikator."""
    return {
        "satker": named.satker,
        "tahun": named.tahun,
        "indikator": named.indikator,
        "match_score": score,
        "pk_source": pk.source if pk else "",
        "pk_target": pk.target if pk else "",
        "lakip_source": lakip.source if lakip else "",
        "lakip_target": lakip.target if lakip else "",
        "lakip_realisasi": lakip.realisasi if lakip else "",
        "lakip_capaian": lakip.capaian if lakip else "",
        "capaian_computed": lakip.capaian_computed if lakip else "",
        "flags": ";".join(flags),
    }


def reconcile_group(pks: Sequence[Entry], lakips: Sequence[Entry], can_match: bool) -> list[dict]:
    """Lines for one (satker, tahun): PK rows in order, then the LAKIP indicators left over."""
    distinct = distinct_lakip(lakips)
    by_key = {entry.key: entry for entry in distinct}
    pk_keys = list(dict.fromkeys(entry.key for entry in pks))
    matches = match_keys(pk_keys, [entry.key for entry in distinct]) if can_match else {}
    lines = []
    for pk in pks:
        if pk.key in matches:
            lakip_key, score = matches[pk.key]
            lines.append(matched_line(pk, by_key[lakip_key], score))
        else:
            lines.append(line(pk, pk, None, "", ["ONLY_IN_PK"]))
    used = {lakip_key for lakip_key, _ in matches.values()}
    lines += [line(e, None, e, "", ["ONLY_IN_LAKIP"]) for e in distinct if e.key not in used]
    return lines


def reconcile(indicators: pd.DataFrame) -> pd.DataFrame:
    """indicators.csv rows -> reconciliation.csv rows (pure), sorted by satker, tahun, then
    the PK rows in document order and the LAKIP-only indicators after them."""
    frame = sorted_rows(indicators)
    pks, lakips = frame_to_entries(frame, PK_TYPES), frame_to_entries(frame, LAKIP_TYPES)
    groups = sorted({(e.satker, e.tahun) for e in pks + lakips})
    lines: list[dict] = []
    for satker, tahun in groups:
        # An unknown satker or year is no evidence that two documents are about one unit.
        can_match = bool(satker and tahun)
        group_pks = [e for e in pks if (e.satker, e.tahun) == (satker, tahun)]
        group_lakips = [e for e in lakips if (e.satker, e.tahun) == (satker, tahun)]
        lines += reconcile_group(group_pks, group_lakips, can_match)
    result = pd.DataFrame(lines, columns=list(RECONCILIATION_COLUMNS), dtype=object)
    return result.drop_duplicates(ignore_index=True)


def read_indicators(path: Path) -> pd.DataFrame:
    """indicators.csv as text cells; an empty file is an empty frame with the needed columns."""
    if path.stat().st_size == 0:
        return pd.DataFrame(columns=list(REQUIRED_COLUMNS))
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write via a temp file in the same folder, fsync, then rename over ``path``."""
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            frame.to_csv(stream, index=False, lineterminator="\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, FILE_MODE)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def reconcile_out_dir(out_dir: Path) -> Path:
    """Read OUT/indicators.csv, write OUT/reconciliation.csv, return its path."""
    out_dir = Path(out_dir)
    source = out_dir / "indicators.csv"
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: run `kinerja run ... --out {out_dir}` first")
    return write_csv_atomic(reconcile(read_indicators(source)), out_dir / "reconciliation.csv")

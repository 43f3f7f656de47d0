"""Render a document spec as a born-digital PDF with reportlab (invariant mode: same bytes on
every run), returning the PDF and the PageLog of rows and signature blocks."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .tables import CELL, CELL_CENTER, HEAD, ChunkTable, PagedTable, PageLog, spec_body_rows

rl_config.invariant = 1  # no timestamps or random IDs: regenerated files are byte-identical

BODY = ParagraphStyle(
    "body", fontName="Times-Roman", fontSize=11.5, leading=15, alignment=TA_JUSTIFY, spaceAfter=6
)
BODY_LEFT = ParagraphStyle("body_l", parent=BODY, alignment=TA_LEFT)
TITLE = ParagraphStyle(
    "title", fontName="Helvetica-Bold", fontSize=12, leading=15, alignment=TA_CENTER
)
KOP = ParagraphStyle("kop", fontName="Helvetica-Bold", fontSize=14, leading=17, alignment=TA_CENTER)
KOP_ADDRESS = ParagraphStyle(
    "kop_a", fontName="Helvetica", fontSize=8.5, leading=10.5, alignment=TA_CENTER
)
HEADING = ParagraphStyle("heading", parent=TITLE, fontSize=13, leading=17)
HEADING2 = ParagraphStyle(
    "heading2", parent=TITLE, alignment=TA_LEFT, fontSize=11, spaceBefore=6, spaceAfter=4
)
CAPTION = ParagraphStyle("caption", parent=TITLE, fontSize=10, leading=13, spaceAfter=4)
SIGN = ParagraphStyle(
    "sign", fontName="Times-Roman", fontSize=11.5, leading=14, alignment=TA_CENTER
)
COVER = ParagraphStyle(
    "cover", fontName="Helvetica-Bold", fontSize=20, leading=30, alignment=TA_CENTER
)
SIGN_GAP = 52  # points left blank between the role and the name, where the ink goes
MARGINS = {"left": 2.5 * cm, "right": 2.0 * cm, "top": 1.8 * cm, "bottom": 1.8 * cm}


def page_size(paper: str) -> tuple[float, float]:
    return {"A4": A4, "A4L": landscape(A4)}[paper]


class SignatureTable(Table):
    """The signature block; logs where each signer's blank ink area is, for scan.py's stamp."""

    def __init__(self, data: Any, log: PageLog, gap_row: int, **kw: Any) -> None:
        super().__init__(data, **kw)
        self._log, self._gap_row = log, gap_row

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802,N803
        top = y + self._height
        gap_top = top - sum(self._rowHeights[: self._gap_row])
        gap_bottom = gap_top - self._rowHeights[self._gap_row]
        left = x
        for col, width in enumerate(self._colWidths):
            if self._cellvalues[self._gap_row + 1][col]:
                self._log.marks.append(
                    {
                        "kind": "signature",
                        "page": canvas.getPageNumber(),
                        "col": col,
                        "x0": left,
                        "x1": left + width,
                        "y0": gap_bottom,
                        "y1": gap_top,
                    }
                )
            left += width
        super().drawOn(canvas, x, y, _sW)


def kop_flowables(kop: dict[str, Any], width: float) -> list[Flowable]:
    lines = [Paragraph(escape(line), KOP) for line in kop["lines"]]
    lines += [Paragraph(escape(line), KOP_ADDRESS) for line in kop.get("address", [])]
    return lines + [
        Spacer(1, 3),
        HRFlowable(width=width, thickness=2.2, color=colors.black, spaceAfter=1.5),
        HRFlowable(width=width, thickness=0.6, color=colors.black, spaceAfter=10),
    ]


def parties_flowable(parties: list[dict[str, str]], width: float) -> Flowable:
    data: list[list[Any]] = []
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]
    for party in parties:
        data.append(
            [
                Paragraph("Nama", BODY_LEFT),
                Paragraph(":", BODY_LEFT),
                Paragraph(f"<b>{escape(party['nama'])}</b>", BODY_LEFT),
            ]
        )
        data.append(
            [
                Paragraph("Jabatan", BODY_LEFT),
                Paragraph(":", BODY_LEFT),
                Paragraph(escape(party["jabatan"]), BODY_LEFT),
            ]
        )
        if party.get("sebut"):
            style.append(("SPAN", (0, len(data)), (-1, len(data))))
            data.append([Paragraph(escape(party["sebut"]), BODY_LEFT), "", ""])
    return Table(
        data,
        colWidths=[2.4 * cm, 0.5 * cm, width - 2.9 * cm],
        style=style,
        hAlign="LEFT",
        spaceAfter=8,
    )


def signature_flowable(block: dict[str, Any], width: float, log: PageLog) -> Flowable:
    signers = block["signers"]
    cols = 2 if len(signers) == 1 else len(signers)
    placed = [None] * (cols - len(signers)) + signers  # a lone signer signs on the right

    def row(make: Any) -> list[Any]:
        return [make(s) if s else "" for s in placed]

    date = [""] * (cols - 1) + [Paragraph(escape(block["place_date"]), SIGN)]
    roles = row(lambda s: Paragraph("<br/>".join(escape(r) for r in s["role"]), SIGN))
    names = row(lambda s: Paragraph(f"<b><u>{escape(s['name'])}</u></b>", SIGN))
    nips = row(lambda s: Paragraph(escape(s.get("nip", "")), SIGN))
    data = [date, roles, [""] * cols, names, nips]
    heights = [None, None, SIGN_GAP, None, None]
    style = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1)])
    table = SignatureTable(
        data,
        log,
        gap_row=2,
        colWidths=[width / cols] * cols,
        rowHeights=heights,
        style=style,
        spaceBefore=14,
    )
    return KeepTogether([table])


def budget_flowable(block: dict[str, Any], key_index: int, width: float, log: PageLog) -> Flowable:
    widths = [w * width for w in block["widths"]]
    data: list[list[Any]] = []
    if block.get("header"):
        data.append([Paragraph(escape(h), HEAD) for h in block["header"]])
    keys: list[Any] = [None] * len(data)
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if data:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#d9d9d9")))
    for index, row in enumerate(block["rows"]):
        style += budget_row_style(block, row, len(data))
        data.append(budget_cells(block, row))
        keys.append((("b", key_index, index), (0,)))
    return ChunkTable(data, keys, log, colWidths=widths, style=style, spaceBefore=10, spaceAfter=6)


def budget_cells(block: dict[str, Any], row: dict[str, str]) -> list[Any]:
    total = row["level"] == "total"
    para = lambda text, st=CELL: Paragraph(  # noqa: E731
        f"<b>{escape(text)}</b>" if total else escape(text), st
    )
    if block["layout"] == "realisasi":
        if total:  # the label fills the merged NO + name cell
            return [
                para(row["uraian"], CELL_CENTER),
                "",
                para(row["pagu"], CELL_CENTER),
                para(row["realisasi"], CELL_CENTER),
                para(row["persen"], CELL_CENTER),
            ]
        name = f"{row['kode']}-{row['uraian']}"
        return [
            para(row["no"], CELL_CENTER),
            para(name),
            para(row["pagu"], CELL_CENTER),
            para(row["realisasi"], CELL_CENTER),
            para(row["persen"], CELL_CENTER),
        ]
    code = f" ({row['kode']})" if row.get("kode") else ""
    if len(block["widths"]) == 3 and total:
        return [para(row["uraian"]), "", para(row["pagu"])]
    if len(block["widths"]) == 3:
        return [para(row["no"], CELL_CENTER), para(row["uraian"] + code), para(row["pagu"])]
    label = f"{row['no']} {row['uraian']}{code}".strip()
    return [para(label), para(row["pagu"])]


def budget_row_style(block: dict[str, Any], row: dict[str, str], r: int) -> list[tuple[Any, ...]]:
    if row["level"] == "total" and block["layout"] == "realisasi":
        return [("SPAN", (0, r), (1, r))]
    if row["level"] == "total" and len(block["widths"]) == 3:
        return [("SPAN", (0, r), (1, r))]
    return []


def cover_flowables(block: dict[str, Any], height: float) -> list[Flowable]:
    flow: list[Flowable] = [Spacer(1, height * 0.12)]
    for line in block["lines"]:
        flow.append(Paragraph(escape(line), COVER) if line else Spacer(1, 22))
    flow.append(Spacer(1, height * 0.18))
    flow += [Paragraph(escape(line), KOP_ADDRESS) for line in block.get("footer", [])]
    return flow


def block_flowables(
    spec: dict[str, Any], index: int, width: float, height: float, log: PageLog
) -> list[Flowable]:
    block = spec["blocks"][index]
    kind = block["type"]
    if kind == "kop":
        return kop_flowables(spec["kop"], width)
    if kind == "title":
        return [Paragraph(escape(line), TITLE) for line in block["lines"]] + [Spacer(1, 10)]
    if kind in ("para", "para_left"):
        style = BODY if kind == "para" else BODY_LEFT
        text = block["text"] if kind == "para_left" else escape(block["text"])
        return [Paragraph(text, style)]
    simple = {"heading": HEADING, "heading2": HEADING2, "caption": CAPTION}
    if kind in simple:
        return [Paragraph(escape(block["text"]), simple[kind])]
    if kind == "parties":
        return [parties_flowable(block["parties"], width)]
    if kind == "signatures":
        return [signature_flowable(block, width, log)]
    if kind == "pagebreak":
        return [PageBreak()]
    if kind == "cover":
        return cover_flowables(block, height)
    if kind == "indicator_table":
        return [PagedTable(block, spec_body_rows(block, index), log, width), Spacer(1, 6)]
    if kind == "budget_table":
        return [budget_flowable(block, index, width, log)]
    raise ValueError(f"{spec['stem']}: unknown block type {kind!r}")


def frame_box(paper: str) -> tuple[float, float]:
    w, h = page_size(paper)
    return w - MARGINS["left"] - MARGINS["right"], h - MARGINS["top"] - MARGINS["bottom"]


def spec_story(spec: dict[str, Any], log: PageLog, upto: int | None = None) -> list[Flowable]:
    width, height = frame_box(spec["paper"])
    count = len(spec["blocks"]) if upto is None else upto
    story: list[Flowable] = []
    for index in range(count):
        story += block_flowables(spec, index, width, height, log)
    return story


def new_doc(buffer: io.BytesIO, spec: dict[str, Any]) -> BaseDocTemplate:
    size = page_size(spec["paper"])
    doc = BaseDocTemplate(
        buffer,
        pagesize=size,
        title=spec["stem"],
        author="kinerja samples",
        creator="kinerja samples/generate.py",
        subject=spec["doc_type"],
        leftMargin=MARGINS["left"],
        rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"],
        bottomMargin=MARGINS["bottom"],
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=size)])
    return doc


def render_born(spec: dict[str, Any], upto: int | None = None) -> tuple[bytes, PageLog]:
    """The born-digital PDF of a spec (its first `upto` blocks) and where its rows landed."""
    log = PageLog()
    buffer = io.BytesIO()
    new_doc(buffer, spec).build(spec_story(spec, log, upto))
    return buffer.getvalue(), log


def render_mixed(spec: dict[str, Any], upto: int, scans: list[Any]) -> bytes:
    """Born-digital pages from the first `upto` blocks, then one page per scanned image: the
    shape of a report whose signed pages were scanned and inserted."""
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import NextPageTemplate

    buffer = io.BytesIO()
    doc = new_doc(buffer, spec)
    story = spec_story(spec, PageLog(), upto)
    for index, scan in enumerate(scans):
        size = (scan.width_px * 72 / scan.dpi, scan.height_px * 72 / scan.dpi)

        def draw(canvas: Any, _doc: Any, scan: Any = scan, size: Any = size) -> None:
            canvas.drawImage(ImageReader(io.BytesIO(scan.jpeg)), 0, 0, size[0], size[1])

        frame = Frame(0, 0, size[0], size[1], id=f"scan{index}")
        doc.addPageTemplates(
            [PageTemplate(id=f"scan{index}", frames=[frame], pagesize=size, onPage=draw)]
        )
        story += [NextPageTemplate(f"scan{index}"), PageBreak(), Spacer(1, 1)]
    doc.build(story)
    return buffer.getvalue()

"""Turn rendered pages into deterministic "photocopies": ink (stamp, signature), skew, fading,
blur, noise and JPEG artefacts, then write them as image-only PDFs whose page size is the paper
size at the scan resolution. All randomness comes from a numpy Generator seeded by the file
name and page, so every run produces the same bytes."""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas as rl_canvas

STAMP_RGB = (72, 58, 168)  # the blue-violet of KPU office stamps
INK_RGB = (22, 34, 112)
MAX_SKEW = 2.0
DEGRADATIONS = "stamp;signature;skew;fade;blur;noise;jpeg"


@dataclass(frozen=True, slots=True)
class ScanPage:
    """One degraded page: its JPEG bytes and how it was made."""

    jpeg: bytes
    width_px: int
    height_px: int
    dpi: int
    skew: float
    rotation: int


def page_rng(name: str, page: int) -> np.random.Generator:
    seed = int.from_bytes(hashlib.sha256(f"{name}#{page}".encode()).digest()[:8], "big")
    return np.random.default_rng(seed)


def render_page(pdf_bytes: bytes, index: int, dpi: int) -> np.ndarray:
    """Page `index` (0-based) as an RGB array at `dpi`."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        bitmap = pdf[index].render(scale=dpi / 72, grayscale=False)
        return np.array(bitmap.to_pil().convert("RGB"))
    finally:
        pdf.close()


def stamp_overlay(size: int, label: str, rng: np.random.Generator) -> Image.Image:
    """A round office stamp on a transparent square: two rings, text round the rim, a star."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    r = size / 2
    for inset, width in ((2, max(3, size // 45)), (size * 0.17, max(2, size // 80))):
        draw.ellipse(
            (inset, inset, size - inset, size - inset), outline=STAMP_RGB + (255,), width=int(width)
        )
    font = ImageFont.load_default(size=max(8, int(size * 0.085)))
    rim_text(img, label, r, r * 0.74, font)
    star(draw, r, r, r * 0.28)
    texture = rng.uniform(0.45, 1.0, (size, size)) * rng.uniform(0.7, 0.9)
    alpha = np.array(img.getchannel("A"), dtype=np.float64) * texture
    img.putalpha(Image.fromarray(alpha.astype(np.uint8)))
    return img.rotate(float(rng.uniform(-25, 25)), resample=Image.Resampling.BICUBIC)


def rim_text(img: Image.Image, text: str, centre: float, radius: float, font: Any) -> None:
    """Letters placed one by one along the upper rim, each turned to face outward."""
    span = math.radians(250)
    for i, char in enumerate(text):
        angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(text)
        glyph = Image.new("RGBA", (font.size * 2, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (font.size // 2, font.size // 3), char, font=font, fill=STAMP_RGB + (255,)
        )
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(angle) - glyph.width / 2
        y = centre + radius * math.sin(angle) - glyph.height / 2
        img.alpha_composite(glyph, (int(x), int(y)))


def star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for k in range(10):
        rad = radius if k % 2 == 0 else radius * 0.42
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + rad * math.cos(angle), cy + rad * math.sin(angle)))
    draw.polygon(points, fill=STAMP_RGB + (255,))


def scribble(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    rng: np.random.Generator,
    width: int,
) -> None:
    """A hand signature: a few looping strokes across the box."""
    x0, y0, x1, y1 = box
    t = np.linspace(0, 1, 140)
    loops = rng.uniform(3, 6)
    xs = x0 + (x1 - x0) * (t + 0.06 * np.sin(2 * math.pi * loops * t + rng.uniform(0, 6)))
    ys = (y0 + y1) / 2 + (y1 - y0) * 0.38 * np.sin(2 * math.pi * loops * t * 0.5) * np.cos(
        2 * math.pi * rng.uniform(1, 2.5) * t
    )
    draw.line(
        list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=INK_RGB, width=width, joint="curve"
    )
    tail = rng.uniform(x0, x1)
    draw.line(
        [(x0, y1 - (y1 - y0) * 0.15), (tail, y1 - (y1 - y0) * 0.05)],
        fill=INK_RGB,
        width=max(1, width - 1),
    )


def ink_marks(
    rgb: np.ndarray,
    marks: list[dict[str, Any]],
    page_height_pt: float,
    dpi: int,
    label: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sign every signer's blank area and stamp the first signer's (the superior's)."""
    img = Image.fromarray(rgb).convert("RGBA")
    draw = ImageDraw.Draw(img)
    scale = dpi / 72
    for i, mark in enumerate(marks):
        x0, x1 = mark["x0"] * scale, mark["x1"] * scale
        top, bottom = (page_height_pt - mark["y1"]) * scale, (page_height_pt - mark["y0"]) * scale
        cx = (x0 + x1) / 2
        box = (cx - (x1 - x0) * 0.22, top + 4, cx + (x1 - x0) * 0.22, bottom - 4)
        scribble(draw, box, rng, width=max(2, dpi // 90))
        if i == 0:
            size = int(1.45 * dpi)
            stamp = stamp_overlay(size, label, rng)
            sx = int(cx - size * rng.uniform(0.75, 0.95))
            sy = int((top + bottom) / 2 - size / 2 + rng.uniform(-0.1, 0.1) * size)
            img.alpha_composite(stamp, (max(0, sx), max(0, sy)))
    return np.array(img.convert("RGB"))


def skew(gray: np.ndarray, angle: float, paper: int) -> np.ndarray:
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(
        gray,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=paper,
    )


def photocopy(gray: np.ndarray, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Faded toner on off-white paper with uneven lighting, blur and grain."""
    img = gray.astype(np.float64)
    contrast = rng.uniform(0.70, 0.86)
    paper = rng.uniform(226, 242)
    img = paper - (255 - img) * contrast * (paper / 255)
    h, w = img.shape
    shade = cv2.resize(rng.normal(0, 7, (6, 5)), (w, h), interpolation=cv2.INTER_CUBIC)
    img = img + shade
    sigma = rng.uniform(0.55, 0.95) * dpi / 200
    img = np.asarray(cv2.GaussianBlur(img, (0, 0), sigma), dtype=np.float64)
    img = img + rng.normal(0, rng.uniform(3.0, 6.0), img.shape)
    specks = rng.integers(0, h * w, size=int(h * w * 2e-5))
    img.flat[specks] = rng.uniform(40, 120, specks.size)
    return np.clip(img, 0, 255).astype(np.uint8)


def degrade(
    rgb: np.ndarray,
    dpi: int,
    rng: np.random.Generator,
    rotation: int,
) -> tuple[np.ndarray, float]:
    """Grayscale photocopy of an inked page; returns the image and the skew applied."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    angle = float(np.round(rng.uniform(0.3, MAX_SKEW) * rng.choice([-1, 1]), 2))
    gray = photocopy(skew(gray, angle, 255), dpi, rng)
    if rotation:
        gray = np.rot90(gray, k=rotation // 90).copy()  # counter-clockwise, as fed sideways
    return gray, angle


def to_jpeg(gray: np.ndarray, rng: np.random.Generator) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(gray, mode="L").save(buffer, "JPEG", quality=int(rng.integers(42, 62)))
    return buffer.getvalue()


def scan_pages(
    pdf_bytes: bytes,
    name: str,
    dpi: int,
    marks: list[dict[str, Any]],
    label: str,
    pages: list[int],
    rotate: set[int],
) -> list[ScanPage]:
    """Degraded scans of the given 1-based pages of a born-digital PDF."""
    out = []
    pdf = pdfium.PdfDocument(pdf_bytes)
    heights = {i + 1: pdf[i].get_height() for i in range(len(pdf))}
    pdf.close()
    for page in pages:
        rng = page_rng(name, page)
        rgb = render_page(pdf_bytes, page - 1, dpi)
        page_marks = [m for m in marks if m["page"] == page]
        rgb = ink_marks(rgb, page_marks, heights[page], dpi, label, rng)
        rotation = 90 if page in rotate else 0
        gray, angle = degrade(rgb, dpi, rng, rotation)
        h, w = gray.shape
        out.append(ScanPage(to_jpeg(gray, rng), w, h, dpi, angle, rotation))
    return out


def draw_scan_page(canvas: Any, page: ScanPage) -> None:
    width, height = page.width_px * 72 / page.dpi, page.height_px * 72 / page.dpi
    canvas.setPageSize((width, height))
    canvas.drawImage(ImageReader(io.BytesIO(page.jpeg)), 0, 0, width, height)
    canvas.showPage()


def scans_to_pdf(pages: list[ScanPage], title: str) -> bytes:
    """An image-only PDF, one JPEG per page (embedded as is, DCTDecode)."""
    buffer = io.BytesIO()
    canvas = rl_canvas.Canvas(buffer, invariant=1, pageCompression=0)
    canvas.setTitle(title)
    canvas.setCreator("kinerja samples/generate.py")
    for page in pages:
        draw_scan_page(canvas, page)
    canvas.save()
    return buffer.getvalue()


def blank_page(dpi: int, rng: np.random.Generator) -> np.ndarray:
    """An empty sheet through the copier: paper tone, faint shading, a few specks."""
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    return photocopy(np.full((h, w), 255, np.uint8), dpi, rng)


def photo_page(dpi: int, rng: np.random.Generator) -> np.ndarray:
    """A photo-like page (a documentation picture): smooth tones, blobs, vignette, no text."""
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    field = sum(
        cv2.resize(rng.normal(0, 1, (s, max(2, s * w // h))), (w, h), interpolation=cv2.INTER_CUBIC)
        * (24 / (k + 1))
        for k, s in enumerate((3, 7, 17, 41))
    )
    img = 128 + field
    for _ in range(int(rng.integers(6, 12))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(w // 20, w // 5)), int(rng.integers(h // 20, h // 6)))
        blob = np.zeros((h, w), np.float64)
        cv2.ellipse(blob, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        img += cv2.GaussianBlur(blob, (0, 0), w / 60) * rng.uniform(-70, 70)
    yy, xx = np.mgrid[0:h, 0:w]
    vignette = 1 - 0.35 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 4
    img = img * vignette + rng.normal(0, 4, (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def image_page(gray: np.ndarray, dpi: int, rng: np.random.Generator) -> ScanPage:
    h, w = gray.shape
    return ScanPage(to_jpeg(gray, rng), w, h, dpi, 0.0, 0)

"""Render scanned pages (pypdfium2), find their skew and orientation, and straighten them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from extract.pdf import EmbeddedImage

# One worker per core does the parallel work; OpenCV's own thread pool on top of that only
# oversubscribes the cores (measured: 2 workers ran each document 27 % slower).
cv2.setNumThreads(1)

MIN_OCR_DPI = 150
# Scans above 200 dpi are read at 200: the same rows on the real 2017 PK scan (indicator and
# budget), 5 casing slips in one 300 dpi sample, and 0.3-0.5 s a page faster
# (docs/benchmarks.md).
MAX_OCR_DPI = 200
DEFAULT_OCR_DPI = 200
MAX_PAGE_PIXELS = 60_000_000  # decompression-bomb guard: about A3 at 400 dpi
# An embedded image is decoded whole before it is scaled: refuse one past this many pixels
# (A4 at 1200 dpi is 139 million) before pdfium touches it.
MAX_IMAGE_PIXELS = 200_000_000
MAX_SKEW_DEGREES = 5.0
SKEW_ANALYSIS_WIDTH = 800  # px; the skew search runs on a reduced copy about this wide

# kinerja runs one worker process per core; OpenCV's own thread pool (2 threads on 2 cores)
# would fight those workers for the cores, and with one worker it would use a core that a
# plain tesseract run does not get.
cv2.setNumThreads(1)


class PageTooLarge(Exception):
    reason = "OCR_FAILED"


@dataclass(frozen=True, slots=True)
class PageRaster:
    """A greyscale page image and its scale (pixels per PDF point)."""

    image: np.ndarray  # uint8, H x W
    scale: float

    @property
    def dpi(self) -> float:
        return self.scale * 72


def choose_dpi(
    images: list[EmbeddedImage], page_width: float, page_height: float, requested: int | None
) -> int:
    """The embedded scan's own resolution, kept within what tesseract reads well."""
    if requested:
        return requested
    native = native_dpi(images, page_width, page_height)
    if native is None:
        return DEFAULT_OCR_DPI
    return int(min(MAX_OCR_DPI, max(MIN_OCR_DPI, round(native))))


def native_dpi(images: list[EmbeddedImage], page_width: float, page_height: float) -> float | None:
    """The resolution of the scan covering the page (the largest, if several), or None."""
    covering = [im for im in images if im.bbox.area >= 0.5 * page_width * page_height]
    return max((im.dpi for im in covering), default=None)


def check_embedded_images(images: list[EmbeddedImage]) -> None:
    """Raise PageTooLarge for a page whose embedded image would decode past MAX_IMAGE_PIXELS."""
    for image in images:
        if image.pixel_width * image.pixel_height > MAX_IMAGE_PIXELS:
            raise PageTooLarge(
                f"embedded image of {image.pixel_width}x{image.pixel_height} px exceeds "
                f"{MAX_IMAGE_PIXELS:,} pixels: not decoded (decompression-bomb guard)"
            )


def render_page(page: pdfium.PdfPage, dpi: int) -> PageRaster:
    width, height = page.get_size()
    scale = dpi / 72
    if width * height * scale * scale > MAX_PAGE_PIXELS:
        raise PageTooLarge(
            f"page of {width:.0f}x{height:.0f} pt at {dpi} dpi exceeds {MAX_PAGE_PIXELS:,} pixels"
        )
    image = scan_to_gray(page, scale)
    if image is None:
        bitmap = page.render(scale=scale, grayscale=True)
        image = np.array(bitmap.to_pil().convert("L"))
    return PageRaster(image=image, scale=scale)


COVER_TOLERANCE_PT = 1.0
DIRECT_FORMATS = {1: None, 2: cv2.COLOR_BGR2GRAY, 3: cv2.COLOR_BGRA2GRAY}  # gray, BGR, BGRx


def scan_to_gray(page: pdfium.PdfPage, scale: float) -> np.ndarray | None:
    """A page that is nothing but one upright full-page image, as that image decoded by
    pdfium and scaled, without rendering the page: 5-7 times faster (11 against 73 ms for an
    A4 page at 200 dpi); issue #3 suggests as much for image-only scans. None for any
    other page (rotated, several objects, a mask or alpha channel): it is rendered."""
    if page.get_rotation() % 360:
        return None
    objects = list(islice(page.get_objects(max_depth=1), 2))  # a text page has thousands
    if len(objects) != 1 or objects[0].type != pdfium.raw.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    if not covers_page(image.get_matrix().get(), page.get_bbox()):
        return None
    bitmap = image.get_bitmap(render=False)
    if bitmap.format not in DIRECT_FORMATS:
        return None
    pixels = bitmap.to_numpy()
    conversion = DIRECT_FORMATS[bitmap.format]
    gray = pixels if conversion is None else cv2.cvtColor(pixels, conversion)
    width, height = page.get_size()
    size = (math.ceil(width * scale), math.ceil(height * scale))  # as pypdfium2's render
    shrink = size[0] < gray.shape[1]
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(gray.squeeze(), size, interpolation=interpolation))


def covers_page(matrix: tuple[float, ...], box: tuple[float, float, float, float]) -> bool:
    """An image matrix (a, b, c, d, e, f) that draws the image upright over the whole box."""
    a, b, c, d, e, f = matrix
    left, bottom, right, top = box
    if b or c or a <= 0 or d <= 0:
        return False
    edges = (e - left, f - bottom, e + a - right, f + d - top)
    return all(abs(edge) <= COVER_TOLERANCE_PT for edge in edges)


def rotate_right_angle(raster: PageRaster, degrees: int) -> PageRaster:
    """Turn the page clockwise by a multiple of 90 degrees."""
    turns = {
        0: None,
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    code = turns[degrees % 360]
    if code is None:
        return raster
    return PageRaster(image=cv2.rotate(raster.image, code), scale=raster.scale)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark strokes as 255 on 0; adaptive so faded photocopies keep their lines."""
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )


def faint_ink_mask(gray: np.ndarray) -> np.ndarray:
    """A more sensitive ink mask, for checking where a faded ruling runs."""
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 6
    )


def reduced_copy(gray: np.ndarray, side_px: int) -> np.ndarray:
    """The page shrunk by a whole factor so that ``side_px`` becomes about
    SKEW_ANALYSIS_WIDTH: OpenCV averages whole blocks then, 0.2 against 11 ms for 1655 px
    brought to exactly 800."""
    factor = max(1, round(side_px / SKEW_ANALYSIS_WIDTH))
    if factor == 1:
        return gray
    return cv2.resize(gray, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)


def estimate_skew(gray: np.ndarray) -> float:
    """Skew in degrees (positive = counter-clockwise content) by projection-profile sharpness."""
    mask = ink_mask(reduced_copy(gray, gray.shape[1]))
    if mask.mean() < 0.5:  # nearly blank: nothing to measure
        return 0.0
    ink = _ink_offsets(mask)
    coarse = _best_angle(ink, np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.5))
    fine = _best_angle(ink, np.arange(coarse - 0.5, coarse + 0.51, 0.1))
    return round(float(fine), 2)


@dataclass(frozen=True, slots=True)
class InkOffsets:
    """The ink pixels of a mask as offsets from its centre (found once for both searches)."""

    dx: np.ndarray
    dy: np.ndarray
    height: int


def _ink_offsets(mask: np.ndarray) -> InkOffsets:
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    return InkOffsets(
        dx=xs.astype(np.float64) - width / 2, dy=ys.astype(np.float64) - height / 2, height=height
    )


def _best_angle(ink: InkOffsets, angles: np.ndarray) -> float:
    """The angle whose row profile is sharpest. Each ink pixel is moved to the row it lands
    on when the page turns by the angle about its centre (what cv2.warpAffine would do) and
    the rows are counted: 3-4 times faster than warping the whole mask for every angle."""
    dx, dy, height = ink.dx, ink.dy, ink.height
    best_angle, best_score = 0.0, -1.0
    for angle in angles:
        radians = np.deg2rad(float(angle))
        rows = np.rint(np.cos(radians) * dy - np.sin(radians) * dx + height / 2).astype(np.int64)
        profile = np.bincount(rows[(rows >= 0) & (rows < height)], minlength=height)
        score = float(np.square(np.diff(profile.astype(np.float64))).sum())
        if score > best_score:
            best_angle, best_score = float(angle), score
    return best_angle


def deskew(raster: PageRaster, angle: float) -> PageRaster:
    """Rotate by ``angle`` degrees (the estimate_skew convention), filling with white."""
    if abs(angle) < 0.05:
        return raster
    height, width = raster.image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    straight = cv2.warpAffine(
        raster.image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255
    )
    return PageRaster(image=straight, scale=raster.scale)


def looks_sideways(gray: np.ndarray) -> bool:
    """Text lines run vertically: the column profile is sharper than the row profile."""
    mask = ink_mask(reduced_copy(gray, max(gray.shape)))
    # Drop long ruling lines: they make both profiles sharp and say nothing about text direction.
    mask = cv2.bitwise_and(mask, cv2.bitwise_not(_long_lines(mask)))
    rows = mask.sum(axis=1, dtype=np.float64)
    cols = mask.sum(axis=0, dtype=np.float64)
    row_sharpness = float(np.square(np.diff(rows)).sum()) / max(1, len(rows))
    col_sharpness = float(np.square(np.diff(cols)).sum()) / max(1, len(cols))
    return col_sharpness > 1.6 * row_sharpness


def _long_lines(mask: np.ndarray) -> np.ndarray:
    length = max(15, min(mask.shape) // 12)
    horizontal = cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    )
    vertical = cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length))
    )
    lines = cv2.bitwise_or(horizontal, vertical)
    return cv2.dilate(lines, np.ones((3, 3), np.uint8))


def is_blank(gray: np.ndarray) -> bool:
    """Blank paper: almost no ink after removing speckle."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    mask = ink_mask(small)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return float(mask.mean()) / 255 < 0.002


def to_pil(raster: PageRaster) -> Image.Image:
    return Image.fromarray(raster.image)

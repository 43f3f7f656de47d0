"""The only module that runs tesseract: probe once, run with a timeout, typed errors.

pytesseract raises a bare RuntimeError on timeout and can call sys.exit when it cannot parse
the version string: both are caught here and turned into our own error types.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from extract.tsv import TsvError, split_tsv_pages

# OpenMP inside tesseract makes it 4-10x slower when processes already fill the cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@contextlib.contextmanager
def _import_fails(module: str) -> Iterator[None]:
    """Inside the block ``import module`` raises ModuleNotFoundError, unless it is loaded."""
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        del sys.modules[module]


# pytesseract imports pandas (0.37 s of every run's start) only to offer DataFrame output,
# which kinerja never asks for: hidden, pandas counts as not installed for pytesseract.
with _import_fails("pandas"):
    import pytesseract  # noqa: E402  (must see OMP_THREAD_LIMIT)

REQUIRED_LANGUAGES = ("ind", "eng")
DEFAULT_LANG = "ind+eng"  # the Debian `ind` model alone never outputs "%"
DEFAULT_PSM = 4  # measured: psm 4 keeps short cells (B, WTP, row numbers) that psm 6 drops


class TesseractError(Exception):
    """Base of every tesseract failure; ``reason`` is a DATASETS.md reason code."""

    reason = "OCR_FAILED"


class TesseractNotInstalled(TesseractError):
    pass


class LanguageMissing(TesseractError):
    pass


class TesseractTimeout(TesseractError):
    reason = "PAGE_TIMEOUT"


class TesseractCrashed(TesseractError):
    pass


@dataclass(frozen=True, slots=True)
class TesseractInfo:
    version: str
    languages: tuple[str, ...]
    tessdata: str


@functools.cache
def probe() -> TesseractInfo:
    """Version and installed languages, asked once per process."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise TesseractNotInstalled(
            "tesseract is not installed: run `make setup` (apt-get install tesseract-ocr "
            "tesseract-ocr-ind tesseract-ocr-eng)"
        )
    try:
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        langs = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TesseractNotInstalled(f"tesseract could not be started: {exc}") from exc
    first_line = (
        (version.stdout or version.stderr).splitlines()[0]
        if version.stdout or version.stderr
        else ""
    )
    listing = langs.stdout.splitlines()
    tessdata = listing[0].split('"')[1] if listing and '"' in listing[0] else ""
    languages = tuple(sorted(line.strip() for line in listing[1:] if line.strip()))
    return TesseractInfo(
        version=first_line.replace("tesseract ", "").strip(), languages=languages, tessdata=tessdata
    )


def check_languages(lang: str) -> TesseractInfo:
    """Fail early, with what to do, when a language of ``lang`` is not installed."""
    info = probe()
    missing = [code for code in lang.split("+") if code not in info.languages]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
        raise LanguageMissing(
            f"tesseract has no {'+'.join(missing)} language data (installed: "
            f"{', '.join(info.languages) or 'none'}): apt-get install {packages}"
        )
    return info


class OcrEngine(Protocol):
    """What the extract stage needs from an OCR engine; tests pass fakes that crash or hang."""

    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str: ...


TsvOrError = str | Exception  # one image's TSV, or what reading it raised


@runtime_checkable
class BatchOcrEngine(OcrEngine, Protocol):
    """An engine that reads several images in one go. One result per image: a failure of one
    image is that image's result, not an exception for all."""

    def images_to_tsv(
        self, images: Sequence[Image.Image], psm: int, timeout: float
    ) -> list[TsvOrError]: ...


def read_images(
    engine: OcrEngine, images: Sequence[Image.Image], psm: int, timeout: float
) -> list[TsvOrError]:
    """Each image's TSV (or its error), in one call where the engine can: one tesseract
    process loads its models once (~0.2 s of CPU) for all the images instead of once each.
    ``timeout`` is per image."""
    if len(images) > 1 and isinstance(engine, BatchOcrEngine):
        return engine.images_to_tsv(images, psm, timeout)
    return one_by_one(engine.image_to_tsv, images, psm, timeout)


def one_by_one(
    read: Callable[[Image.Image, int, float], str],
    images: Sequence[Image.Image],
    psm: int,
    timeout: float,
) -> list[TsvOrError]:
    results: list[TsvOrError] = []
    for image in images:
        try:
            results.append(read(image, psm, timeout))
        except Exception as exc:  # the image's own result: raised again for its page
            results.append(exc)
    return results


@dataclass(frozen=True, slots=True)
class TesseractEngine:
    lang: str = DEFAULT_LANG
    extra_config: str = ""

    def config(self, psm: int) -> str:
        # Looking for white-on-black text costs ~5 % of the time on every line; KPU
        # documents print none (measured: the same words with and without on sample pages).
        return f"--psm {psm} -c tessedit_do_invert=0 {self.extra_config}".strip()

    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        config = self.config(psm)
        # pytesseract would save the image as PNG first (a third of a second for an A4 page
        # at 300 dpi); an uncompressed PGM written here costs almost nothing.
        with tempfile.TemporaryDirectory(prefix="kinerja-ocr-") as folder:
            path = os.path.join(folder, "page.pgm")
            image_for_tesseract(image).save(path)
            tsv = _run(pytesseract.image_to_data, path, timeout, lang=self.lang, config=config)
        if not tsv.strip():
            raise TesseractCrashed("tesseract returned no output for the page")
        return tsv

    def images_to_tsv(
        self, images: Sequence[Image.Image], psm: int, timeout: float
    ) -> list[TsvOrError]:
        """All the images in one tesseract process (it reads a file that lists them); if that
        call fails, one by one, so that only the image at fault fails."""
        try:
            return list(self._read_listed(images, psm, timeout * len(images)))
        except (TesseractError, TsvError):
            return one_by_one(self.image_to_tsv, images, psm, timeout)

    def _read_listed(self, images: Sequence[Image.Image], psm: int, timeout: float) -> list[str]:
        config = self.config(psm)
        with tempfile.TemporaryDirectory(prefix="kinerja-ocr-") as folder:
            paths = [os.path.join(folder, f"page-{i:04d}.pgm") for i in range(len(images))]
            for image, path in zip(images, paths, strict=True):
                image_for_tesseract(image).save(path)
            listing = os.path.join(folder, "pages.txt")
            with open(listing, "w", encoding="utf-8") as stream:
                stream.write("\n".join(paths) + "\n")
            tsv = _run(pytesseract.image_to_data, listing, timeout, lang=self.lang, config=config)
        return split_tsv_pages(tsv, len(images))


def _run(function, image: Image.Image | str, timeout: float, **kwargs) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(function(image, timeout=timeout, **kwargs))
    except RuntimeError as exc:
        # pytesseract's timeout is a bare RuntimeError whose message says so.
        if "timeout" in str(exc).lower():
            raise TesseractTimeout(
                f"tesseract took longer than {timeout:.0f} s on the page"
            ) from exc
        raise TesseractCrashed(f"tesseract failed: {exc}") from exc
    except pytesseract.TesseractNotFoundError as exc:
        raise TesseractNotInstalled("tesseract is not installed: run `make setup`") from exc
    except pytesseract.TesseractError as exc:
        raise TesseractCrashed(f"tesseract failed: {exc.message or exc.status}") from exc
    except SystemExit as exc:  # pytesseract exits when it cannot parse `tesseract --version`
        raise TesseractCrashed(f"tesseract version could not be read: {exc}") from exc


def image_for_tesseract(image: Image.Image | np.ndarray) -> Image.Image:
    """Tesseract reads 8-bit greyscale best; arrays from OpenCV are wrapped."""
    if isinstance(image, np.ndarray):
        return Image.fromarray(image)
    return image if image.mode in ("L", "1") else image.convert("L")

"""A watchdog around any OCR engine: a call that hangs past its timeout becomes PAGE_TIMEOUT.

pytesseract kills tesseract on timeout itself, but an engine passed in (a fake in tests, another
OCR backend) may not; the call runs in a daemon thread that is abandoned when it overruns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image

from extract.tesseract import (
    BatchOcrEngine,
    OcrEngine,
    TesseractEngine,
    TesseractTimeout,
    TsvOrError,
    one_by_one,
)

T = TypeVar("T")
GRACE_SECONDS = 5.0  # beyond the engine's own timeout, before the watchdog gives up on it


class PageTimeout(TesseractTimeout):
    pass


def call_with_timeout(function: Callable[[], T], timeout: float) -> T:
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise PageTimeout(f"the OCR engine did not answer within {timeout:.0f} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class GuardedEngine:
    engine: OcrEngine | None = None
    lang: str = "ind+eng"

    @property
    def inner(self) -> OcrEngine:
        return self.engine if self.engine is not None else TesseractEngine(lang=self.lang)

    def image_to_tsv(self, image: Image.Image, psm: int, timeout: float) -> str:
        return call_with_timeout(
            lambda: self.inner.image_to_tsv(image, psm, timeout), timeout + GRACE_SECONDS
        )

    def images_to_tsv(
        self, images: Sequence[Image.Image], psm: int, timeout: float
    ) -> list[TsvOrError]:
        """Several images in one call of an engine that can (tesseract), else one by one;
        a batch that hangs is read again one by one, so that only its culprit times out."""
        inner = self.inner
        if not isinstance(inner, BatchOcrEngine):
            return one_by_one(self.image_to_tsv, images, psm, timeout)
        # The engine's own limit for the batch is timeout per image, and after a failed batch
        # it reads the images again one by one: the watchdog allows for both.
        try:
            return call_with_timeout(
                lambda: inner.images_to_tsv(images, psm, timeout),
                2 * timeout * len(images) + GRACE_SECONDS,
            )
        except PageTimeout:
            return one_by_one(self.image_to_tsv, images, psm, timeout)

"""Versions a run records in run.json: kinerja, tesseract and its traineddata, the lexicon."""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def traineddata_hashes(tessdata: str, lang: str) -> dict[str, str]:
    hashes = {}
    for code in lang.split("+"):
        path = Path(tessdata) / f"{code}.traineddata"
        hashes[code] = (
            hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"
        )
    return hashes


def tool_versions(lang: str) -> dict[str, Any]:
    from extract.tesseract import TesseractError, probe

    versions: dict[str, Any] = {
        name: _distribution_version(name)
        for name in (
            "kinerja",
            "pdfplumber",
            "pypdfium2",
            "pytesseract",
            "rapidfuzz",
            "spacy",
            "opencv-python-headless",
        )
    }
    try:
        info = probe()
        versions["tesseract"] = info.version
        versions["traineddata"] = traineddata_hashes(info.tessdata, lang)
    except TesseractError as exc:
        versions["tesseract"] = f"unavailable: {exc}"
    try:
        from lexicon.loader import load_lexicon

        versions["lexicon_sha256"] = load_lexicon().sha256
    except Exception as exc:  # a broken lexicon is reported by the run itself
        versions["lexicon_sha256"] = f"unavailable: {exc}"
    from lexicon import compiled

    versions["repair_code"] = compiled.describe()  # the same results either way, not the speed
    return versions

"""Re-record the tesseract TSV replayed by the fast tests: `python tests/record_tsv.py`.

Run it after a tesseract upgrade and review the diff; manifest.json names the version used.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import RECORDED, make_pk_pdf, pdf_to_scan  # noqa: E402

from extract.page import ExtractSettings, extract_page  # noqa: E402
from extract.pdf import open_pdf  # noqa: E402
from extract.tesseract import TesseractEngine, probe  # noqa: E402


class RecordingEngine(TesseractEngine):
    recorded: list[str] = []

    def image_to_tsv(self, image, psm, timeout):  # type: ignore[no-untyped-def]
        tsv = TesseractEngine.image_to_tsv(self, image, psm, timeout)
        RecordingEngine.recorded.append(tsv)
        return tsv


def main() -> None:
    RECORDED.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        scan = pdf_to_scan(make_pk_pdf(Path(folder) / "pk.pdf"), Path(folder) / "pk-scan.pdf")
        with open_pdf(scan) as source:
            extract_page(source, 1, "record", ExtractSettings(), RecordingEngine())
    (RECORDED / "pk-mojokerto-scan-p1.tsv").write_text(
        RecordingEngine.recorded[0], encoding="utf-8"
    )
    manifest = {
        "pk-mojokerto-scan-p1.tsv": {
            "tesseract": probe().version,
            "lang": "ind+eng",
            "psm": 4,
            "dpi": 200,
        }
    }
    (RECORDED / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

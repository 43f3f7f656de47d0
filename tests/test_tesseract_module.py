"""extract/tesseract.py keeps pytesseract from importing pandas (0.37 s of every run's start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_importing_the_tesseract_module_does_not_import_pandas() -> None:
    code = "import sys, extract.tesseract; print('pandas' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "False"


def test_pandas_still_imports_afterwards() -> None:
    code = "import extract.tesseract, pandas; print(pandas.DataFrame({'a': [1]}).shape)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "(1, 1)"

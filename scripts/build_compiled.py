"""Compile lexicon/compiled.py's COMPILED_MODULES with mypyc into build/compiled/.

Run by ``make setup`` whenever one of the sources changed. The sources are copied to a scratch
directory and compiled there, so no extension module ever lands beside a source it could
shadow; the finished build replaces the old one in a single rename, and its manifest records
each source's CRC-32 (lexicon/compiled.py uses the build only while they match). A machine
without a C compiler or Python's headers gets a warning and plain Python, at the same results.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


# lexicon/compiled.py run by itself: importing the lexicon package would load the very
# extension modules this replaces.
compiled = runpy.run_path(str(REPO_ROOT / "lexicon" / "compiled.py"))
BUILD_DIR: str = compiled["BUILD_DIR"]
COMPILED_MODULES: tuple[str, ...] = compiled["COMPILED_MODULES"]
MANIFEST: str = compiled["MANIFEST"]
build_problem = compiled["build_problem"]
load_problem = compiled["load_problem"]
extension_path = compiled["extension_path"]
manifest_text = compiled["manifest_text"]

PACKAGES = ("lexicon", "normalize")  # copied whole: mypy type-checks the imports too
MYPY_CONFIG = "[mypy]\npython_version = {version}\nignore_missing_imports = True\n"


def copy_sources(scratch: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package,
            scratch / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "data"),
        )
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (scratch / "mypy.ini").write_text(MYPY_CONFIG.format(version=version), encoding="utf-8")


def compile_in(scratch: Path) -> str:
    """Run mypyc over the copies; the name of the group library it made."""
    files = [str(Path(*m.split("."))) + ".py" for m in COMPILED_MODULES]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mypyc", *files],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError((done.stdout + done.stderr).strip()[-2000:])
    groups = [p.name for p in scratch.glob("*__mypyc*") if p.is_file()]
    if len(groups) != 1:
        raise RuntimeError(f"expected one mypyc group library, found {groups}")
    return groups[0].split(".")[0]


def collect(scratch: Path, group: str, dest: Path) -> None:
    """The extension modules and the manifest, laid out as BUILD_DIR expects them."""
    for module in COMPILED_MODULES:
        built = Path(extension_path(module, str(scratch)))
        target = Path(extension_path(module, str(dest)))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)
    library = next(scratch.glob(f"{group}.*"))
    shutil.copy2(library, dest / library.name)
    # The CRCs of the sources as they are in the repository (the copies were the same bytes).
    (dest / MANIFEST).write_text(manifest_text(COMPILED_MODULES, group), encoding="utf-8")


def build() -> int:
    build_dir = Path(BUILD_DIR)
    if not (build_problem() or load_problem()):
        return 0  # current: `make setup` stays quiet
    print(f"compiling {len(COMPILED_MODULES)} modules with mypyc (about a minute)")
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build_dir.parent) as tmp:
        scratch, fresh = Path(tmp) / "src", Path(tmp) / "compiled"
        copy_sources(scratch)
        try:
            group = compile_in(scratch)
        except (OSError, RuntimeError) as error:
            print(f"warning: mypyc failed, the repair runs as plain Python:\n{error}")
            return 0
        collect(scratch, group, fresh)
        if build_dir.exists():
            shutil.rmtree(build_dir, ignore_errors=True)
        # An OSError: another `make setup` finished first, and its build is as good.
        with contextlib.suppress(OSError):
            fresh.rename(build_dir)
    problem = build_problem()
    print("compiled build ready" if not problem else f"warning: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(build())

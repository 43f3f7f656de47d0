"""The repair's hot modules compiled by mypyc, used only while they match their sources.

Repairing OCR text is pure Python over small strings: the interpreter, not rapidfuzz, is most
of its time, and mypyc (part of mypy) compiles the same annotated modules to C extensions that
run it about 1.4 times as fast (docs/benchmarks.md). The sources stay the truth.
``scripts/build_compiled.py`` (run by ``make setup``) compiles COMPILED_MODULES into BUILD_DIR
with a manifest of each source's CRC-32; ``activate`` puts the build first on a package's
``__path__`` only when every listed source still has that CRC. An edited module, a missing or
partial build, another interpreter or ``KINERJA_COMPILED=0`` all mean plain Python: an
extension module beside an edited source would otherwise run the old code in its place.

This module is imported before any compiled one, so it uses only what the interpreter has
loaded already (os, sys, zlib).
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from zlib import crc32

ENV = "KINERJA_COMPILED"  # "0" runs the plain Python modules
REQUIRE_ENV = "KINERJA_REQUIRE_COMPILED"  # "1": the tests fail when the build is not used
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIR = os.path.join(REPO_ROOT, "build", "compiled")
MANIFEST = "manifest.txt"
MAGIC = "kinerja-compiled 1"
# Compiled together (one mypyc group): the repair's text path, from tokens to candidates.
COMPILED_MODULES = (
    "lexicon.cache",
    "normalize.repair",
    "normalize.repair_cost",
    "normalize.repair_index",
    "normalize.repair_phrases",
    "normalize.repair_split",
    "normalize.repair_words",
    "normalize.tokenizer",
    "normalize.tokens",
)

_status: list[str] = []  # the reason decided once per process ("" while compiled code is used)


def source_path(module: str, root: str = REPO_ROOT) -> str:
    return os.path.join(root, *module.split(".")) + ".py"


def extension_path(module: str, build_dir: str = BUILD_DIR) -> str:
    return os.path.join(build_dir, *module.split(".")) + EXTENSION_SUFFIXES[0]


def source_crc(path: str) -> str:
    with open(path, "rb") as handle:
        return f"{crc32(handle.read()):08x}"


def manifest_text(modules: tuple[str, ...], group: str, root: str = REPO_ROOT) -> str:
    """The manifest of a build of ``modules`` (its mypyc group library named ``group``)."""
    lines = [f"{MAGIC} {sys.implementation.cache_tag} {group}"]
    lines += [f"{m} {source_crc(source_path(m, root))}" for m in modules]
    return "\n".join(lines) + "\n"


def read_manifest(build_dir: str) -> tuple[list[str], list[str]]:
    """The words of a manifest's first line (magic, cache tag, group library) and its module
    lines; OSError or ValueError when there is none."""
    with open(os.path.join(build_dir, MANIFEST), encoding="utf-8") as handle:
        head, *entries = handle.read().splitlines()
    return head.split(), entries


def build_problem(build_dir: str = BUILD_DIR, root: str = REPO_ROOT) -> str:
    """Why the build in ``build_dir`` cannot stand in for the sources under ``root``, or ""."""
    try:
        parts, entries = read_manifest(build_dir)
    except (OSError, ValueError):
        return "no compiled build (make setup builds one)"
    if " ".join(parts[:2]) != MAGIC or len(parts) != 4:
        return "the compiled build has an unknown manifest"
    if parts[2] != sys.implementation.cache_tag:
        return f"the compiled build is for {parts[2]}, not {sys.implementation.cache_tag}"
    listed = dict(entry.split() for entry in entries if entry)
    if sorted(listed) != sorted(COMPILED_MODULES):
        return "the compiled build holds other modules than COMPILED_MODULES"
    group = os.path.join(build_dir, parts[3]) + EXTENSION_SUFFIXES[0]
    for module, crc in listed.items():
        try:
            if source_crc(source_path(module, root)) != crc:
                return f"{module} changed since the compiled build (make setup rebuilds it)"
        except OSError:
            return f"{module} has no source"
        if not os.path.exists(extension_path(module, build_dir)):
            return f"the compiled build lacks {module}"
    return "" if os.path.exists(group) else "the compiled build lacks its group library"


def status() -> str:
    """Why the compiled modules are not used ("" while they are), decided once per process."""
    if not _status:
        if os.environ.get(ENV, "1") == "0":
            _status.append(f"{ENV}=0")
        else:
            _status.append(build_problem() or load_problem())
    return _status[0]


def load_problem(build_dir: str = BUILD_DIR) -> str:
    """Why the build's group library, which every compiled module needs, does not load, or "":
    a damaged build falls back to the sources instead of breaking every import."""
    try:
        group = read_manifest(build_dir)[0][3]
        sys.path.append(build_dir)
        try:
            __import__(group)
        finally:
            sys.path.remove(build_dir)
    except (OSError, ValueError, IndexError, ImportError) as error:
        return f"the compiled build does not load: {error}"
    return ""


def activate(package: str, path: list[str]) -> None:
    """Put the compiled modules of ``package`` (its ``__path__`` is ``path``) before its
    sources when the build matches the sources (their group library is loaded by then)."""
    if not status():
        path.insert(0, os.path.join(BUILD_DIR, *package.split(".")))


def describe() -> str:
    """For run.json and the bench: which code repairs the text."""
    problem = status()
    return "compiled (mypyc)" if not problem else f"python ({problem})"

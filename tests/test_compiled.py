"""The compiled repair modules (lexicon/compiled.py): used only while they match their sources,
and giving the plain modules' results."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lexicon import compiled

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def fake_build(tmp_path: Path) -> tuple[Path, Path]:
    """A source tree holding copies of the compiled modules' sources, and a build of empty
    extension files with a manifest of those sources."""
    root, build = tmp_path / "root", tmp_path / "build"
    for module in compiled.COMPILED_MODULES:
        source = Path(compiled.source_path(module, str(root)))
        source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(compiled.source_path(module), source)
        extension = Path(compiled.extension_path(module, str(build)))
        extension.parent.mkdir(parents=True, exist_ok=True)
        extension.write_bytes(b"")
    (build / f"group__mypyc{SUFFIX}").write_bytes(b"")
    manifest = compiled.manifest_text(compiled.COMPILED_MODULES, "group__mypyc", str(root))
    (build / compiled.MANIFEST).write_text(manifest, encoding="utf-8")
    return root, build


def test_a_build_matching_its_sources_is_used(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    assert compiled.build_problem(str(build), str(root)) == ""


def test_an_edited_source_turns_the_build_off(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    source = Path(compiled.source_path("normalize.repair_words", str(root)))
    source.write_text(source.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    problem = compiled.build_problem(str(build), str(root))
    assert problem.startswith("normalize.repair_words changed since the compiled build")


def test_a_partial_build_is_not_used(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    Path(compiled.extension_path("lexicon.cache", str(build))).unlink()
    assert compiled.build_problem(str(build), str(root)) == "the compiled build lacks lexicon.cache"
    (build / f"group__mypyc{SUFFIX}").unlink()
    Path(compiled.extension_path("lexicon.cache", str(build))).write_bytes(b"")
    assert "group library" in compiled.build_problem(str(build), str(root))


def test_a_build_for_another_interpreter_or_module_list_is_not_used(tmp_path: Path) -> None:
    root, build = fake_build(tmp_path)
    manifest = build / compiled.MANIFEST
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace(sys.implementation.cache_tag, "cpython-27"), encoding="utf-8")
    assert "is for cpython-27" in compiled.build_problem(str(build), str(root))
    lines = text.splitlines()
    manifest.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert "other modules" in compiled.build_problem(str(build), str(root))
    manifest.unlink()
    assert compiled.build_problem(str(build), str(root)).startswith("no compiled build")


# Each seed line through every column's rules, and with confidences: the plain modules and the
# compiled ones must agree on every field of every result.
REPAIR_SEEDS = """
import json, sys
from pathlib import Path
from lexicon import compiled
from normalize import repair_words
from normalize.repair import COLUMNS, LineRepairer, Repairer
repairer = Repairer.default()
line_repairer = LineRepairer(repairer)
out = []
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        out += [repr(repairer.repair_text(line, column)) for column in COLUMNS]
        out.append(repr(repairer.repair_text(line, "text", [40.0 + (n % 6) * 12] * 80)))
        out.append(line_repairer.repair_line(line))
print(json.dumps({"code": compiled.describe(), "module": repair_words.__file__, "out": out}))
"""


def repair_seeds(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", REPAIR_SEEDS, str(SEEDS)],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_compiled_modules_repair_exactly_as_the_plain_ones() -> None:
    if compiled.status():
        if os.environ.get(compiled.REQUIRE_ENV) == "1":
            pytest.fail(f"the compiled build is not in use: {compiled.status()}")
        pytest.skip(f"no compiled build in use: {compiled.status()}")
    plain = repair_seeds({compiled.ENV: "0"})
    fast = repair_seeds({compiled.ENV: "1"})
    assert plain["code"] == f"python ({compiled.ENV}=0)"
    assert str(plain["module"]).endswith(".py")
    assert fast["code"] == "compiled (mypyc)"
    assert str(fast["module"]).endswith(SUFFIX)
    assert fast["out"] == plain["out"]
    assert len(plain["out"]) > 1000  # type: ignore[arg-type]


def test_a_build_that_does_not_load_is_not_used(tmp_path: Path) -> None:
    _, build = fake_build(tmp_path)
    (build / f"group__mypyc{SUFFIX}").write_bytes(b"not a shared library")
    assert compiled.load_problem(str(build)).startswith("the compiled build does not load")
    assert str(build) not in sys.path

"""A per-user cache of objects derived from the lexicon, keyed by the lexicon's SHA-256.

Parsing the CSVs and building the candidate index take ~2 s; unpickling them ~0.2 s. The key is
the lexicon hash plus a name that carries the builder's own settings, so a changed data file or
a changed builder never reads a stale entry. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

CACHE_ENV = "KINERJA_CACHE_DIR"  # "" disables the cache
FORMAT = 1  # bump when the pickled layout changes
T = TypeVar("T")


def cache_dir() -> Path | None:
    """``$KINERJA_CACHE_DIR``, else ``$XDG_CACHE_HOME/kinerja`` or ``~/.cache/kinerja``."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kinerja"


def cache_path(name: str, sha256: str) -> Path | None:
    folder = cache_dir()
    return folder / f"{name}-{sha256[:24]}-f{FORMAT}.pickle" if folder else None


def load_or_build(name: str, sha256: str, build: Callable[[], T]) -> T:
    """The cached object for (name, lexicon hash), built and stored on a miss."""
    path = cache_path(name, sha256)
    if path is not None:
        try:
            return pickle.loads(path.read_bytes())  # type: ignore[no-any-return]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            pass
    value = build()
    if path is not None:
        store(path, value)
    return value


def store(path: Path, value: object) -> None:
    """Write atomically (two workers may build the same entry at once); errors are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        return

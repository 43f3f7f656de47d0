"""The KPU lexicon: data files under data/ with their provenance, a builder and a loader."""

from lexicon import compiled

# Before any module of the package is imported: lexicon.cache may come from the compiled build.
compiled.activate(__name__, __path__)

from lexicon.loader import Lexicon, LexiconError, load_lexicon  # noqa: E402

__all__ = ["Lexicon", "LexiconError", "load_lexicon"]

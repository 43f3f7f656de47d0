"""The KPU lexicon: data files under data/ with their provenance, a builder and a loader."""

from lexicon.loader import Lexicon, LexiconError, load_lexicon

__all__ = ["Lexicon", "LexiconError", "load_lexicon"]

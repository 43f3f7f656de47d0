"""Normalize: OCR repair, value parsing and the mapping of tables to indicator rows."""

from lexicon import compiled

# The repair's hot modules come from the compiled build while it matches their sources.
compiled.activate(__name__, __path__)

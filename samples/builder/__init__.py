"""Builds the sample documents under samples/ from the specs in samples/source/.

model.py turns a spec into truth rows, born.py renders it with reportlab, scan.py turns rendered
pages into degraded image-only pages, outputs.py writes truth CSVs, the manifest and the README.
"""

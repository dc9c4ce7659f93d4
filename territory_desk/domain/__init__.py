"""The domain core: units, territories, alignment, accounts, reps, metrics, incremental engine.

Pure Python + numpy/shapely/pyproj. Nothing here imports Qt (an import-linter contract checks it).
"""

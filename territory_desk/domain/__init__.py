"""The domain core: pure Python + numpy/shapely/pyproj; nothing here imports Qt.

Four floors, each importing only the ones below it (import-linter contracts check it, and that no
two modules import each other in a circle):

* ``model``: units, accounts, reps, territories and regions, scenarios, territory layers, CRM
  activity, periods, adjacency, projection, the project aggregate;
* ``stats``: the live statistics of a scenario (incremental engines, metrics, membership,
  contiguity, hierarchy roll-ups); ``stats/kinds.py`` picks the engine for a scenario's kind;
* ``editing``: the Document, its one undo history (``editing/command.py``), the change notices
  (``editing/changes.py``) and the commands, grouped by what they change;
* the features: ``optimize`` (automatic design), ``kpis``, ``leads``, ``reps``, ``compare``.
"""

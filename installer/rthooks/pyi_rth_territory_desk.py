# PyInstaller runtime hook (installer/territory_desk.spec): runs inside the packaged app before
# territory_desk starts.
#
# One PROJ database for both PROJ copies. pyogrio's GDAL and pyproj each link their own PROJ; the
# bundle ships only pyogrio's newer proj.db (PROJ reads databases of a newer minor layout; the
# spec's comment has the check) and points pyproj at it through PROJ_DATA. The bundle's database
# always wins over a PROJ_DATA/PROJ_LIB left in the environment by another GIS install, which may
# be older than the library and refused.
import os
import sys

_base = getattr(sys, "_MEIPASS", None) or os.path.dirname(os.path.abspath(sys.executable))
_proj = os.path.join(_base, "pyogrio", "proj_data")
if os.path.isfile(os.path.join(_proj, "proj.db")):
    os.environ["PROJ_DATA"] = _proj
    os.environ["PROJ_LIB"] = _proj  # the name PROJ < 9.1 reads
del _base, _proj

"""`python -m territory_desk.cli`: the territory-desk command."""
import sys

from territory_desk.cli import main

sys.exit(main())

"""Map overlays drawn on top of the territory layer: scenario diff, account heat map, pinned accounts, thematic map."""

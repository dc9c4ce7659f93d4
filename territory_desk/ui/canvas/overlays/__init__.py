"""Map overlays drawn on top of the territory map: scenario diff, account heat map, pinned accounts, thematic map."""

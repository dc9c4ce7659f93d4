"""Statistics of a scenario: the incremental engines (unit and freeform scenarios; kinds.py picks
one), metrics, account membership, contiguity and hierarchy roll-ups."""

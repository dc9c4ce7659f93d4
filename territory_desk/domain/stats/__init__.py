"""Statistics of a scenario: the incremental engines (unit and freeform scenarios), metrics, account membership, contiguity and hierarchy roll-ups."""

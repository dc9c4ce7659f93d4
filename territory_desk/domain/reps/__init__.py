"""Rep matching: scores of every rep x territory pair and the optimal plan."""

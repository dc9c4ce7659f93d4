"""Sales performance: KPIs per territory and hierarchy level and period, snapshots and period reviews."""

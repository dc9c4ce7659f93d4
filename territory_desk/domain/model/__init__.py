"""The core model: units, accounts, reps, territories and regions, territory layers and their rules, conditions, CRM activity, periods, adjacency, projection, colours and the project aggregate."""

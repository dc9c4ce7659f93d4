"""Lead routing: the ordered rules, where a lead belongs, and the router."""

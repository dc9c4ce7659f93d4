"""The Territories dock: the regions -> territories tree, its actions and region editing."""

"""Editing: commands (do/undo) over the open Document, grouped by what they change."""

"""Editing: the open Document, its one undo history (command.py), the change notices it sends
(changes.py), and the commands over it, grouped by what they change."""

"""Dialogs of the main window (one module per dialog)."""

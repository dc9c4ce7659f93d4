"""territory_desk: a desktop editor for sales territory planning."""

__version__ = "0.1.0"

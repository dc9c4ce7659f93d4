"""Freeform territories on the canvas: drawing and editing tools and their overlay."""

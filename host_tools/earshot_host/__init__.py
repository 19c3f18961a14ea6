"""earshot host tools: convert models, run them on targets, flash, stream and watch."""

__version__ = "0.1.0"

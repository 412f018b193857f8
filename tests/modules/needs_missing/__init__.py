"""Depends on a module nobody installed."""

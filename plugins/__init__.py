"""Comptoir's built-in modules: one package each, registered as ``comptoir.plugins`` entry
points exactly like partner modules."""

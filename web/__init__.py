"""Comptoir's web layer: the application factory, pages, API and command line."""

from web.app import create_app

__all__ = ["create_app"]

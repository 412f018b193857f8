"""The example module as a release whose pages fail to build."""

from core import hookimpl


@hookimpl
def comptoir_blueprints():
    raise RuntimeError("example's pages fail to build")

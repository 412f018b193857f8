"""Measure what the kernel adds to every request, and what a module change costs a worker.

Prints one JSON line: requests per second to /health and to a module page, the time to build
the application after a module is enabled or disabled, and the time of one enable and one
disable.  SQLite in a temporary folder by default; give a PostgreSQL URL (and a schema that
exists) to measure there:

    python benchmarks/kernel_requests.py [--url postgresql://postgres@127.0.0.1/test --schema s]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import modules  # noqa: E402
from core.testing import log_in  # noqa: E402
from web import create_app  # noqa: E402


def per_second(count, action):
    start = time.perf_counter()
    for _ in range(count):
        action()
    return round(count / (time.perf_counter() - start), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--schema", help="PostgreSQL schema to use")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    app = create_app({
        "COMPTOIR_DATABASE_URL": args.url or f"sqlite:///{folder}/bench.sqlite",
        "COMPTOIR_DATABASE_SCHEMA": args.schema,
        "COMPTOIR_EXTRA_MODULES": {"example": "tests.modules.example"},
        "SECRET_KEY": "bench", "INSTANCE_PATH": folder,
    })
    registry = app.extensions["comptoir"]
    modules.initialise(registry, ["example"], demo=True)
    client = app.test_client()
    log_in(client, "admin")
    client.get("/health")

    figures = {
        "health_per_second": per_second(args.requests, lambda: client.get("/health")),
        "module_page_per_second": per_second(args.requests, lambda: client.get("/example/")),
    }
    start = time.perf_counter()
    modules.disable(registry, "example")
    figures["disable_ms"] = round((time.perf_counter() - start) * 1000, 1)
    start = time.perf_counter()
    client.get("/health")
    figures["rebuild_after_change_ms"] = round((time.perf_counter() - start) * 1000, 1)
    start = time.perf_counter()
    modules.enable(registry, "example")
    figures["enable_ms"] = round((time.perf_counter() - start) * 1000, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

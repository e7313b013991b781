"""What the benchmarks share: Django set up on the configured database, and a throwaway
database per benchmark (bench_<name>_<configured database>) created before and dropped after the run. Request logs are
quiet: a benchmark prints its own figures."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("backoffice.requests").setLevel(logging.WARNING)

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


def in_throwaway_database(run, name, keep=False):
    """`keep`: reuse the test database of an earlier run and leave it (for filling once and
    measuring many times); migrations still apply."""
    if connection.vendor != "postgresql":
        sys.exit(f"bench/{name} measures PostgreSQL: set DATABASE_URL=postgres://...")
    # Its own name (per benchmark and configured database), so two benchmarks at once (or a kept
    # one) never replace each other's database.
    connection.settings_dict["TEST"]["NAME"] = f"bench_{Path(name).stem}_{connection.settings_dict['NAME']}"
    state = setup_databases(verbosity=0, interactive=False, keepdb=keep)
    try:
        run()
    finally:
        connections.close_all()
        teardown_databases(state, verbosity=0, keepdb=keep)

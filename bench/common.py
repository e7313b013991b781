"""What the benchmarks share: Django set up on the configured database, and a throwaway
test database (test_<name>) created before and dropped after the run."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


def in_throwaway_database(run, name):
    if connection.vendor != "postgresql":
        sys.exit(f"bench/{name} measures PostgreSQL: set DATABASE_URL=postgres://...")
    state = setup_databases(verbosity=0, interactive=False)
    try:
        run()
    finally:
        connections.close_all()
        teardown_databases(state, verbosity=0)

import zlib

from django.db import connection


def advisory_lock(name):
    """Hold a database-wide lock named `name` until the current transaction ends, so two
    workers (or beat and a manual run) cannot run the same job at once. On SQLite the
    IMMEDIATE transaction already serialises writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])

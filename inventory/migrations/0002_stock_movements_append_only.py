"""The ledger is append-only in the database too, not only in the ORM. Deleting rows is
left to TRUNCATE (test teardown), which row triggers do not see; SQLite's test flush uses
DELETE, so there only UPDATE is refused."""

from django.db import migrations

POSTGRES = [
    """
    CREATE FUNCTION inventory_stockmovement_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'stock movements are append-only; record a correcting movement instead';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER inventory_stockmovement_append_only
    BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmovement_append_only()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER inventory_stockmovement_append_only ON inventory_stockmovement",
    "DROP FUNCTION inventory_stockmovement_append_only()",
]
SQLITE = [
    """
    CREATE TRIGGER inventory_stockmovement_append_only
    BEFORE UPDATE ON inventory_stockmovement
    BEGIN SELECT RAISE(ABORT, 'stock movements are append-only; record a correcting movement instead'); END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER inventory_stockmovement_append_only"]


def run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]

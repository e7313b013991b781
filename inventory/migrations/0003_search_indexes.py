from django.db import migrations

from kernel.migration_tools import on_postgresql


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_stock_movements_append_only")]

    # A part of a SKU or product name, found by trigram indexes (Django's icontains is UPPER(x) LIKE UPPER(%...%)).
    operations = [
        on_postgresql("CREATE EXTENSION IF NOT EXISTS pg_trgm", "SELECT 1"),
        on_postgresql(
            "CREATE INDEX product_sku_trigram ON inventory_product USING gin (UPPER(sku::text) gin_trgm_ops)",
            "DROP INDEX IF EXISTS product_sku_trigram",
        ),
        on_postgresql(
            "CREATE INDEX product_name_trigram ON inventory_product USING gin (UPPER(name::text) gin_trgm_ops)",
            "DROP INDEX IF EXISTS product_name_trigram",
        ),
    ]

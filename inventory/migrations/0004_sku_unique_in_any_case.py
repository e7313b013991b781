import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Upper


def refuse_skus_differing_in_case(apps, schema_editor):
    """Name the SKUs that differ in case only, rather than fail on the index with a bare error."""
    Product = apps.get_model("inventory", "Product")
    clashes = (
        Product.objects.annotate(key=Upper("sku"))
        .values("key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("key", flat=True)
    )
    if clashes:
        names = sorted(
            Product.objects.annotate(key=Upper("sku")).filter(key__in=list(clashes)).values_list("sku", flat=True)
        )
        raise RuntimeError(
            f"SKUs differ in case only: {', '.join(names)}. Rename all but one of each, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_search_indexes"),
    ]

    operations = [
        migrations.RunPython(refuse_skus_differing_in_case, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("sku"),
                name="product_sku_unique_in_any_case",
                violation_error_message="A product with this SKU already exists (SKUs are the same in any case).",
            ),
        ),
    ]

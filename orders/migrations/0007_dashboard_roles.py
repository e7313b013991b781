"""The dashboard is the manager's; every role that reads orders reads their history; the
warehouse receives purchase orders but stays out of purchasing's supplier pages."""

from django.db import migrations

from kernel.migration_tools import ensure_permissions


def grant(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    orders = Permission.objects.filter(content_type__app_label="orders")
    history = orders.get(codename="view_orderevent")
    for role in ("Warehouse", "Purchasing", "Customer service"):
        Group.objects.get(name=role).permissions.add(history)
    Group.objects.get(name="Manager").permissions.add(*orders)
    Group.objects.get(name="Warehouse").permissions.remove(
        *Permission.objects.filter(content_type__app_label="purchasing", codename="view_supplier")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_status_page_history"),
        ("purchasing", "0003_line_received_at_first_expected_date"),
        ("notifications", "0003_default_policy"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

"""Purchasing's reach for each role: purchasing runs suppliers and purchase orders, the
warehouse receives against them, customer service reads them, the manager does all and
may change the job schedule."""

from django.db import migrations

from kernel.migration_tools import ensure_permissions

GRANTS = {
    "Purchasing": [
        "view_supplier",
        "add_supplier",
        "change_supplier",
        "view_supplieritem",
        "add_supplieritem",
        "change_supplieritem",
        "delete_supplieritem",
        "view_purchaseorder",
        "add_purchaseorder",
        "change_purchaseorder",
        "view_purchaseorderline",
        "change_purchaseorderline",
        "view_batchrun",
    ],
    "Warehouse": ["view_supplier", "view_purchaseorder", "view_purchaseorderline", "receive_purchaseorder"],
    "Customer service": ["view_supplier", "view_purchaseorder", "view_purchaseorderline"],
}


def grant(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    purchasing = Permission.objects.filter(content_type__app_label="purchasing")
    for role, codenames in GRANTS.items():
        Group.objects.get(name=role).permissions.add(*purchasing.filter(codename__in=codenames))
    Group.objects.get(name="Manager").permissions.add(*purchasing)
    Group.objects.get(name="Manager").permissions.add(
        *Permission.objects.filter(content_type__app_label="orders", content_type__model="etachange"),
        # The manager may change when the jobs run.
        *Permission.objects.filter(content_type__app_label="django_celery_beat"),
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.all():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="purchasing"))


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0001_initial"),
        ("orders", "0004_backorder_po_line_and_more"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

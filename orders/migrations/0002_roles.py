"""The staff roles and what each may do. The API and the admin both check these model
permissions, so a role's reach is the same through either door."""

from django.db import migrations

from kernel.migration_tools import ensure_permissions

ROLES = {
    "Warehouse": [
        "inventory.view_product",
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        "inventory.add_stockmovement",
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_backorder",
        "orders.view_customer",
        "orders.view_shipment",
        "orders.add_shipment",
        "orders.view_shipmentline",
    ],
    "Purchasing": [
        "inventory.view_product",
        "inventory.add_product",
        "inventory.change_product",
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_backorder",
    ],
    "Customer service": [
        "inventory.view_product",
        "inventory.view_stocklevel",
        "orders.view_customer",
        "orders.change_customer",
        "orders.view_order",
        "orders.change_order",
        "orders.cancel_units",
        "orders.view_orderline",
        "orders.view_backorder",
        "orders.view_shipment",
        "orders.view_shipmentline",
    ],
    # The shop's API user: places orders, reads availability, forwards cancellations.
    "Shop": [
        "inventory.view_product",
        "inventory.view_stocklevel",
        "orders.add_order",
        "orders.view_order",
        "orders.cancel_units",
        "orders.view_backorder",
    ],
}
MANAGER_APPS = ["inventory", "orders"]


def create_roles(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions(names))
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.set(Permission.objects.filter(content_type__app_label__in=MANAGER_APPS))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[*ROLES, "Manager"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("inventory", "0002_stock_movements_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

"""Customer messages for each role: customer service reads the outbox, sends updates and
personal messages and sees vouchers and delivery events; the manager also sets the policy."""

from django.db import migrations

from kernel.migration_tools import ensure_permissions

GRANTS = {
    "Customer service": [
        "view_customermessage",
        "send_customermessage",
        "view_voucher",
        "view_messageevent",
        "view_digest",
        "view_messagepolicy",
    ],
    "Warehouse": ["view_customermessage"],
}


def grant(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    notifications = Permission.objects.filter(content_type__app_label="notifications")
    for role, codenames in GRANTS.items():
        Group.objects.get(name=role).permissions.add(*notifications.filter(codename__in=codenames))
    Group.objects.get(name="Manager").permissions.add(*notifications)
    # The shop's API user may read an order's messages.
    Group.objects.get(name="Shop").permissions.add(*notifications.filter(codename="view_customermessage"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.all():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="notifications"))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("orders", "0005_status_link_told_eta_call_reason"),
        ("purchasing", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""The manager connects shops and reads what came and went; customer service reads the held
events (an order that could not be placed is theirs to chase)."""

from django.db import migrations

from kernel.migration_tools import ensure_permissions


def grant(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    shops = Permission.objects.filter(content_type__app_label="shops")
    Group.objects.get(name="Manager").permissions.add(*shops)
    Group.objects.get(name="Customer service").permissions.add(*shops.filter(codename__startswith="view_"))


class Migration(migrations.Migration):
    dependencies = [("shops", "0001_initial"), ("orders", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

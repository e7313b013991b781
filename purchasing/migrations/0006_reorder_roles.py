"""The reorder policy row, and who may read the demand history and change the policy:
purchasing and the manager."""

from django.db import migrations

from kernel.migration_tools import ensure_permissions

CODENAMES = ["view_demandday", "view_reorderpolicy", "change_reorderpolicy"]


def grant(apps, schema_editor):
    apps.get_model("purchasing", "ReorderPolicy").objects.get_or_create(pk=1)
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="purchasing", codename__in=CODENAMES
    )
    for role in ["Purchasing", "Manager"]:
        Group.objects.get(name=role).permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0005_reorder_review")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

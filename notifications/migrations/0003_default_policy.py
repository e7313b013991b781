from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("notifications", "MessagePolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_roles")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

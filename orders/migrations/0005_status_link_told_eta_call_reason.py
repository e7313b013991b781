import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.filter(public_id__isnull=True).only("pk").iterator():
        Order.objects.filter(pk=order.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_backorder_po_line_and_more")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="call_reason",
            field=models.CharField(
                blank=True,
                help_text="Why customer service should phone this customer; empty when no call is needed.",
                max_length=200,
                verbose_name="call the customer",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="public_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="public id"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public id"),
        ),
        migrations.AddField(
            model_name="backorder",
            name="told_eta",
            field=models.DateField(
                null=True,
                help_text="The ETA the customer last heard of (order page or email); delay notices compare with it.",
                verbose_name="last date told",
            ),
        ),
        migrations.RunSQL("UPDATE orders_backorder SET told_eta = promised_date", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="backorder",
            name="told_eta",
            field=models.DateField(
                help_text="The ETA the customer last heard of (order page or email); delay notices compare with it.",
                verbose_name="last date told",
            ),
        ),
    ]

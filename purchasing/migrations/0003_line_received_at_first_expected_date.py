from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="purchaseorderline",
            name="received_at",
            field=models.DateTimeField(
                blank=True, help_text="When the last unit arrived.", null=True, verbose_name="received at"
            ),
        ),
        migrations.AddField(
            model_name="purchaseorderline",
            name="first_expected_date",
            field=models.DateField(
                null=True,
                help_text="The date first asked for; re-dates do not change it.",
                verbose_name="first expected date",
            ),
        ),
        migrations.RunSQL(
            "UPDATE purchasing_purchaseorderline SET first_expected_date = expected_date", migrations.RunSQL.noop
        ),
        migrations.AlterField(
            model_name="purchaseorderline",
            name="first_expected_date",
            field=models.DateField(
                help_text="The date first asked for; re-dates do not change it.", verbose_name="first expected date"
            ),
        ),
    ]

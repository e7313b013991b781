"""What data migrations share: permissions exist only after post_migrate, so a migration
that grants them to roles creates them first."""

from django.contrib.auth.management import create_permissions


def ensure_permissions(apps):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def on_postgresql(sql, reverse_sql):
    """A migration step for PostgreSQL only (trigram indexes, say); SQLite, the embedded
    default for the demo and the fast tests, skips it."""
    from django.db import migrations

    def run(statement):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(sql), run(reverse_sql))

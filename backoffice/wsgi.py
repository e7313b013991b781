import os

from django.core.wsgi import get_wsgi_application
from django.db.backends.signals import connection_created

from backoffice.environment import exit_on_bad_environment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
with exit_on_bad_environment():
    application = get_wsgi_application()

# Web processes only: gunicorn and runserver load this module, workers and beat do not.
# (Imported here, once the settings are known.)
from backoffice.failures import bound_database_waits  # noqa: E402  (after the settings module is named)

connection_created.connect(bound_database_waits, dispatch_uid="backoffice.bound_database_waits")

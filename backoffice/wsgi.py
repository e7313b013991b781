import os

from django.core.wsgi import get_wsgi_application
from django.db.backends.signals import connection_created

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
application = get_wsgi_application()

# Web processes only: gunicorn and runserver load this module, workers and beat do not.
# (Imported here, once the settings are known.)
from backoffice.failures import bound_database_waits

connection_created.connect(bound_database_waits, dispatch_uid="backoffice.bound_database_waits")

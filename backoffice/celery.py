import os

from celery import Celery
from django.conf import settings

from backoffice.environment import exit_on_bad_environment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# The settings read now, so that a bad environment value stops a worker or beat with one line
# (read later, inside Celery's start-up, it was a traceback).
with exit_on_bad_environment():
    settings.INSTALLED_APPS  # noqa: B018 (reading it loads the settings)

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

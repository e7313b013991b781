"""Beat's scheduler: django-celery-beat's (the schedule lives in the database), saying it is
alive at most every HEARTBEAT_SECONDS, so /health/ready can tell a beat that stopped."""

import logging
import time

from django.db import DatabaseError
from django_celery_beat.schedulers import DatabaseScheduler

from kernel import clock

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15


class Scheduler(DatabaseScheduler):
    _last_heartbeat = float("-inf")

    def tick(self, *args, **kwargs):
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT_SECONDS:
            from backoffice.models import Heartbeat

            try:
                Heartbeat.objects.update_or_create(name="beat", defaults={"at": clock.now()})
                self._last_heartbeat = time.monotonic()
            except DatabaseError as error:  # the schedule goes on; readiness will say so
                log.warning("Beat could not write its heartbeat: %s", error)
        return super().tick(*args, **kwargs)

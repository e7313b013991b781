from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a long-running process (beat) last said it is alive: the readiness check reads it."""

    name = models.CharField(_("process"), max_length=32, primary_key=True)
    at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"

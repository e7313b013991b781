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


class DashboardSnapshot(models.Model):
    """The managers' dashboard figures as of a moment: aggregating a year of backorders takes
    seconds, so a job computes them (backoffice.dashboard.refresh_dashboard) and the page reads
    them. One row."""

    figures = models.JSONField(_("figures"))
    as_of = models.DateTimeField(_("as of"))

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="dashboard_snapshot_single_row")]

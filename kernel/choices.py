from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """The languages customers and suppliers are written to in."""

    DE = "de", _("German")
    EN = "en", _("English")

"""Connecting a shop: create or update its connection, secrets included.

Rules: the code names the connection (letters, digits, - and _; it appears in the webhook
URL and in the back office's numbers of the shop's orders); the platform decides which
secrets it needs (secrets.NEEDED) and a new connection must have them all; a secret left
empty keeps the stored one; secrets are stored encrypted and never shown again."""

import re

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kernel.choices import Language
from kernel.errors import InvalidInput, Problem

from . import secrets
from .models import CODE_PATTERN, ShopConnection


def webhook_url(code, platform=None):
    """What the merchant pastes into the shop's webhook settings (Shopware's app has one door
    for every shop, named in its manifest)."""
    if platform == ShopConnection.Platform.SHOPWARE:
        return settings.SITE_URL + reverse("shopware-webhook")
    return settings.SITE_URL + reverse("shop-webhook", args=[code])


LOCAL_URL = r"http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/\S*)?"


def connect_shop(code, *, platform, url, language=None, **given):
    """Create or update the connection `code`; returns (connection, created)."""
    problems = []
    if not re.fullmatch(CODE_PATTERN, code or ""):
        problems.append(
            Problem(
                f"Code {code!r}: use up to 32 letters, digits, - and _, starting with a letter or digit.", field="code"
            )
        )
    if platform not in ShopConnection.Platform.values:
        problems.append(
            Problem(
                f"Platform must be one of {', '.join(ShopConnection.Platform.values)}, not {platform!r}.",
                field="platform",
            )
        )
    if not re.fullmatch(r"https://[^\s/]+(/\S*)?", url or "") and not re.fullmatch(LOCAL_URL, url or ""):
        # The shop's keys go with every call: over plain http anyone on the way could read them.
        problems.append(
            Problem(
                f"Shop URL {url!r}: give the address with https:// (plain http only for this machine).", field="url"
            )
        )
    if language is not None and language not in Language.values:
        problems.append(
            Problem(f"Language must be one of {', '.join(Language.values)}, not {language!r}.", field="language")
        )
    unknown = set(given) - set(secrets.NAMES)
    if unknown:
        raise TypeError(f"unknown secrets {sorted(unknown)}")
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        connection = ShopConnection.objects.select_for_update().filter(code=code).first()
        created = connection is None
        connection = connection or ShopConnection(code=code)
        connection.platform, connection.url = platform, url.rstrip("/")
        if language:
            connection.language = language
        secrets.store(connection, **given)
        if missing := secrets.missing(connection):
            names = ", ".join(secrets.NEEDED[platform][name] for name in missing)
            raise InvalidInput.one(f"Shop {code} ({platform}) needs {names}.", field="secrets", code="missing_secret")
        connection.save()
        return connection, created

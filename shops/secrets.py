"""A connection's secrets, encrypted at rest with SHOP_SECRETS_KEY (Fernet: AES with an HMAC,
from the `cryptography` package). They are written from the environment (connect_shop) or
the admin's write-only fields, read only to sign and call, never shown, never logged.

Names: webhook_secret (Shopify: the app's client secret; WooCommerce: the webhook's secret),
access_token (Shopify Admin API), consumer_key and consumer_secret (WooCommerce REST). Shopware
writes its own at the app's registration (shopware_app.py): webhook_secret (the shop secret we
gave it), api_key and secret_key (Admin API client credentials), and while a re-registration
waits for its confirmation or has just been confirmed, pending_secret, pending_url,
previous_secret and rotated_at."""

import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NAMES = ("webhook_secret", "access_token", "consumer_key", "consumer_secret", "api_key", "secret_key")
# Each platform's secrets, and the environment variable connect_shop reads each from.
NEEDED = {
    "shopify": {"webhook_secret": "SHOP_WEBHOOK_SECRET", "access_token": "SHOP_ACCESS_TOKEN"},
    "woocommerce": {
        "webhook_secret": "SHOP_WEBHOOK_SECRET",
        "consumer_key": "SHOP_CONSUMER_KEY",
        "consumer_secret": "SHOP_CONSUMER_SECRET",
    },
    # Shopware's come with the app's registration, never from the environment or a form.
    "shopware": {},
}

_cache = {}


def _fernet():
    key = settings.SHOP_SECRETS_KEY
    if not key:
        raise ImproperlyConfigured(
            "SHOP_SECRETS_KEY is not set: shop secrets are stored encrypted with it. Make one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    if key not in _cache:
        _cache[key] = Fernet(key)
    return _cache[key]


def seal(values):
    """The encrypted form of a dict of secrets (names from NAMES)."""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(token):
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ImproperlyConfigured(
            "The shop secrets cannot be read with this SHOP_SECRETS_KEY (it changed?); enter them again."
        ) from None


def store(connection, **values):
    """Set the given secrets on the connection (unsaved); empty values keep what is stored."""
    current = unseal(connection.secrets)
    current.update({name: value for name, value in values.items() if value})
    connection.secrets = seal(current)


def secret(connection, name):
    """One secret in clear, for signing or calling; "" when none is stored. Cached per
    stored value: a webhook's answer must not pay for a decryption each time."""
    key = (connection.secrets, name)
    if key not in _cache:
        _cache[key] = unseal(connection.secrets).get(name, "")
    return _cache[key]


def missing(connection):
    """The secrets this connection's platform needs that are not stored."""
    have = unseal(connection.secrets)
    return [name for name in NEEDED[connection.platform] if not have.get(name)]


def validate_key(key):
    """Settings: a key that is set must be a Fernet key (32 bytes, URL-safe base64)."""
    if key:
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                "SHOP_SECRETS_KEY must be 32 url-safe base64-encoded bytes (a Fernet key)"
            ) from None

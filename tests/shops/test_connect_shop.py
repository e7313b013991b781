"""A merchant connects a shop: from the command line with secrets from the environment, or in
admin with write-only secret fields; secrets are stored encrypted; a deployment without the
key fails its check once a shop is connected."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from shops import secrets
from shops.models import ShopConnection

from .conftest import SHOPIFY_SECRET

pytestmark = pytest.mark.django_db


def test_connect_shop_reads_the_secrets_from_the_environment_and_prints_the_webhook_url(monkeypatch, settings):
    # Given the secrets in the environment
    settings.SITE_URL = "https://backoffice.example"
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", SHOPIFY_SECRET)
    monkeypatch.setenv("SHOP_ACCESS_TOKEN", "shpat_0123456789")
    out = io.StringIO()

    # When the merchant connects the Shopify shop
    call_command(
        "connect_shop",
        "TEEHAUS",
        "--platform",
        "shopify",
        "--url",
        "https://teehaus.myshopify.com/",
        "--language",
        "en",
        stdout=out,
    )

    # Then it is connected, the URL to paste is printed, and no secret is
    connection = ShopConnection.objects.get(code="TEEHAUS")
    assert (connection.platform, connection.url, connection.language) == (
        "shopify",
        "https://teehaus.myshopify.com",
        "en",
    )
    assert "Webhook URL: https://backoffice.example/shops/TEEHAUS/webhook/" in out.getvalue()
    assert SHOPIFY_SECRET not in out.getvalue() and "shpat_0123456789" not in out.getvalue()
    # and the secrets are stored encrypted, readable with the key
    assert SHOPIFY_SECRET not in connection.secrets and "shpat_0123456789" not in connection.secrets
    assert secrets.secret(connection, "access_token") == "shpat_0123456789"


def test_connecting_again_updates_the_connection_and_keeps_secrets_not_given(monkeypatch):
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", "first")
    monkeypatch.setenv("SHOP_CONSUMER_KEY", "ck_1")
    monkeypatch.setenv("SHOP_CONSUMER_SECRET", "cs_1")
    call_command(
        "connect_shop", "WOO", "--platform", "woocommerce", "--url", "https://shop.example", stdout=io.StringIO()
    )

    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", "second")
    monkeypatch.delenv("SHOP_CONSUMER_KEY")
    out = io.StringIO()
    call_command("connect_shop", "WOO", "--platform", "woocommerce", "--url", "https://www.shop.example", stdout=out)

    connection = ShopConnection.objects.get()
    assert "Updated shop WOO" in out.getvalue()
    assert connection.url == "https://www.shop.example"
    assert (secrets.secret(connection, "webhook_secret"), secrets.secret(connection, "consumer_key")) == (
        "second",
        "ck_1",
    )


def test_a_new_connection_without_its_secrets_is_refused_naming_them(monkeypatch):
    monkeypatch.delenv("SHOP_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", "x")

    with pytest.raises(CommandError, match="needs SHOP_ACCESS_TOKEN"):
        call_command(
            "connect_shop", "S", "--platform", "shopify", "--url", "https://s.myshopify.com", stdout=io.StringIO()
        )

    assert not ShopConnection.objects.exists()


def test_a_bad_code_or_url_is_refused(monkeypatch):
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", "x")
    monkeypatch.setenv("SHOP_ACCESS_TOKEN", "y")

    with pytest.raises(CommandError, match="Code 'my shop'.*Shop URL 'teehaus'"):
        call_command("connect_shop", "my shop", "--platform", "shopify", "--url", "teehaus", stdout=io.StringIO())


def test_a_shop_over_plain_http_is_refused_its_keys_would_travel_in_clear(monkeypatch):
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", "x")
    monkeypatch.setenv("SHOP_CONSUMER_KEY", "ck")
    monkeypatch.setenv("SHOP_CONSUMER_SECRET", "cs")

    with pytest.raises(CommandError, match="Shop URL 'http://shop.example.org': give the address with https://"):
        call_command(
            "connect_shop", "W", "--platform", "woocommerce", "--url", "http://shop.example.org", stdout=io.StringIO()
        )

    assert not ShopConnection.objects.exists()


def test_check_deploy_fails_when_a_shop_is_connected_and_the_key_is_missing(shopify, settings):
    settings.SHOP_SECRETS_KEY = ""

    with pytest.raises(SystemCheckError, match="shops.E001"):
        call_command("check", "--deploy", "--tag", "security")


def test_check_deploy_passes_without_a_key_while_no_shop_is_connected(settings):
    settings.SHOP_SECRETS_KEY = ""

    call_command("check", "--deploy", "--tag", "security", "--fail-level", "ERROR", stdout=io.StringIO())

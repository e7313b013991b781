import os

from django.core.management.base import BaseCommand, CommandError

from kernel.errors import DomainError
from shops import secrets
from shops.connections import connect_shop, webhook_url


class Command(BaseCommand):
    help = (
        "Create or update a shop connection and print the webhook URL to paste into the shop. Secrets come "
        "from the environment, never from arguments: SHOP_WEBHOOK_SECRET, and SHOP_ACCESS_TOKEN (Shopify) "
        "or SHOP_CONSUMER_KEY and SHOP_CONSUMER_SECRET (WooCommerce)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--platform", required=True, choices=["shopify", "woocommerce"])
        parser.add_argument(
            "--url", required=True, help="https://NAME.myshopify.com, or the WooCommerce site's address"
        )
        parser.add_argument("--language", choices=["de", "en"], help="for customers whose order does not say")

    def handle(self, code, platform, url, language, **options):
        given = {name: os.environ.get(variable, "") for name, variable in secrets.NEEDED[platform].items()}
        try:
            connection, created = connect_shop(code, platform=platform, url=url, language=language, **given)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{'Connected' if created else 'Updated'} shop {connection.code} ({connection.get_platform_display()})."
        )
        self.stdout.write(f"Webhook URL: {webhook_url(connection.code)}")

from django.core.management.base import BaseCommand, CommandError

from shops.models import ShopConnection
from shops.sync import sync_shops


class Command(BaseCommand):
    help = (
        "Reconcile the shops now: read the orders changed since the last sync, try held events again, "
        "make up failed pushes. One shop, or all; a shop that is down is reported and the others go on."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="one shop's code (default: every active shop)")

    def handle(self, code=None, **options):
        if code and not ShopConnection.objects.filter(code=code).exists():
            raise CommandError(f"No shop {code}.")
        failed = []
        for result in sync_shops(code):
            events = (
                ", ".join(f"{count} {status}" for status, count in sorted(result.get("events", {}).items()))
                or "none open"
            )
            self.stdout.write(
                f"{result['shop']}: {result.get('orders_read', 0)} orders read; events {events}; "
                f"{result.get('stock_pushed', 0)} products and {result.get('order_updates_pushed', 0)} order updates pushed"
                + (f"; ERROR {result['error']}" if result["error"] else "")
            )
            if result["error"]:
                failed.append(result["shop"])
        if failed:
            raise CommandError(f"Not reached, tried again at the next sync: {', '.join(failed)}.")

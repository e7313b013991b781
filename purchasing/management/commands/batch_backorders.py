import json

from django.core.management.base import BaseCommand

from purchasing.batching import batch_backorders


class Command(BaseCommand):
    help = "Batch waiting backorders into supplier purchase orders now (safe to run any time)."

    def handle(self, *args, **options):
        result = batch_backorders(trigger="command")
        self.stdout.write(json.dumps(result, indent=2, default=str))

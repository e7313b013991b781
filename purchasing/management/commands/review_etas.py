from django.core.management.base import BaseCommand

from purchasing.review import review_etas


class Command(BaseCommand):
    help = "Move every waiting date that can no longer be met, before it passes (the beat job every morning)."

    def handle(self, *args, **options):
        result = review_etas()
        self.stdout.write(f"{result['backorders_moved']} backorders got a new date.")

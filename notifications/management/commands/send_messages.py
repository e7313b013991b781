from django.core.management.base import BaseCommand

from notifications.tasks import send_messages


class Command(BaseCommand):
    help = "Send the customer messages that are due (what the beat job does every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=1000, help="At most this many batches of 50.")

    def handle(self, *args, rounds, **options):
        totals = send_messages(rounds=rounds)
        self.stdout.write(
            f"{totals['sent']} sent, {totals['retrying']} to retry later, {totals['failed']} failed "
            f"({totals['claimed']} claimed)."
        )

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shops import shopware_app


class Command(BaseCommand):
    help = (
        "Write the Shopware app's manifest.xml (SHOPWARE_APP_NAME, SITE_URL, SHOPWARE_APP_SECRET) into a folder "
        "named after the app, ready to zip and upload in the shop's administration (Extensions > My extensions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the file to write (default: ./SHOPWARE_APP_NAME/manifest.xml)")

    def handle(self, output=None, **options):
        try:
            text = shopware_app.manifest()
        except shopware_app.Refused as refused:
            raise CommandError(str(refused)) from None
        path = Path(output or Path(settings.SHOPWARE_APP_NAME) / "manifest.xml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
        if not output:
            name = settings.SHOPWARE_APP_NAME
            self.stdout.write(f"Zip it for the shop: zip -r {name}.zip {name}")

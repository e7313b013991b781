"""The app's manifest in the repository (deploy/shopware/manifest.xml) is what the command
writes: regenerating it with the example's settings gives the same file."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command

COMMITTED = Path(__file__).resolve().parents[2] / "deploy" / "shopware" / "manifest.xml"


@pytest.fixture
def example(settings):
    # The settings the committed example was written with (README, "Connect Shopware 6").
    settings.SITE_URL = "https://backoffice.example"
    settings.SHOP_NAME = "Teehaus am Markt"
    settings.SHOPWARE_APP_NAME = "BackorderBackOffice"
    settings.SHOPWARE_APP_SECRET = "replace-with-the-SHOPWARE_APP_SECRET-of-your-server"


def test_regenerating_the_manifest_gives_the_committed_file(example, tmp_path):
    written = tmp_path / "BackorderBackOffice" / "manifest.xml"

    call_command("shopware_manifest", output=str(written))

    assert written.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")


def test_the_manifest_registers_here_and_subscribes_what_the_back_office_needs(example):
    root = ElementTree.parse(COMMITTED).getroot()

    assert root.findtext("meta/name") == "BackorderBackOffice"
    assert root.findtext("setup/registrationUrl") == "https://backoffice.example/shops/shopware/register/"
    hooks = {hook.get("event"): hook.attrib for hook in root.iter("webhook")}
    assert set(hooks) == {"checkout.order.placed", "state_enter.order.state.cancelled", "order.written", "app.deleted"}
    assert {hook["url"] for hook in hooks.values()} == {"https://backoffice.example/shops/shopware/webhook/"}
    assert hooks["order.written"].get("onlyLiveVersion") == "true"
    granted = {(element.tag, element.text) for element in root.find("permissions")}
    assert {("read", "order"), ("read", "language"), ("update", "product"), ("update", "order_delivery")} <= granted


def test_without_an_app_secret_the_command_says_what_to_set(settings, tmp_path):
    settings.SHOPWARE_APP_SECRET = ""

    with pytest.raises(CommandError, match="SHOPWARE_APP_SECRET"):
        call_command("shopware_manifest", output=str(tmp_path / "manifest.xml"))

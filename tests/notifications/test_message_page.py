"""A message's page reads for staff: the HTML preview in a frame of its own (its quotes were
not escaped, so the frame's srcdoc ended at the first attribute: a blank frame of the default
300 px), the duplicate warning only on a message that may really have gone twice, and staff
words for the machinery (no dedupe key, ESP id or claimed at)."""

import uuid

import pytest

from notifications.models import CustomerMessage
from notifications.updates import send_update
from tests.factories import ProductFactory, UserFactory, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def message():
    order = place((ProductFactory(sku="KAN-1"), 1))
    send_update([order.pk], template="status", request_key=uuid.uuid4())
    return CustomerMessage.objects.get(kind="personal")


def page(client, message):
    client.force_login(UserFactory(roles=["Customer service"]))
    return client.get(f"/admin/notifications/customermessage/{message.pk}/change/").content.decode()


def test_the_preview_frame_holds_the_whole_email(client, message):
    html = page(client, message)

    frame = html[html.index("<iframe") : html.index("</iframe>")]
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in frame and 'class="email-preview"' in frame
    assert '<html lang="' not in frame  # escaped inside the attribute


def test_the_duplicate_warning_shows_only_on_a_possible_duplicate(client, message):
    assert "possible duplicate" not in page(client, message).lower()

    CustomerMessage.objects.filter(pk=message.pk).update(possible_duplicate=True)

    assert "possible duplicate" in page(client, message).lower()


def test_the_machinery_is_in_staff_words(client, message):
    html = page(client, message).lower()

    assert not [word for word in ["dedupe key", "esp message id", "claimed at"] if word in html]
    assert "the email service&#x27;s reference" in html or "the email service's reference" in html

"""A status link that does not work is explained in the browser's language: there is no order
to take the customer's language from (it was English for a German browser)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "accept_language, lang, says",
    [
        ("de-DE,de;q=0.9,en;q=0.5", None, "Dieser Link funktioniert nicht (mehr)"),
        ("en-GB,en;q=0.9", None, "This link does not work (any more)"),
        ("fr-FR,fr;q=0.9", None, "This link does not work (any more)"),  # neither: the site's default
        ("en-GB", "de", "Dieser Link funktioniert nicht (mehr)"),  # the page's language switch wins
    ],
)
def test_an_invalid_link_is_explained_in_the_browsers_language(client, accept_language, lang, says):
    response = client.get("/status/garbage/", {"lang": lang} if lang else {}, HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 404
    assert says in response.content.decode()
    assert "Accept-Language" in response.get("Vary", "")

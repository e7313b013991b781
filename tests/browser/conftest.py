"""A real browser (Debian's Chromium, driven by Playwright) against a live server. Every page
visited is saved as a screenshot under the artefacts folder (not committed)."""

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS_DIR", ROOT / "artefacts" / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    missing = None
    if not shutil.which(CHROMIUM):
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed"
    if missing and os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the browser tests: {missing}")
    if missing:
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while the browser is open;
    # the tests (and the database teardown) only use the ORM synchronously beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def language():
    """The browser's language (Accept-Language); a test parametrized on `language` runs in each."""
    return "en"


@pytest.fixture
def page(browser, request, language):
    context = browser.new_context(
        locale={"en": "en-GB", "de": "de-DE"}[language], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = iter(range(1, 100))
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)

    def shot(label):
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"{name}-{next(shots):02d}-{label}.png"), full_page=True)

    def fits_the_screen(*buttons):
        """Nothing on the page scrolls sideways (the page, a table's box), and each button
        lies inside the viewport. The buttons are waited for first: after a click, the page
        measured is the one they are on, not the one still being left."""
        for button in buttons:
            button.wait_for()
        page.wait_for_load_state()
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
        overflowing = page.evaluate("""Array.from(document.querySelectorAll('.results, .inline-group, table'))
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className || e.id || e.tagName)""")
        assert overflowing == [], (page.url, overflowing)
        for button in buttons:
            box = button.bounding_box()
            assert box and 0 <= box["x"] and box["x"] + box["width"] <= width, (page.url, box)

    page.shot = shot
    page.fits_the_screen = fits_the_screen
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    from tests.factories import UserFactory

    def as_role(role):
        user = UserFactory(roles=[role], username=f"{role.lower().replace(' ', '-')}-user")
        user.set_password("browser-test-pw")
        user.save()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "browser-test-pw")
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        return user

    return as_role


@pytest.fixture(autouse=True)
def roles(migrated_roles):
    """A live-server test flushes the database after itself: put the roles back."""

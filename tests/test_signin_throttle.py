"""Guessing passwords stops after a few tries: an account after LOGIN_FAILURES_PER_ACCOUNT wrong
passwords, a client address after LOGIN_FAILURES_PER_ADDRESS, each for LOGIN_FAILURE_WINDOW_MINUTES
from the first failure. A refused sign-in is a 429 in the admin's look that says how long to
wait, the password is not even checked, and one log line names account, address and count."""

import datetime
import logging
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.test import Client, RequestFactory

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
PASSWORD = "the-right-one-7"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    # A fast hasher: the tests make many wrong guesses, the throttle does not care how they are hashed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clerk(limits):
    user = UserFactory(username="clerk", roles=["Warehouse"])
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, username, password, **headers):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **headers)


def signed_in(response):
    return response.status_code == 302 and response.url == "/admin/"


def refusals(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "kernel.signin"]


def test_wrong_passwords_lock_the_account_until_the_window_has_passed(client, clerk, clock, caplog):
    # Given someone guessing the clerk's password: five wrong guesses are ordinary wrong passwords
    guesses = [sign_in(client, "clerk", f"guess-{n}").status_code for n in range(5)]
    assert guesses == [200] * 5

    # When the right password comes next
    with mock.patch.object(
        ModelBackend, "authenticate", autospec=True, side_effect=ModelBackend.authenticate
    ) as checked:
        refused = sign_in(client, "clerk", PASSWORD)

    # Then it is refused with a 429 that says how long to wait, without the password even being checked
    assert refused.status_code == 429 and refused["Retry-After"] == str(15 * 60)
    assert "Too many failed sign-ins for this account; try again in 15 minutes." in refused.content.decode()
    assert 'id="login-form"' in refused.content.decode()  # the admin's own sign-in page
    assert checked.call_count == 0 and "_auth_user_id" not in client.session
    # And one log line names the account, the address and the count, and no password
    assert refusals(caplog) == [
        "Sign-in refused: account 'clerk', address 127.0.0.1, 5 failed sign-ins of this account"
    ]
    assert PASSWORD not in caplog.text and "guess-" not in caplog.text

    # When ten minutes have passed, it is still refused, now for five more minutes
    clock.shift(datetime.timedelta(minutes=10))
    assert "try again in 5 minutes" in sign_in(client, "clerk", PASSWORD).content.decode()

    # When the window has passed, the right password signs in
    clock.shift(datetime.timedelta(minutes=5))
    assert signed_in(sign_in(client, "clerk", PASSWORD))


def test_the_refusal_speaks_german(client, clerk, clock):
    for n in range(5):
        sign_in(client, "clerk", f"guess-{n}")

    refused = sign_in(client, "clerk", PASSWORD, HTTP_ACCEPT_LANGUAGE="de")

    assert refused.status_code == 429
    assert (
        "Zu viele fehlgeschlagene Anmeldungen für dieses Konto; versuchen Sie es in 15 Minuten erneut."
        in refused.content.decode()
    )


def test_a_successful_sign_in_forgets_the_accounts_failures(client, clerk, clock, limits):
    # Given four wrong passwords, then the right one (the address may miss more often)
    limits.LOGIN_FAILURES_PER_ADDRESS = 20
    for n in range(4):
        sign_in(client, "clerk", f"typo-{n}")
    assert signed_in(sign_in(client, "clerk", PASSWORD))
    client.logout()

    # When four more typos follow (eight in the window, but four since the sign-in)
    typos = [sign_in(client, "clerk", f"typo-{n}").status_code for n in range(4)]

    # Then the right password still signs in
    assert typos == [200] * 4
    assert signed_in(sign_in(client, "clerk", PASSWORD))


def test_one_address_guessing_many_accounts_is_stopped_and_other_addresses_are_not(client, clerk, clock, caplog):
    # Given one address trying a password on eight accounts (no account reaches its own limit)
    guesses = [sign_in(client, f"user{n}", "winter2026").status_code for n in range(8)]
    assert guesses == [200] * 8

    # When that address tries the clerk's account with the right password
    refused = sign_in(client, "clerk", PASSWORD)

    # Then it is refused, and the clerk at another address signs in
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your address; try again in 15 minutes." in refused.content.decode()
    assert refusals(caplog) == [
        "Sign-in refused: account 'clerk', address 127.0.0.1, 8 failed sign-ins of this address"
    ]
    assert signed_in(sign_in(Client(REMOTE_ADDR="10.0.0.9"), "clerk", PASSWORD))

    # And after the window the address may try again
    clock.shift(datetime.timedelta(minutes=15))
    assert signed_in(sign_in(client, "clerk", PASSWORD))


def test_a_forged_forwarded_address_does_not_escape_the_address_limit(client, clerk, clock, settings):
    # Given the back office behind a proxy that appends the address it saw to X-Forwarded-For
    settings.TRUST_X_FORWARDED_FOR = True

    # When a client writes a new address of its own in front of it on every guess
    for n in range(8):
        sign_in(client, f"user{n}", "winter2026", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7")

    # Then the address the proxy saw is refused all the same
    assert sign_in(client, "clerk", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7").status_code == 429


def test_any_other_password_check_is_refused_too(clerk, clock):
    # Given an account locked by wrong passwords through the admin
    for n in range(5):
        sign_in(Client(), "clerk", f"guess-{n}")

    # When something else checks its password (DRF's basic auth would, through authenticate)
    request = RequestFactory().post("/api/v1/orders/", REMOTE_ADDR="10.0.0.9")

    # Then the right password is refused there too
    assert authenticate(request, username="clerk", password=PASSWORD) is None


def test_sign_ins_that_only_miss_sometimes_are_never_refused(client, clerk, clock, caplog):
    caplog.set_level(logging.WARNING)
    for day in range(3):
        sign_in(client, "clerk", "typo")
        assert signed_in(sign_in(client, "clerk", PASSWORD))
        client.logout()
        clock.shift(datetime.timedelta(days=1))

    assert refusals(caplog) == []

"""Sign-in throttling, against guessed passwords.

Rules: after LOGIN_FAILURES_PER_ACCOUNT wrong passwords for one account, or
LOGIN_FAILURES_PER_ADDRESS from one client address, sign-ins for that account or from that
address are refused until LOGIN_FAILURE_WINDOW_MINUTES from the first failure have passed; a
refused sign-in does not check the password (the right one is refused too). A successful
sign-in clears its account's failures. Every refusal is one warning line (account, address,
failures), never a password. The admin's sign-in page answers a refusal with 429 and says
how long to wait; any other password check (DRF's basic auth, if enabled) goes through
`ThrottledModelBackend` and is refused like a wrong password. The counts live in the cache
(`kernel.ratelimit`): while it is down, nothing is throttled."""

import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import ngettext_lazy

from kernel.ratelimit import FailureLimit, client_address

log = logging.getLogger(__name__)


def _window():
    return settings.LOGIN_FAILURE_WINDOW_MINUTES


ACCOUNTS = FailureLimit("signin-account", lambda: settings.LOGIN_FAILURES_PER_ACCOUNT, _window)
ADDRESSES = FailureLimit("signin-address", lambda: settings.LOGIN_FAILURES_PER_ADDRESS, _window)

ACCOUNT_REFUSED = ngettext_lazy(
    "Too many failed sign-ins for this account; try again in %(minutes)d minute.",
    "Too many failed sign-ins for this account; try again in %(minutes)d minutes.",
    "minutes",
)
ADDRESS_REFUSED = ngettext_lazy(
    "Too many failed sign-ins from your address; try again in %(minutes)d minute.",
    "Too many failed sign-ins from your address; try again in %(minutes)d minutes.",
    "minutes",
)


def refusal(request, username):
    """(the refusal, its message) while sign-ins for `username` from this request's address
    are refused, else None; each refusal is logged."""
    address = client_address(request) if request is not None else ""
    for limit, who, message, of in (
        (ACCOUNTS, username, ACCOUNT_REFUSED, "account"),
        (ADDRESSES, address, ADDRESS_REFUSED, "address"),
    ):
        refused = who and limit.refusal(who)
        if refused:
            log.warning(
                "Sign-in refused: account %r, address %s, %d failed sign-ins of this %s",
                username,
                address or "-",
                refused.failures,
                of,
            )
            return refused, message % {"minutes": refused.minutes}
    return None


def on_failure(sender, credentials, request=None, **kwargs):
    """user_login_failed: count the failure for the account and the address."""
    username = credentials.get(get_user_model().USERNAME_FIELD) or ""
    if username:
        ACCOUNTS.failed(username)
    if request is not None and client_address(request):
        ADDRESSES.failed(client_address(request))


def on_sign_in(sender, request, user, **kwargs):
    """user_logged_in: the account's failures are forgotten."""
    ACCOUNTS.clear(user.get_username())


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing a throttled sign-in before it checks the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if refusal(request, username or kwargs.get(get_user_model().USERNAME_FIELD) or ""):
            raise PermissionDenied
        return super().authenticate(request, username, password, **kwargs)


class ThrottledAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form: a throttled sign-in is an error that says how long to wait."""

    refused = None

    def clean(self):
        found = refusal(self.request, self.cleaned_data.get("username") or "")
        if found:
            self.refused, message = found
            raise ValidationError(message, code="throttled")
        return super().clean()


def admin_login(request, extra_context=None):
    """The admin's sign-in page (with `ThrottledAuthenticationForm` as its form); a throttled
    sign-in is answered 429 with Retry-After."""
    response = admin.site.login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if form is not None and form.has_error(NON_FIELD_ERRORS, "throttled"):
        response.status_code = 429
        response["Retry-After"] = str(form.refused.seconds)
    return response

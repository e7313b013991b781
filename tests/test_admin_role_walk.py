"""Every admin page answers every role what the role's permissions say, and no page answers
5xx. The walk reads the pages from the URL map (the site's own, each ModelAdmin's, its
get_urls, the pages beside the admin) and derives each answer from the permission codenames
the roles hold, the ones the API asks for (kernel.permissions.missing_permissions): a page
added without stating the permission it needs fails here, with no list to keep."""

import datetime
import io
import re

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, resolve, reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from inventory.api import ProductViewSet
from inventory.models import Product
from kernel.permissions import missing_permissions
from notifications.models import Digest
from orders.api import OrderViewSet
from orders.models import Order
from purchasing.api import PurchaseOrderViewSet, ReorderListView, SupplierViewSet
from purchasing.models import PurchaseOrder, Supplier
from shops.connections import connect_shop
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

# The demo's logins (seed_demo), one per role, and a staff login that has no role at all.
LOGINS = ["lager", "einkauf", "service", "chef", "admin", "shop", "no role"]
# Django's own pages, open to any staff login (each checks what it shows itself).
SITE_PAGES = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "jsi18n",
    "autocomplete",
    "view_on_site",
    "app_list",
}
# What a ModelAdmin's standard views need, by their URL names' ending: "view" is view or change.
STANDARD = {
    "changelist": ["view"],
    "change": ["view"],
    "history": ["view"],
    "add": ["add"],
    "delete": ["delete"],
    # django-import-export: an import creates and changes rows, an export reads them
    "import": ["add", "change"],
    "process_import": ["add", "change"],
    "export": ["view"],
    "password_change": ["change"],  # Django's user admin
}
# A form that would place an order, run the batch, refresh a page or add to drafts if the
# page let the role through.
ACTING_POST = {
    "number": "WALK-1",
    "email": "walk@example.org",
    "name": "Walk",
    "language": "en",
    "fulfilment_policy": "ship_partial",
    "lines": "TEA-001 1",
    "run_batch": "1",
    "refresh": "1",
    "sku": "TEA-001",
}


@pytest.fixture
def demo(db, settings):
    settings.SHOP_SECRETS_KEY = Fernet.generate_key().decode()
    call_command("seed_demo", stdout=io.StringIO())
    # What the demo has none of, so that every admin page has a row to open: a digest, and
    # beat's schedules (beat writes its jobs when it starts).
    Digest.objects.create(day=datetime.date(2026, 3, 2), recipients=2)
    every_day = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    CrontabSchedule.objects.create(minute="0", hour="6")
    SolarSchedule.objects.create(event="sunrise", latitude="52.52", longitude="13.40")
    ClockedSchedule.objects.create(clocked_time=datetime.datetime(2026, 3, 2, 6, tzinfo=datetime.UTC))
    PeriodicTask.objects.create(name="walk", task="purchasing.tasks.batch_backorders", interval=every_day)
    connect_shop(
        "WALK",
        platform="woocommerce",
        url="https://shop.example.org",
        language="de",
        webhook_secret="walk",
        consumer_key="ck_walk",
        consumer_secret="cs_walk",
    )
    users = {login: User.objects.get(username=login) for login in LOGINS if login != "no role"}
    users["no role"] = UserFactory(username="norole")
    return users


def routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        else:
            yield route, pattern


class Page:
    """One admin URL: its address(es) and what it needs."""

    def __init__(self, route, pattern, model_admin):
        self.route, self.name, self.model_admin = route, pattern.name, model_admin
        self.stated = getattr(pattern.callback, "required_perms", None)
        self.kind = self._kind()

    def _kind(self):
        if self.stated is not None:
            return "stated"
        if self.model_admin is None:
            return "site" if self.name in SITE_PAGES or self.name is None else "unstated"
        opts = self.model_admin.model._meta
        suffix = (self.name or "").removeprefix(f"{opts.app_label}_{opts.model_name}_")
        if self.name is None:
            return "redirect"  # Django's old address of an object: on to its change page
        return suffix if suffix in STANDARD else "unstated"

    def urls(self):
        if self.name == "app_list":
            return [f"/admin/{label}/" for label in sorted({m._meta.app_label for m in admin.site._registry})]
        if self.route.endswith("(?P<url>.*)$"):
            return ["/admin/no-such-page/"]
        values = {"content_type_id": ContentType.objects.get_for_model(Order).pk}
        model = self.model_admin.model if self.model_admin else Order
        row = model._default_manager.order_by("pk").first()
        if row is None and re.search(r"<(?:\w+:)?(object_id|pk|id)>", self.route):
            raise LookupError(f"no {model._meta.label} to open {self.route} with: give the walk's demo one")
        values.update(object_id=row and row.pk, pk=row and row.pk, id=row and row.pk)
        return ["/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.route)]

    def needs(self, user):
        """True: the user may open it; False: a 403; None: any staff (the page decides)."""
        if self.kind == "stated":
            return not missing_permissions(user, self.stated)
        if self.kind in ("site", "redirect", "unstated"):
            return None
        return all(may(self.model_admin, user, what) for what in STANDARD[self.kind])


def may(model_admin, user, what):
    """The user holds the model's codename for `what` (view: view or change), and the admin
    allows `what` at all (its has_..._permission for a superuser)."""
    opts = model_admin.model._meta
    if what == "view":
        return may(model_admin, user, "change") or (
            allowed_at_all(model_admin, "view")
            and not missing_permissions(user, [f"{opts.app_label}.view_{opts.model_name}"])
        )
    return allowed_at_all(model_admin, what) and not missing_permissions(
        user, [f"{opts.app_label}.{get_permission_codename(what, opts)}"]
    )


def allowed_at_all(model_admin, what):
    return getattr(model_admin, f"has_{what}_permission")(superuser_request())


def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_active=True, is_staff=True)
    return request


def admin_pages():
    admins = {f"admin/{m._meta.app_label}/{m._meta.model_name}/": a for m, a in admin.site._registry.items()}
    for route, pattern in routes(get_resolver().url_patterns):
        if route.startswith("admin/"):
            model_admin = next((a for prefix, a in admins.items() if route.startswith(prefix)), None)
            yield Page(route, pattern, model_admin)


def action_needs(model_admin, name, func):
    """Who the admin should offer the action to: any of its allowed_permissions (Django's
    rule); a custom one (ship, receive) states its codenames on its has_..._permission; an
    action stating none changes things, so it needs change."""
    needs = []
    for what in getattr(func, "allowed_permissions", ()) or ["change"]:
        if what in ("view", "add", "change", "delete"):
            needs.append(lambda user, what=what: may(model_admin, user, what))
            continue
        stated = getattr(getattr(model_admin, f"has_{what}_permission"), "required_perms", None)
        if stated is None:
            return f"action {name}: has_{what}_permission states no codename (kernel.admin_tools.role_permission)"
        needs.append(lambda user, stated=stated: not missing_permissions(user, stated))
    return lambda user: any(need(user) for need in needs)


def stored_rows():
    """Rows per table (one statement; sessions aside): whether a request stored anything."""
    quote = connection.ops.quote_name
    tables = [t for t in connection.introspection.table_names() if t != "django_session"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables))
        return dict(zip(tables, cursor.fetchone()))


def client_for(user):
    client = Client(raise_request_exception=False)  # a failing page is one more finding, not the end of the walk
    client.force_login(user)
    return client


def went_to_login(response):
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


def answer(response):
    failed = getattr(response, "exc_info", None)
    return f"{response.status_code}" + (f" ({failed[1]!r})" if failed else "")


def test_every_admin_page_answers_each_role_as_its_permissions_say(demo):
    # Given the demo shop, its staff in each role, the shop's API login and staff with no role
    pages = list(admin_pages())
    problems = [
        f"{page.route}: states no permission (kernel.admin_tools.admin_page)"
        for page in pages
        if page.kind == "unstated"
    ]

    for login, user in demo.items():
        client = client_for(user)
        for page in pages:
            if page.name == "logout":
                continue  # would end the walk's session
            needed = page.needs(user)
            try:
                urls = page.urls()
            except LookupError as missing:
                problems.append(str(missing))
                continue
            for url in urls:
                # When the login opens the page
                response = client.get(url)
                # Then: staff without the permission are refused, the shop's login goes to the
                # admin's login page, and no page fails
                if response.status_code == 405:
                    continue  # a page that only takes a POST (an import's second step): the POST walk checks it
                if response.status_code >= 500:
                    problems.append(f"{login} GET {url}: {answer(response)}")
                elif not user.is_staff:
                    if page.name != "login" and not went_to_login(response):
                        problems.append(f"{login} GET {url}: {answer(response)}, not the login page")
                elif needed is False and response.status_code != 403:
                    problems.append(
                        f"{login} GET {url}: {answer(response)}, the role lacks the permission: 403 expected"
                    )
                elif needed is True and (response.status_code >= 400 or went_to_login(response)):
                    problems.append(f"{login} GET {url}: {answer(response)}, the role holds the permission")

    assert not problems, "\n".join(problems)


def test_what_a_role_may_not_do_in_admin_stores_nothing_and_is_not_offered(demo):
    # Given the demo shop and its logins, and every page that acts when posted to
    acting = {"stated", "add", "change", "delete", "import", "process_import", "password_change"}
    pages = [page for page in admin_pages() if page.kind in acting]
    problems = []

    for login, user in demo.items():
        client = client_for(user)
        # When each login posts a form that would act to every page it may not use
        for page in pages:
            if page.needs(user) is not False and user.is_staff:
                continue
            for url in page.urls():
                before = stored_rows()
                response = client.post(url, ACTING_POST)
                # Then it is refused, and nothing is stored
                refused = went_to_login(response) if not user.is_staff else response.status_code == 403
                if not refused:
                    problems.append(f"{login} POST {url}: {answer(response)}, refusal expected")
                if stored_rows() != before:
                    problems.append(f"{login} POST {url}: stored rows")

        # And each list offers the role exactly the actions its permissions allow; posting one
        # that is not offered does nothing
        for model, model_admin in admin.site._registry.items():
            actions = model_admin.get_actions(superuser_request())
            if not actions:
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            response = client.get(url)
            form = response.context.get("action_form") if response.status_code == 200 and response.context else None
            offered = {name for name, _label in form.fields["action"].choices if name} if form else set()
            row = model._default_manager.order_by("pk").first()
            for name, (func, _name, _description) in actions.items():
                needs = action_needs(model_admin, name, func)
                if isinstance(needs, str):
                    problems.append(f"{url}: {needs}")
                    continue
                expected = user.is_staff and needs(user) and may(model_admin, user, "view")
                if (name in offered) != expected:
                    problems.append(
                        f"{login} {url}: action {name} {'not ' if expected else ''}offered, "
                        f"the role {'holds' if expected else 'lacks'} its permission"
                    )
                if not expected and row is not None:
                    before = stored_rows()
                    response = client.post(
                        url, {"action": name, ACTION_CHECKBOX_NAME: [row.pk], "apply": "1", **ACTING_POST}
                    )
                    if response.status_code >= 500 or stored_rows() != before:
                        problems.append(f"{login} POST {url} action {name}: {answer(response)}, stored or failed")

    assert not problems, "\n".join(problems)


ORDER_FORM = {
    "number": "PHONE-9",
    "email": "caller@example.org",
    "name": "Caller",
    "language": "en",
    "fulfilment_policy": "ship_partial",
    "lines": "LAMP-9 1",
}


@pytest.mark.parametrize("role", ["Warehouse", "Purchasing", "Customer service"])
def test_staff_without_the_right_to_place_orders_cannot_place_one_in_admin(role):
    # Given a warehouse, purchasing or customer service login (the API refuses them orders too)
    ProductFactory(sku="LAMP-9")
    client = client_for(UserFactory(roles=[role]))

    # When it opens the order form and posts an order
    form = client.get(reverse("admin:orders_order_add"))
    posted = client.post(reverse("admin:orders_order_add"), ORDER_FORM)

    # Then both are refused with the page that says so, and no order exists
    assert (form.status_code, posted.status_code) == (403, 403)
    assert "This page is not part of your role" in posted.content.decode()
    assert not Order.objects.exists()


def test_the_manager_still_places_orders_in_admin():
    ProductFactory(sku="LAMP-9")
    client = client_for(UserFactory(roles=["Manager"]))

    assert client.get(reverse("admin:orders_order_add")).status_code == 200
    posted = client.post(reverse("admin:orders_order_add"), ORDER_FORM)

    assert posted.status_code == 302 and Order.objects.filter(number="PHONE-9").exists()


def test_a_refused_page_names_the_permission_it_needs(client):
    client.force_login(UserFactory(roles=["Customer service"]))

    refused = client.get(reverse("admin:purchasing_purchaseorder_drafts"))

    assert refused.status_code == 403
    assert "This needs the permission purchasing.change_purchaseorder" in refused.content.decode()


def action_codenames(model, action):
    """The codenames an admin action asks for (any one of them lets it run)."""
    model_admin = admin.site.get_model_admin(model)
    func = model_admin.get_action(action)[0]
    opts = model._meta
    return [
        codename
        for what in func.allowed_permissions
        for codename in (
            [f"{opts.app_label}.{get_permission_codename(what, opts)}"]
            if what in ("add", "change", "delete", "view")
            else getattr(model_admin, f"has_{what}_permission").required_perms
        )
    ]


def page_codenames(name, *args):
    return list(resolve(reverse(name, args=args)).func.required_perms)


def test_admin_asks_the_api_s_permission_for_the_same_act():
    def add(model):
        return [f"{model._meta.app_label}.add_{model._meta.model_name}"]

    same_act = {
        "place an order": (add(Order), OrderViewSet.required_perms["create"]),
        "ship": (action_codenames(Order, "ship_ready_orders"), OrderViewSet.required_perms["ship"]),
        "ship from the order's page": (
            page_codenames("admin:orders_order_ship", 1),
            OrderViewSet.required_perms["ship"],
        ),
        "cancel units": (action_codenames(Order, "cancel_unshipped"), OrderViewSet.required_perms["cancel"]),
        "receive stock": (action_codenames(Product, "receive_stock"), ProductViewSet.required_perms["stock"]),
        "create a product": (add(Product), ProductViewSet.required_perms["create"]),
        "create a supplier": (add(Supplier), SupplierViewSet.required_perms["create"]),
        "send a purchase order": (action_codenames(PurchaseOrder, "send"), PurchaseOrderViewSet.required_perms["send"]),
        "record the supplier's dates": (
            action_codenames(PurchaseOrder, "confirm"),
            PurchaseOrderViewSet.required_perms["confirm"],
        ),
        "cancel a purchase order": (
            action_codenames(PurchaseOrder, "cancel"),
            PurchaseOrderViewSet.required_perms["cancel"],
        ),
        "receive goods": (action_codenames(PurchaseOrder, "receive"), PurchaseOrderViewSet.required_perms["receive"]),
        "receive goods from the list": (
            page_codenames("admin:purchasing_purchaseorder_receive", 1),
            PurchaseOrderViewSet.required_perms["receive"],
        ),
        "read the reorder review": (
            page_codenames("admin:purchasing_purchaseorder_reorder"),
            ReorderListView.required_perms["GET"],
        ),
    }

    for act, (in_admin, in_api) in same_act.items():
        assert sorted(in_admin) == sorted(in_api), act

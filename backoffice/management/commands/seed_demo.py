"""A realistic demo shop: a home-goods catalogue, six weeks of orders, deliveries that
filled some of them, shipments, and customers who have been waiting for weeks.
Idempotent: a second run finds the history in place and only brings its dates up to today
(the morning jobs), so the demo tells the truth on any day."""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token

from inventory.models import Product
from inventory.stock import StockChange, change_stock, create_product
from kernel import clock
from kernel.errors import DomainError
from notifications.sending import send_due_messages
from orders.cancellation import cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from orders.placement import CustomerDetails, LineRequest, OrderOrigin, place_order
from purchasing import answers, batching, demand, lifecycle, receiving, review, supplier_links
from purchasing.catalog import create_supplier, create_supplier_item
from purchasing.models import PurchaseOrder

CATALOGUE = [
    # sku, name, price, backorderable, dropship, opening stock
    ("TEA-001", "Sencha green tea 100 g", "8.90", True, False, 40),
    ("TEA-002", "Earl Grey 250 g", "12.50", True, False, 6),
    ("TEA-003", "Rooibos vanilla 100 g", "6.90", True, False, 0),
    ("POT-010", "Cast iron teapot 0.8 l", "49.00", True, False, 2),
    ("POT-011", "Glass teapot 1.2 l", "34.90", True, False, 0),
    ("CUP-020", "Stoneware mug, blue", "14.00", True, False, 24),
    ("CUP-021", "Stoneware mug, sand", "14.00", True, False, 3),
    ("CUP-022", "Espresso cup set (4)", "29.00", False, False, 5),
    ("KET-030", "Gooseneck kettle 1 l", "89.00", True, False, 1),
    ("KET-031", "Electric kettle, matt black", "119.00", True, False, 0),
    ("GRN-040", "Hand coffee grinder", "59.00", True, False, 4),
    ("GRN-041", "Burr grinder, electric", "229.00", True, True, 0),
    ("FIL-050", "Paper filters #2 (100)", "4.50", True, False, 120),
    ("FIL-051", "Pour-over dripper, ceramic", "27.00", True, False, 0),
    ("BOX-060", "Tea caddy tin, 250 g", "11.00", True, False, 15),
    ("BOX-061", "Gift box, tea sampler", "39.00", False, False, 8),
    ("SCL-070", "Coffee scale with timer", "45.00", True, False, 0),
    ("TRY-080", "Serving tray, oak", "65.00", True, False, 2),
]
NAMES = [
    ("anna.berg@example.org", "Anna Berg", "de"),
    ("jonas.keller@example.org", "Jonas Keller", "de"),
    ("mia.wolf@example.org", "Mia Wolf", "de"),
    ("lukas.brandt@example.org", "Lukas Brandt", "de"),
    ("emma.vogel@example.org", "Emma Vogel", "de"),
    ("paul.schmitt@example.org", "Paul Schmitt", "de"),
    ("sara.hansen@example.org", "Sara Hansen", "en"),
    ("tom.baker@example.org", "Tom Baker", "en"),
    ("lea.krueger@example.org", "Lea Krüger", "de"),
    ("noah.fischer@example.org", "Noah Fischer", "de"),
    ("olivia.reed@example.org", "Olivia Reed", "en"),
    ("ben.hoffmann@example.org", "Ben Hoffmann", "de"),
]
# Where each demo customer's parcels go (the shops send an address with every order).
ADDRESSES = {
    "anna.berg@example.org": ("Lindenstraße 12", "10969", "Berlin", "DE"),
    "jonas.keller@example.org": ("Marktplatz 3", "79098", "Freiburg", "DE"),
    "mia.wolf@example.org": ("Am Hafen 7", "20457", "Hamburg", "DE"),
    "lukas.brandt@example.org": ("Bahnhofstraße 21", "80335", "München", "DE"),
    "emma.vogel@example.org": ("Gartenweg 4", "50667", "Köln", "DE"),
    "paul.schmitt@example.org": ("Schillerstraße 9", "04109", "Leipzig", "DE"),
    "sara.hansen@example.org": ("14 Mill Lane", "CB2 1RX", "Cambridge", "GB"),
    "tom.baker@example.org": ("2 Harbour Street", "BS1 4RN", "Bristol", "GB"),
    "lea.krueger@example.org": ("Rosenstraße 18", "01067", "Dresden", "DE"),
    "noah.fischer@example.org": ("Kirchgasse 5", "69117", "Heidelberg", "DE"),
    "olivia.reed@example.org": ("31 Quay Road", "D02 X285", "Dublin", "IE"),
    "ben.hoffmann@example.org": ("Hauptstraße 40", "70173", "Stuttgart", "DE"),
}
SUPPLIERS = [
    # code, name, language, lead time, minimum order value, max wait hours, auto send
    ("teehaus", "Teehaus Nord GmbH", "de", 7, "150.00", 72, False),
    ("potworks", "Potworks Ltd", "en", 12, "400.00", 120, False),
    ("brewgear", "Brewgear GmbH", "de", 10, "0.00", 24, False),
]
# sku prefix -> supplier; SCL-070 has none (it shows under "no supplier").
SUPPLIED_BY = {
    "TEA": "teehaus",
    "BOX": "teehaus",
    "FIL": "teehaus",
    "POT": "potworks",
    "CUP": "potworks",
    "TRY": "potworks",
    "KET": "brewgear",
    "GRN": "brewgear",
}
USERS = [
    # login, role, first and last name (customer service signs its emails with it)
    ("admin", None, "", ""),
    ("lager", "Warehouse", "Jan", "Petersen"),
    ("einkauf", "Purchasing", "Maria", "Schulz"),
    ("service", "Customer service", "Sophie", "Wagner"),
    ("chef", "Manager", "Katrin", "Meyer"),
    ("shop", "Shop", "", ""),
]
FIRST_ORDER = "DEMO-1001"


def demo_address(email, name):
    street, postcode, city, country = ADDRESSES[email]
    return {"name": name, "address1": street, "postcode": postcode, "city": city, "country": country}


class Command(BaseCommand):
    help = "Load a demo catalogue, order history and staff logins (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-backorder", help="Password for the demo logins.")

    def handle(self, *args, password, **options):
        self.users(password)
        if Order.objects.filter(number=FIRST_ORDER).exists():
            # Days have passed since it was loaded: the morning jobs bring every date up to
            # today, so no demo customer is shown a date that has passed.
            lifecycle.mark_late_lines()
            review.review_etas()
            self.stdout.write("Demo history already loaded; its dates brought up to today.")
        else:
            # The history's purchase order mails are not news: keep them off the console.
            with transaction.atomic(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                self.history()
        # The reorder review reads the demand history: built now, not at the night job.
        demand.refresh_demand()
        token = Token.objects.get_or_create(user=User.objects.get(username="shop"))[0]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {Product.objects.count()} products, {Order.objects.count()} orders "
                f"({Order.objects.filter(status=Order.Status.AWAITING_STOCK).count()} awaiting stock, "
                f"{Order.objects.filter(status=Order.Status.READY_TO_SHIP).count()} ready to ship)."
            )
        )
        self.stdout.write(
            f"Logins (password {password!r}): "
            + ", ".join(f"{login} ({role or 'superuser'})" for login, role, *_name in USERS if role != "Shop")
        )
        self.stdout.write(f"Shop API token: {token.key}")

    def users(self, password):
        for username, role, first_name, last_name in USERS:
            # The shop's user speaks only the API: never staff, so it cannot log into admin.
            staff = role != "Shop"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": staff,
                    "is_superuser": role is None,
                    "first_name": first_name,
                    "last_name": last_name,
                },
            )
            if created:
                user.set_password(password)
                user.save()
                if role:
                    user.groups.add(Group.objects.get(name=role))
            elif user.is_staff != staff or (first_name and not user.first_name):  # a demo loaded before these rules
                user.is_staff, user.first_name, user.last_name = staff, first_name, last_name
                user.save(update_fields=["is_staff", "first_name", "last_name"])

    def history(self):
        rng = random.Random(2026)
        start = clock.now() - datetime.timedelta(days=42)
        with clock.frozen(start):
            for sku, name, price, backorderable, dropship, _ in CATALOGUE:
                create_product(sku=sku, name=name, price=Decimal(price), backorderable=backorderable, dropship=dropship)
            change_stock([StockChange(sku, units, "receipt") for sku, *_, units in CATALOGUE if units])
            self.suppliers()
        stocked = [row[0] for row in CATALOGUE]
        number = 1001
        for day in range(42):
            moment = start + datetime.timedelta(days=day, hours=9)
            with clock.frozen(moment):
                for _ in range(rng.choice([1, 1, 2, 3])):
                    email, name, language = rng.choice(NAMES)
                    skus = rng.sample(stocked, rng.choice([1, 1, 2, 3]))
                    try:
                        place_order(
                            number=f"DEMO-{number}",
                            customer=CustomerDetails(email, name, language),
                            fulfilment_policy=rng.choice(["ship_partial", "ship_partial", "ship_complete"]),
                            expedite=rng.random() < 0.08,
                            lines=[LineRequest(sku, rng.choice([1, 1, 2, 3])) for sku in skus],
                            origin=OrderOrigin(shipping_address=demo_address(email, name)),
                        )
                        number += 1
                    except DomainError:
                        pass  # a short non-backorderable item: the shop would have refused it too
                self.purchasing(day, rng)
                # The warehouse ships what is ready most days, but not the last few.
                if day < 38:
                    for ready in Order.objects.filter(status=Order.Status.READY_TO_SHIP).values_list(
                        "number", flat=True
                    ):
                        if rng.random() < 0.7:
                            ship_order(ready)
                if rng.random() < 0.1:
                    waiting = list(
                        Order.objects.filter(status=Order.Status.AWAITING_STOCK).values_list("number", flat=True)
                    )
                    if waiting:
                        cancel_units(rng.choice(waiting), None)
            # The day's customer emails went out in the evening, as the worker would have sent them.
            with clock.frozen(moment + datetime.timedelta(hours=9)):
                while send_due_messages(limit=500)["claimed"]:
                    pass

    def suppliers(self):
        suppliers = {}
        for code, name, language, lead, minimum, wait, auto in SUPPLIERS:
            suppliers[code] = create_supplier(
                code=code,
                name=name,
                email=f"orders@{code}.example",
                language=language,
                lead_time_days=lead,
                min_order_value=Decimal(minimum),
                max_wait_hours=wait,
                auto_send=auto,
            )
        for number, (sku, _, price, *_rest) in enumerate(CATALOGUE):
            code = SUPPLIED_BY.get(sku.split("-")[0])
            if code:
                create_supplier_item(
                    supplier=suppliers[code],
                    product=Product.objects.get(sku=sku),
                    supplier_sku=f"{code[:3].upper()}-{number:03d}",
                    unit_cost=(Decimal(price) * Decimal("0.55")).quantize(Decimal("0.01")),
                    min_order_quantity=6 if sku.startswith(("TEA", "FIL")) else 1,
                    pack_size=6 if sku.startswith("FIL") else 1,
                    preferred=True,
                )

    def purchasing(self, day, rng):
        """Batch every few days; suppliers confirm, some late, most deliver on time."""
        if day % 4 == 1:
            batching.batch_backorders(trigger="demo")
            # The last batch's drafts wait for purchasing's review, as they would this morning.
            for po in (
                PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT).order_by("pk") if day < 40 else ()
            ):
                lifecycle.send_purchase_order(po.number)
        today = clock.today()
        receivable = PurchaseOrder.objects.filter(status__in=["sent", "confirmed", "partially_received"]).order_by("pk")
        for po in receivable.prefetch_related("lines__product"):
            lines = list(po.lines.all())
            due = [line for line in lines if line.expected_date <= today and line.outstanding]
            if po.status == "sent" and rng.random() < 0.5:
                # A supplier confirms, sometimes with a later date than asked for: every other
                # one through its link (the same event, recorded as its answer).
                given = {
                    line: line.expected_date + datetime.timedelta(days=rng.choice([0, 0, 3, 10])) for line in lines
                }
                if po.pk % 2 and all(date >= today for date in given.values()):
                    token = supplier_links.token_of(supplier_links.active_link(po))
                    answers.redate(
                        token, answers.page(token)["version"], {line.pk: date for line, date in given.items()}
                    )
                else:
                    lifecycle.confirm_purchase_order(
                        po.number, {line.product.sku: date for line, date in given.items()}
                    )
            elif due and rng.random() < 0.7 and day < 39:
                try:
                    receiving.receive_purchase_order(po.number, {line.product.sku: line.outstanding for line in due})
                except DomainError:
                    pass  # a dropship delivery for an order its customer cancelled: refused, as staff would see
        # The morning jobs, as beat runs them: late lines, then every date that can no longer be met.
        lifecycle.mark_late_lines()
        review.review_etas()

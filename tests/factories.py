from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from inventory import stock
from inventory.models import Product
from inventory.stock import StockChange
from orders import placement
from orders.models import Customer


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Faker("catch_phrase")
    price = Decimal("10.00")
    backorderable = True
    dropship = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return stock.create_product(**kwargs)  # with its stock row, as every product has


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.org")
    name = factory.Faker("name")
    language = "de"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        for role in extracted or []:
            user.groups.add(Group.objects.get(name=role))


def receive(product, units, note=""):
    [movement] = stock.change_stock([StockChange(product.sku, units, "receipt", note)])
    return movement


_numbers = iter(range(10_000, 10_000_000))


def place(*lines, number=None, policy="ship_partial", expedite=False, customer=None):
    """Place an order of (product, quantity) pairs through the service."""
    customer = customer or CustomerFactory.build()
    order, _ = placement.place_order(
        number=number or f"T{next(_numbers)}",
        customer=placement.CustomerDetails(customer.email, customer.name, customer.language),
        fulfilment_policy=policy,
        expedite=expedite,
        lines=[placement.LineRequest(product.sku, quantity) for product, quantity in lines],
    )
    return order


def line_of(order, product):
    return order.lines.get(product=product)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "purchasing.Supplier"

    code = factory.Sequence(lambda n: f"sup{n}")
    name = factory.Faker("company")
    email = factory.Sequence(lambda n: f"orders@supplier{n}.example")
    language = "de"
    lead_time_days = 10
    min_order_value = Decimal("0")
    max_wait_hours = 48
    auto_send = False


class SupplierItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "purchasing.SupplierItem"

    supplier = factory.SubFactory(SupplierFactory)
    product = factory.SubFactory(ProductFactory)
    supplier_sku = factory.Sequence(lambda n: f"S-{n}")
    unit_cost = Decimal("5.00")
    min_order_quantity = 1
    pack_size = 1
    preferred = True

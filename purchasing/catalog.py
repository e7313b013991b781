"""The supplier catalogue: suppliers and what each supplies (supplier items).

Rules: a supplier code is unique; a supplier has at most one item per product; a product
has at most one preferred supplier (the batch orders from it). Each is also a database
constraint; here a breach is a conflict (409) naming the field, and nothing is written."""

from django.db import IntegrityError, transaction

from kernel.errors import Conflict

from .models import Supplier, SupplierItem


def create_supplier(*, code, **fields):
    try:
        with transaction.atomic():
            return Supplier.objects.create(code=code, **fields)
    except IntegrityError:
        raise Conflict.one(f"A supplier with code {code} already exists.", field="code", code="unique") from None


def create_supplier_item(*, supplier, product, preferred=False, **fields):
    problem = None
    if SupplierItem.objects.filter(product=product, supplier=supplier).exists():
        problem = Conflict.one(
            f"Supplier {supplier.code} already has an item for SKU {product.sku}.",
            field="sku",
            sku=product.sku,
            code="unique",
        )
    elif preferred and SupplierItem.objects.filter(product=product, preferred=True).exists():
        problem = Conflict.one(
            f"SKU {product.sku} already has a preferred supplier.",
            field="preferred",
            sku=product.sku,
            code="unique",
        )
    if problem:
        raise problem
    try:
        with transaction.atomic():
            return SupplierItem.objects.create(supplier=supplier, product=product, preferred=preferred, **fields)
    except IntegrityError:  # the same item or preferred supplier committed meanwhile
        raise Conflict.one(
            f"Supplier {supplier.code} already has an item for SKU {product.sku}, or it has a preferred supplier.",
            field="sku",
            sku=product.sku,
            code="unique",
        ) from None

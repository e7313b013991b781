"""Catalogue import (and export) for admin and `manage.py import_catalog`: products,
suppliers and supplier items, validated row by row with the models' own rules."""

from import_export import fields

from inventory.models import Product
from inventory.resources import ProductResource
from kernel.imports import CatalogResource, LookupWidget

from .models import Supplier, SupplierItem


class SupplierResource(CatalogResource):
    class Meta:
        model = Supplier
        fields = [
            "code",
            "name",
            "email",
            "language",
            "lead_time_days",
            "min_order_value",
            "max_wait_hours",
            "auto_send",
        ]
        import_id_fields = ["code"]
        clean_model_instances = True
        skip_unchanged = True


class SupplierItemResource(CatalogResource):
    supplier = fields.Field(
        attribute="supplier", column_name="supplier", widget=LookupWidget(Supplier, "code", "supplier")
    )
    sku = fields.Field(
        attribute="product", column_name="sku", widget=LookupWidget(Product, "sku", "sku", ignore_case=True)
    )

    class Meta:
        model = SupplierItem
        fields = [
            "supplier",
            "sku",
            "supplier_sku",
            "unit_cost",
            "min_order_quantity",
            "pack_size",
            "lead_time_days",
            "preferred",
        ]
        import_id_fields = ["supplier", "sku"]
        clean_model_instances = True
        skip_unchanged = True


RESOURCES = {"products": ProductResource, "suppliers": SupplierResource, "supplier-items": SupplierItemResource}


def guess_kind(headers):
    headers = {header.strip().lower() for header in headers if header}
    if {"supplier", "sku", "supplier_sku"} <= headers:
        return "supplier-items"
    if {"code", "email"} <= headers:
        return "suppliers"
    if {"sku", "name", "price"} <= headers:
        return "products"
    return None

from kernel.imports import CatalogResource

from . import stock
from .models import Product


class ProductResource(CatalogResource):
    class Meta:
        model = Product
        fields = ["sku", "name", "price", "backorderable", "dropship"]
        import_id_fields = ["sku"]
        clean_model_instances = True
        skip_unchanged = True

    def before_import_row(self, row, **kwargs):
        # "tea-003" is TEA-003 (SKUs match in any case): the row updates it and keeps its spelling.
        if row.get("sku"):
            row["sku"] = Product.objects.filter(sku__iexact=row["sku"]).values_list("sku", flat=True).first() or row["sku"]

    def after_save_instance(self, instance, row, **kwargs):
        stock.ensure_stock_levels([instance.pk])

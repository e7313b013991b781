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
            found = stock.products_by_sku([str(row["sku"])]).get(str(row["sku"]))
            row["sku"] = found.sku if found else row["sku"]

    def after_save_instance(self, instance, row, **kwargs):
        stock.ensure_stock_levels([instance.pk])

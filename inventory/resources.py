from backoffice.imports import CatalogResource

from . import stock
from .models import Product


class ProductResource(CatalogResource):
    class Meta:
        model = Product
        fields = ["sku", "name", "price", "backorderable", "dropship"]
        import_id_fields = ["sku"]
        clean_model_instances = True
        skip_unchanged = True

    def after_save_instance(self, instance, row, **kwargs):
        stock.ensure_stock_levels([instance.pk])

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from backoffice import failures, health, status_page
from backoffice.availability import AvailabilityView, public_availability_view
from backoffice.dashboard import dashboard_view
from backoffice.orders_api import OrderViewSet
from inventory.api import ProductViewSet
from kernel import signin
from kernel.admin_tools import admin_page
from notifications.webhooks import tracking_webhook
from orders.api import BackorderViewSet
from purchasing import supplier_page
from purchasing.api import (
    BatchBackordersView,
    ProductReorderView,
    PurchaseOrderViewSet,
    ReorderListView,
    SupplierItemViewSet,
    SupplierViewSet,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("products", ProductViewSet, basename="product")
router.register("orders", OrderViewSet, basename="order")
router.register("backorders", BackorderViewSet, basename="backorder")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("supplier-items", SupplierItemViewSet, basename="supplier-item")
router.register("purchase-orders", PurchaseOrderViewSet, basename="purchase-order")

# A database that is briefly away answers 503 with Retry-After, not a 500 page.
handler500 = "backoffice.failures.server_error"
handler404 = "backoffice.failures.not_found"

# The admin index starts with each role's daily jobs, two clicks from anything they do.
admin.site.index_template = "admin/backoffice_index.html"
# Guessed passwords are throttled (kernel.signin): the form says how long to wait, the page answers 429.
admin.site.login_form = signin.ThrottledAuthenticationForm

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/dashboard/", admin_page(admin.site, dashboard_view, "orders.view_dashboard"), name="dashboard"),
    path("admin/login/", signin.admin_login, name="login"),
    path("admin/", admin.site.urls),
    path("anymail/<str:esp>/tracking/", tracking_webhook, name="tracking-webhook"),
    path("status/<str:token>/", status_page.status_page_view, name="order-status"),
    path("status/<str:token>/policy/", status_page.change_policy, name="order-status-policy"),
    path("status/<str:token>/cancel/", status_page.cancel, name="order-status-cancel"),
    path("supplier/<str:token>/", supplier_page.supplier_page_view, name="supplier-page"),
    path("supplier/<str:token>/lines.csv", supplier_page.supplier_csv_view, name="supplier-page-csv"),
    path("availability/<str:sku>.json", public_availability_view, name="availability"),
    path("shops/", include("shops.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]), name="api-docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema", permission_classes=[]), name="api-redoc"),
    path("api/v1/jobs/batch-backorders/", BatchBackordersView.as_view(), name="batch-backorders"),
    path("api/v1/products/<str:sku>/availability/", AvailabilityView.as_view(), name="product-availability"),
    path("api/v1/products/<str:sku>/reorder/", ProductReorderView.as_view(), name="product-reorder"),
    path("api/v1/reorder/", ReorderListView.as_view(), name="reorder"),
    path("api/v1/", include(router.urls)),
    # Any other API path is the API's JSON 404, in every mode (DEBUG's own 404 page is HTML).
    re_path(r"^api/", failures.api_not_found),
]

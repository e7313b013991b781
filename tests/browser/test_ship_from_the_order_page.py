"""The warehouse ships one order from its page on a laptop screen, with a tracking number the
customer then sees on the status page."""

from orders.models import Order
from orders.status_links import status_token
from tests.factories import CustomerFactory, ProductFactory, place, receive


def test_the_warehouse_ships_an_order_from_its_page_with_a_tracking_number(page, login, live_server):
    lamp = ProductFactory(sku="LAMP-8", name="Lamp")
    receive(lamp, 1)
    order = place((lamp, 1), customer=CustomerFactory.build(language="en"))
    page.set_viewport_size({"width": 1366, "height": 768})
    login("Warehouse")

    page.goto(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    ship = page.get_by_role("button", name="Ship", exact=True)
    box = ship.bounding_box()
    assert box["x"] + box["width"] <= 1366  # on the screen without scrolling sideways
    page.shot("order-page-ready-to-ship")
    page.get_by_label("tracking number").fill("1Z999AA10123456784")
    ship.click()
    page.get_by_text(f"Order {order.number} shipped: 1 × LAMP-8.").wait_for()
    page.shot("order-shipped")

    assert Order.objects.get(pk=order.pk).status == "shipped"
    page.goto(f"{live_server.url}/status/{status_token(order)}/")
    page.get_by_text("tracking number 1Z999AA10123456784").wait_for()
    page.shot("status-page-tracking-number")

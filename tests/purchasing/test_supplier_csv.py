"""Suppliers who prefer files: the lines as CSV, the same file back with dates and quantities;
a dry run shows what would change, a bad row refuses the file naming its line."""

import csv
import io

import pytest
from django.core import mail

from orders.models import Backorder
from purchasing.models import SupplierAnswer
from tests.purchasing.supplier_answers import sent_order, token_in, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with travel() as traveller:
        yield traveller


def download(client, token):
    response = client.get(f"/supplier/{token}/lines.csv")
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def upload(client, token, rows, **extra):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    version = client.get(f"/supplier/{token}/?lang=en").context["version"]
    file = io.BytesIO(out.getvalue().encode())
    file.name = "lines.csv"
    return client.post(
        f"/supplier/{token}/", {"answer": "csv", "version": version, "lang": "en", "file": file, **extra}
    )


def test_the_lines_go_out_as_csv_and_come_back_with_a_dry_run_first(client):
    po, items, orders = sent_order(2, 3, items=2)
    token = token_in(mail.outbox[-1])
    rows = download(client, token)
    assert [row["sku"] for row in rows] == sorted(item.product.sku for item in items)
    rows[0]["expected_date"] = "2026-04-20"
    rows[1]["quantity"] = "3"  # of 5: the rest will not come

    preview = upload(client, token, rows)

    assert preview.status_code == 200
    assert [(c["sku"], c["field"], c["now"]) for c in preview.context["preview"]] == [
        (rows[0]["sku"], "expected_date", "2026-04-20"),
        (rows[1]["sku"], "quantity", 3),
    ]
    assert not SupplierAnswer.objects.exists()  # the dry run wrote nothing

    applied = client.post(
        f"/supplier/{token}/",
        {
            "answer": "csv",
            "apply": "yes",
            "csv_text": preview.context["csv_text"],
            "version": preview.context["version"],
            "lang": "en",
        },
    )

    assert applied.status_code == 302
    assert sorted(SupplierAnswer.objects.values_list("kind", flat=True)) == ["redated", "short"]
    assert [row["expected_date"] for row in download(client, token)][0] == "2026-04-20"
    assert [row["quantity"] for row in download(client, token)][1] == "3"
    assert Backorder.objects.filter(status="open").count() == 1  # the 3-unit order goes back to the batch


def test_a_bad_row_refuses_the_whole_file_naming_its_line(client):
    po, items, orders = sent_order(2, items=3)
    token = token_in(mail.outbox[-1])
    rows = download(client, token)
    rows[0]["expected_date"] = "2026-04-20"
    rows[1]["quantity"] = "zwei"
    rows[2]["expected_date"] = "20.04.2026"

    refused = upload(client, token, rows)

    assert refused.status_code == 400
    page = refused.content.decode()
    assert f"Line 3 (SKU {rows[1]['sku']}): quantity must be a whole number from 0 to 2." in page
    assert f"Line 4 (SKU {rows[2]['sku']}): expected_date must be a date written YYYY-MM-DD." in page
    assert "Line 2 " not in page
    assert not SupplierAnswer.objects.exists()
    assert {line.expected_date.isoformat() for line in po.lines.all()} != {"2026-04-20"}


def test_an_unknown_sku_is_named_by_its_line(client):
    po, items, orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    rows = download(client, token)
    rows.append({**rows[0], "sku": "NOPE-1"})

    refused = upload(client, token, rows)

    assert refused.status_code == 400
    assert f"Line 3 (SKU NOPE-1): purchase order {po.number} has no line for this SKU." in refused.content.decode()

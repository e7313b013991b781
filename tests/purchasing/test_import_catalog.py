"""The catalogue comes in from CSV or XLSX: every bad row is reported by row number,
column and reason, and nothing is imported while any row is bad."""

from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from inventory.models import Product
from purchasing.models import Supplier, SupplierItem
from tests.factories import ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_products_import_from_csv_and_again_without_duplicates(tmp_path, capsys):
    path = write(
        tmp_path,
        "products.csv",
        "sku,name,price,backorderable,dropship\nTEA-9,Oolong,12.90,1,0\nPOT-9,Kyusu,45.00,0,0\n",
    )

    call_command("import_catalog", path)
    call_command("import_catalog", path)

    assert list(Product.objects.order_by("sku").values_list("sku", "price", "backorderable")) == [
        ("POT-9", Decimal("45.00"), False),
        ("TEA-9", Decimal("12.90"), True),
    ]
    assert Product.objects.get(sku="TEA-9").stock.on_hand == 0  # every product has its stock row
    assert "0 new, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_every_bad_row_is_reported_and_nothing_is_imported(tmp_path, capsys):
    path = write(
        tmp_path,
        "products.csv",
        "sku,name,price,backorderable,dropship\nGOOD-1,Fine,1.00,1,0\nBAD SKU,x,-1,1,0\nNEW-2,,abc,1,0\n",
    )

    with pytest.raises(CommandError, match="4 problems in products.csv; nothing was imported"):
        call_command("import_catalog", path)

    report = capsys.readouterr().err.splitlines()
    assert report == [
        "row 3, column price: Ensure this value is greater than or equal to 0.",
        "row 3, column sku: Use letters, digits and . _ - only, starting with a letter or digit.",
        "row 4, column name: This field cannot be blank.",
        "row 4, column price: 'abc' is not an amount",
    ]
    assert not Product.objects.exists()


def test_a_dry_run_checks_and_imports_nothing(tmp_path, capsys):
    path = write(
        tmp_path,
        "suppliers.csv",
        "code,name,email,language,lead_time_days,min_order_value,max_wait_hours,auto_send\n"
        "acme,ACME,po@acme.example,en,9,150.00,48,1\n",
    )

    call_command("import_catalog", path, "--dry-run")

    assert "1 suppliers rows are fine (dry run" in capsys.readouterr().out
    assert not Supplier.objects.exists()


def test_supplier_items_from_xlsx_name_missing_suppliers_and_second_preferred(tmp_path, capsys):
    SupplierFactory(code="acme")
    SupplierFactory(code="bolt")
    ProductFactory(sku="TEA-9")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "supplier",
            "sku",
            "supplier_sku",
            "unit_cost",
            "min_order_quantity",
            "pack_size",
            "lead_time_days",
            "preferred",
        ]
    )
    sheet.append(["acme", "TEA-9", "A-1", 3.5, 10, 5, None, 1])
    sheet.append(["bolt", "TEA-9", "B-1", 3.2, 1, 1, None, 1])
    sheet.append(["nobody", "TEA-9", "N-1", 3.0, 1, 1, None, 0])
    path = tmp_path / "items.xlsx"
    book.save(path)

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_catalog", str(path))

    err = capsys.readouterr().err
    assert "row 3, column -: This product already has a preferred supplier." in err
    assert "row 4, column supplier: no supplier with code 'nobody'" in err
    assert not SupplierItem.objects.exists()

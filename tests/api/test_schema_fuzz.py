"""Schemathesis reads the published OpenAPI schema and throws generated requests, valid and
invalid, at every operation of the demo shop (seed_demo: 18 products, 60-odd orders, purchase
orders in every state) served by the real web app with DEBUG off, on the test run's database
engine. Path parameters and the SKUs, codes and numbers in bodies are drawn from the demo's
real ones as well as generated, so requests reach the core logic, not only 404s. Every check
schemathesis has runs on every answer: no 5xx; documented status codes, content types and
shapes; invalid data refused; valid data never refused as invalid (a well-formed request that
the state of things refuses is a 404 or 409, kernel.errors.refuse)."""

import collections
import json
import os
import secrets
import subprocess
import sys
import zlib
from decimal import Decimal

import psycopg
import pytest
import requests
import schemathesis
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from kernel.parsers import repeated
from orders.placement import AMOUNT_LIMIT
from tests.processes import ROOT, accepts, free_port, wait_for

# The demo's keys, read from its API once it runs; the hooks below draw from them.
REAL = {}
STATUSES = collections.defaultdict(collections.Counter)


def _database(folder):
    """A database of the fuzz run's own, on the engine the test run uses."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{folder}/demo.sqlite3", lambda: None
    db = connection.settings_dict
    name = f"{db['NAME']}_fuzz"
    admin = (
        f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/postgres"
    )

    def recreate(create=True):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                conn.execute(f'CREATE DATABASE "{name}"')

    recreate()
    return admin.rsplit("/", 1)[0] + f"/{name}", lambda: recreate(create=False)


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    url, drop = _database(folder)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BACKOFFICE_VAR_DIR": str(folder),
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    token = subprocess.run(
        [*manage, "drf_create_token", "admin"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[2]
    port = free_port()
    web = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **env,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
        },
    )
    try:
        wait_for(lambda: accepts(port), "the demo's web app to listen")
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Token {token}"}

        def rows(path):
            return requests.get(f"{base}/api/v1/{path}/?limit=1000", headers=headers, timeout=30).json()["results"]

        orders, purchase_orders = rows("orders"), rows("purchase-orders")
        REAL.update(
            sku=[row["sku"] for row in rows("products")],
            supplier=[row["code"] for row in rows("suppliers")],
            order=[row["number"] for row in orders],
            purchase_order=[row["number"] for row in purchase_orders],
            ready_order=[row["number"] for row in orders if row["status"] == "ready_to_ship"],
            open_order=[row["number"] for row in orders if row["status"] not in ("shipped", "cancelled")],
            draft=[row["number"] for row in purchase_orders if row["status"] == "draft"],
            receivable=[
                row["number"] for row in purchase_orders if row["status"] in ("sent", "confirmed", "partially_received")
            ],
            # The SKUs on each order and purchase order, for bodies that name its lines.
            lines={row["number"]: [line["sku"] for line in row["lines"]] for row in [*orders, *purchase_orders]},
        )
        yield base, headers
    finally:
        web.terminate()
        web.wait(timeout=30)
        drop()


def _real(kind, generated):
    """One of the demo's keys (about three times in four) or the generated one, picked by the
    generated value itself (the same case always sends the same request, so Hypothesis can
    replay a failure; its favourite "0" lands on a real key, or placing an order never got past
    the catalogue)."""
    known = REAL.get(kind)
    if not known or not isinstance(generated, str):
        return generated
    pick = zlib.crc32(generated.encode("utf-8", "surrogatepass")) % (len(known) + max(1, len(known) // 3))
    return known[pick] if pick < len(known) else generated


# Which of the demo's keys fit an operation best: ship a ready order, receive a sent purchase order...
FITTING = {
    "/ship/": "ready_order",
    "/orders/{number}/cancel/": "open_order",
    "/send/": "draft",
    "/confirm/": "receivable",
    "/receive/": "receivable",
    "/purchase-orders/{number}/cancel/": "draft",
}


def _kind(path, name):
    if name == "number":
        fitting = next((kind for fragment, kind in FITTING.items() if fragment in path and REAL.get(kind)), None)
        return fitting or ("purchase_order" if "purchase-orders" in path else "order")
    return {"sku": "sku", "code": "supplier"}.get(name)


@schemathesis.hook
def map_case(context, case):
    """Requests reach the core logic: path keys and the SKUs and codes in bodies are the demo's
    real ones more often than generated ones, and a body naming the lines of the order or purchase
    order in its path names its SKUs. Schemathesis checks the changed case against the schema
    again, so what the hook makes valid counts as valid. A valid body also keeps the two rules
    the schema cannot state (each SKU once; an order's total within what the books hold, which
    tests/api/test_hostile_input.py tries): a repeated line is left out, and prices that add up
    to more are left to the catalogue."""
    if case.path_parameters:
        path = case.operation.path
        case.path_parameters = {name: _real(_kind(path, name), value) for name, value in case.path_parameters.items()}
    body = case.body
    if not isinstance(body, dict):
        return case
    body = {key: _real(key, value) if key in ("sku", "supplier") else value for key, value in body.items()}
    lines = body.get("lines")
    if isinstance(lines, list) and all(isinstance(line, dict) for line in lines):
        skus = REAL.get("lines", {}).get((case.path_parameters or {}).get("number"))
        lines = [
            {**line, "sku": skus[index % len(skus)] if skus else _real("sku", line["sku"])}
            if isinstance(line.get("sku"), str)
            else line
            for index, line in enumerate(lines)
        ]
        named = [line.get("sku") for line in lines]
        if all(isinstance(sku, str) for sku in named):
            repeats = set(repeated(named))
            lines = [line for index, line in enumerate(lines) if index not in repeats]
        if _total(lines) > AMOUNT_LIMIT:
            lines = [{key: value for key, value in line.items() if key != "unit_price"} for line in lines]
        body["lines"] = lines
    case.body = body
    return case


def _total(lines):
    try:
        return sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines if "unit_price" in line)
    except (LookupError, TypeError, ValueError, ArithmeticError):  # an invalid line: the schema's to judge
        return 0


@schemathesis.hook
def after_call(context, case, response):
    STATUSES[f"{case.operation.method.upper()} {case.operation.path}"][response.status_code] += 1


# The schema as published (it depends on no data); the requests go to the demo over HTTP.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True))))


@pytest.fixture(scope="module")
def reach_checked():
    """After the fuzz run, in its process (schemathesis collects its test after the module's
    others, and xdist may send those elsewhere): how many operations got a 2xx. Fails the
    fuzz test's teardown when a 5xx was seen or more than 3 operations never got past
    validation."""
    yield
    reached = sorted(operation for operation, codes in STATUSES.items() if any(200 <= code < 300 for code in codes))
    errors = sum(count for codes in STATUSES.values() for code, count in codes.items() if code >= 500)
    calls = sum(sum(codes.values()) for codes in STATUSES.values())
    print(f"\n{calls} requests; {len(reached)} of {len(STATUSES)} operations reached a 2xx; 5xx: {errors}")
    for operation, codes in sorted(STATUSES.items()):
        print(f"  {operation}: {dict(sorted(codes.items()))}")
    assert STATUSES, "the fuzz run made no request"
    assert errors == 0
    assert len(reached) >= len(STATUSES) - 3


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=list(HealthCheck)
)
def test_every_request_gets_the_answer_the_schema_promises(case, demo_api, reach_checked):
    """Every check schemathesis has (its default, as the CLI's --checks all): no 5xx, answers
    in the documented codes, content types and shapes, invalid data refused (4xx) and valid
    data never refused with a 400, authentication not ignored."""
    base, headers = demo_api
    case.call_and_validate(base_url=base, headers=headers)

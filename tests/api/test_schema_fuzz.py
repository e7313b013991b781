"""Schemathesis reads the published OpenAPI schema and throws generated requests, valid and
invalid, at every operation of the demo shop (seed_demo: 18 products, 60-odd orders, purchase
orders in every state) served by the real web app with DEBUG off, on the test run's database
engine. Path parameters and the SKUs, codes and numbers in bodies are drawn from the demo's
real ones as well as generated, so requests reach the core logic, not only 404s. No request
may get a 5xx; every response must match its documented schema and status codes."""

import collections
import json
import os
import secrets
import subprocess
import sys

import psycopg
import pytest
import requests
import schemathesis
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

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
    admin = f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/postgres"

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
    env = {**os.environ, "DATABASE_URL": url, "BACKOFFICE_VAR_DIR": str(folder), "CELERY_BROKER_URL": "memory://",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    token = subprocess.run([*manage, "drf_create_token", "admin"], cwd=ROOT, env=env, check=True, capture_output=True,
                           text=True).stdout.split()[2]
    port = free_port()
    web = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**env, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
             "SECURE_SSL_REDIRECT": "false"},
    )
    try:
        wait_for(lambda: accepts(port), "the demo's web app to listen")
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Token {token}"}

        def rows(path):
            return requests.get(f"{base}/api/v1/{path}/?limit=1000", headers=headers, timeout=30).json()["results"]

        orders, purchase_orders = rows("orders"), rows("purchase-orders")
        REAL.update(
            sku=[row["sku"] for row in rows("products")], supplier=[row["code"] for row in rows("suppliers")],
            order=[row["number"] for row in orders], purchase_order=[row["number"] for row in purchase_orders],
            ready_order=[row["number"] for row in orders if row["status"] == "ready_to_ship"],
            open_order=[row["number"] for row in orders if row["status"] not in ("shipped", "cancelled")],
            draft=[row["number"] for row in purchase_orders if row["status"] == "draft"],
            receivable=[row["number"] for row in purchase_orders if row["status"] in ("sent", "confirmed", "partially_received")],
            # The SKUs on each order and purchase order, for bodies that name its lines.
            lines={row["number"]: [line["sku"] for line in row["lines"]] for row in [*orders, *purchase_orders]},
        )
        yield base, headers
    finally:
        web.terminate()
        web.wait(timeout=30)
        drop()


def _real(kind, generated):
    """The generated value or one of the demo's, so both unknown and real keys are tried."""
    return st.sampled_from([generated, *REAL[kind]]) if REAL.get(kind) else st.just(generated)


# Which of the demo's keys fit an operation best: ship a ready order, receive a sent purchase order...
FITTING = {"/ship/": "ready_order", "/orders/{number}/cancel/": "open_order", "/send/": "draft",
           "/confirm/": "receivable", "/receive/": "receivable", "/purchase-orders/{number}/cancel/": "draft"}


def _kind(path, name):
    if name == "number":
        fitting = next((kind for fragment, kind in FITTING.items() if fragment in path and REAL.get(kind)), None)
        return fitting or ("purchase_order" if "purchase-orders" in path else "order")
    return {"sku": "sku", "code": "supplier"}.get(name)


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    return st.fixed_dictionaries({name: _real(_kind(path, name), value) for name, value in path_parameters.items()})


@schemathesis.hook
def flatmap_body(context, body):
    if not isinstance(body, dict):
        return st.just(body)
    drawn = {key: _real("sku" if key == "sku" else "supplier", value) if key in ("sku", "supplier") and isinstance(value, str)
             else st.just(value) for key, value in body.items()}
    lines = body.get("lines")
    if isinstance(lines, list) and all(isinstance(line, dict) for line in lines):
        drawn["lines"] = st.tuples(*[
            st.fixed_dictionaries({key: _real("sku", value) if key == "sku" and isinstance(value, str) else st.just(value)
                                   for key, value in line.items()})
            for line in lines
        ]).map(list)
    return st.fixed_dictionaries(drawn)


@schemathesis.hook
def map_case(context, case):
    """A body that names lines of the order or purchase order in its path names its SKUs."""
    skus = REAL.get("lines", {}).get((case.path_parameters or {}).get("number"))
    lines = case.body.get("lines") if isinstance(case.body, dict) else None
    if skus and isinstance(lines, list):
        for index, line in enumerate(lines):
            if isinstance(line, dict) and isinstance(line.get("sku"), str):
                line["sku"] = skus[index % len(skus)]
    return case


@schemathesis.hook
def after_call(context, case, response):
    STATUSES[f"{case.operation.method.upper()} {case.operation.path}"][response.status_code] += 1


# The schema as published (it depends on no data); the requests go to the demo over HTTP.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True))))
# Every test here runs in one process (./dev test distributes with --dist loadgroup), so the
# last one can read what the fuzz run saw.
pytestmark = pytest.mark.xdist_group("schema-fuzz")


@schema.parametrize()
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, demo_api):
    base, headers = demo_api
    case.call_and_validate(
        base_url=base, headers=headers,
        checks=[schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance,
                schemathesis.checks.status_code_conformance],
    )


def test_the_fuzzer_reached_the_core_logic_of_most_operations():
    """Read after the fuzz run in this module: how many operations got a 2xx."""
    if not STATUSES:
        pytest.skip("the fuzz run did not run in this process")
    reached = sorted(operation for operation, codes in STATUSES.items() if any(200 <= code < 300 for code in codes))
    errors = sum(count for codes in STATUSES.values() for code, count in codes.items() if code >= 500)
    print(f"\n{len(reached)} of {len(STATUSES)} operations reached a 2xx; 5xx: {errors}")
    for operation, codes in sorted(STATUSES.items()):
        print(f"  {operation}: {dict(sorted(codes.items()))}")
    assert errors == 0
    assert len(reached) >= len(STATUSES) - 3

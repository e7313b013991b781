"""Starting with a bad environment value is one line naming the variable and what it accepts
(it was a traceback whose last line named it), from every entry point; and once started, every
log line, gunicorn's own and the app's, is stamped in one time zone (gunicorn logged UTC while
the app logged the settings' TIME_ZONE)."""

import datetime
import os
import re
import signal
import subprocess
import sys
import zoneinfo

import pytest
import requests
from django.conf import settings

from tests.processes import ROOT, accepts, free_port, wait_for

BIN = os.path.dirname(sys.executable)


def run(command, **env):
    environ = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        command, cwd=ROOT, env={**environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )


ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "celery worker": [f"{BIN}/celery", "-A", "backoffice", "worker"],
    "celery beat": [f"{BIN}/celery", "-A", "backoffice", "beat"],
    "gunicorn": [f"{BIN}/gunicorn", "backoffice.wsgi:application", "-c", "gunicorn.conf.py"],
}
BAD_VALUES = {
    "DEBUG": ("maybe", "DEBUG='maybe': expected true or false"),
    "MESSAGE_CLAIM_SECONDS": ("0", "MESSAGE_CLAIM_SECONDS=0: expected a whole number of at least 1"),
    "DATABASE_URL": ("mysqlx://nowhere/db", "DATABASE_URL: expected postgres://"),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("variable", BAD_VALUES)
def test_a_bad_environment_value_stops_the_start_with_one_line(entry, variable):
    value, says = BAD_VALUES[variable]

    result = run(ENTRY_POINTS[entry], **{variable: value, "PORT": str(free_port())})

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    assert lines[0].startswith("Cannot start: ") and says in lines[0]


def test_gunicorns_log_lines_and_the_apps_share_one_time_zone(tmp_path):
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    log = open(tmp_path / "log", "w+")  # noqa: SIM115 (closed below)
    web = subprocess.Popen(
        [f"{BIN}/gunicorn", "backoffice.wsgi:application", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "TZ": "UTC"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: accepts(port), "gunicorn to listen")
        assert requests.get(f"http://127.0.0.1:{port}/health/live", timeout=10).status_code == 200
        wait_for(lambda: "/health/live" in (tmp_path / "log").read_text(), "the request's log line")
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
        log.close()

    text = (tmp_path / "log").read_text()

    def offset(words):
        """The UTC offset of the line that says `words` (None: the line states none)."""
        line = next(line for line in text.splitlines() if words in line)
        stamp = re.match(r"^\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)? ([+-]\d{4})", line)
        return stamp and stamp[1]

    # gunicorn's own line and the app's, in the settings' TIME_ZONE, though the process started in UTC
    zone = datetime.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).strftime("%z")
    assert offset("Booting worker") == offset("GET /health/live") == zone, text

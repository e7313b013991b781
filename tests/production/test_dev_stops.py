"""`./dev up` (the demo: web server, Celery worker with beat) stops everything it started within
15 s of Ctrl-C or TERM, without a shell error: it used to print `celery: unbound variable` on
every stop, and a worker hung in warm shutdown outlived it for minutes."""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.processes import ROOT, accepts, free_port, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the started processes in /proc")

REAL_VENV = ROOT / ".venv"


def venv_that_needs_no_install(folder):
    """A venv folder pointing at the real one, with ./dev's stamp for this pyproject.toml, so
    that ./dev starts at once instead of installing."""
    import hashlib

    venv = folder / "venv"
    venv.mkdir()
    for name in ["bin", "lib", "lib64", "include", "pyvenv.cfg"]:
        if (REAL_VENV / name).exists():
            (venv / name).symlink_to((REAL_VENV / name).resolve())
    stamp = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    (venv / f".deps-{stamp}").touch()
    return venv


def processes_marked(marker):
    """The processes (ours to read) whose environment carries the marker: all that ./dev started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def demo(tmp_path):
    port, marker = free_port(), f"DEV_STOP_TEST={uuid.uuid4()}"
    env = {
        **os.environ,
        "VENV": str(venv_that_needs_no_install(tmp_path)),
        "BACKOFFICE_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        marker.split("=")[0]: marker.split("=")[1],
    }
    for name in ["DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"]:
        env.pop(name, None)
    process = subprocess.Popen(
        [str(ROOT / "dev"), "up"],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / "out.log", "wb"),  # noqa: SIM115 (closed with the process)
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: accepts(port), "./dev up to serve the demo", timeout=300)
        wait_for(lambda: len(processes_marked(marker.encode())) >= 4, "the worker's pool to start", timeout=60)
        yield process, marker.encode(), tmp_path / "out.log"
    finally:
        for pid in processes_marked(marker.encode()):
            os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_dev_up_stops_all_it_started_within_15_seconds(demo, stop_signal):
    process, marker, log = demo
    started = processes_marked(marker)

    sent = time.monotonic()
    process.send_signal(stop_signal)
    process.wait(timeout=15)
    took = time.monotonic() - sent

    assert took < 15 and processes_marked(marker) == [], (took, started)
    assert "unbound variable" not in log.read_text(errors="replace")

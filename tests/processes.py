"""Helpers for tests that run the back office's real processes (worker, web app, redis-server)."""

import signal
import socket
import subprocess
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, what, timeout=60):
    """Poll a real process's state (a port, a file, a row) until `condition()` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Redis:
    """A redis-server of the test's own, on its own port, that the test stops and starts."""

    def __init__(self, folder):
        self.port, self.folder, self.process = free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: accepts(self.port), "redis-server to accept connections")

    def freeze(self):
        """A hung host: the port still accepts connections (the kernel answers), Redis never does."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        self.thaw()  # a frozen one would never act on the terminate
        self.process.terminate()
        self.process.wait(timeout=30)
        wait_for(lambda: not accepts(self.port), "redis-server to be gone")


def database_url(application_name):
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
        f"?application_name={application_name}"
    )


class Service:
    """A process of the back office (worker or web) with the test's database and broker."""

    def __init__(self, command, env, log):
        self.command, self.env, self.log, self.process = command, env, log, None

    def start(self):
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

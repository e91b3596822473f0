import pytest

from trigger_emulator import Config
from trigger_emulator import LocalEmulator

pytest_plugins = ["pytester"]


@pytest.fixture
def emu():
    with LocalEmulator(Config()) as emulator:
        yield emulator


@pytest.fixture
def api(emu):
    """An httpx client into the in-process emulator, authorized with a fresh dev key."""
    with emu.client() as client:
        yield client


@pytest.fixture
def trigger(api):
    def _trigger(task="my-task", payload=None, **options):
        body = {"options": options}
        if payload is not None:
            body["payload"] = payload
        response = api.post(f"/api/v1/tasks/{task}/trigger", json=body)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    return _trigger


class _Server:
    def __init__(self, url, key, process, db):
        self.url, self.key, self.process, self.db = url, key, process, db


def start_server(db_path, port=None, key="tr_dev_contractSuiteKey0000001", extra=()):
    """``trigger-emulator serve`` in a subprocess; returns once /healthz answers."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "trigger_emulator", "serve", "--port", str(port), "--db", str(db_path), "--key", key, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return _Server(url, key, process, db_path)
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def stop_server(server, sig=None):
    import signal

    server.process.send_signal(sig or signal.SIGINT)
    try:
        server.process.wait(timeout=15)
    except Exception:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("srv") / "emulator.sqlite3")
    yield srv
    stop_server(srv)

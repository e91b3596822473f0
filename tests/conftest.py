import pytest

from emulator import Config
from emulator.local import LocalEmulator

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

"""The ``trigger_emulator`` pytest plugin: a veneer over ``trigger_emulator.LocalEmulator``.

One emulator per test session (per xdist worker), reset before every test. Installing the
package registers this module through the ``pytest11`` entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from trigger_emulator.local import LocalEmulator
from trigger_emulator.local.worker_process import DevWorker

_OPTIONS = {  # marker/fixture option: (ini name, ini type, default, help)
    "environment": ("trigger_emulator_environment", "string", "dev", "environment of the test's key: dev, staging, prod or preview"),
    "compat": ("trigger_emulator_compat", "string", "production", "answer as production or as the public docs (docs)"),
    "auto_execute": ("trigger_emulator_auto_execute", "bool", False, "run Python task handlers after every emulator request"),
    "strict_keys": ("trigger_emulator_strict_keys", "bool", False, "accept only the test's own secret key"),
    "hosts": ("trigger_emulator_hosts", "linelist", [], "more hosts to route to the emulator"),
    "strict": ("trigger_emulator_strict", "bool", False, "fail a test that leaves a triggered run unasserted"),
}
_WORKER_PROJECT = "trigger_emulator_worker_project"


def pytest_addoption(parser: pytest.Parser) -> None:
    for ini, kind, default, help_text in _OPTIONS.values():
        parser.addini(ini, help_text, type=kind, default=default)
    parser.addini(_WORKER_PROJECT, "folder of the Trigger.dev project (trigger.config.ts) that the "
                  "trigger_dev_worker fixture runs `trigger.dev dev` in, relative to the rootdir", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trigger_emulator(**options): configure the trigger_emulator fixture "
                            f"for this test; options: {', '.join(_OPTIONS)}")


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    settings = {name: request.config.getini(ini) for name, (ini, *_) in _OPTIONS.items()}
    for marker in reversed(list(request.node.iter_markers("trigger_emulator"))):
        if marker.args or set(marker.kwargs) - set(_OPTIONS):
            raise pytest.UsageError(f"@pytest.mark.trigger_emulator takes keyword options {', '.join(_OPTIONS)}; "
                                    f"got {sorted(set(marker.kwargs) - set(_OPTIONS)) or marker.args}")
        settings.update(marker.kwargs)
    return settings


@pytest.fixture(scope="session")
def _trigger_emulator_session() -> Iterator[LocalEmulator]:
    with LocalEmulator() as emulator:
        yield emulator


@pytest.fixture
def trigger_emulator(request: pytest.FixtureRequest, _trigger_emulator_session: LocalEmulator,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalEmulator]:
    """A fresh emulator state for this test; Trigger.dev calls made with httpx or requests land in it."""
    emulator, settings = _trigger_emulator_session, _settings(request)
    emulator.reset()
    try:
        emulator.configure(environment=settings["environment"], compat=settings["compat"], new_key=True,
                           strict_keys=settings["strict_keys"], auto_execute=settings["auto_execute"])
    except ValueError as exc:
        raise pytest.UsageError(f"trigger_emulator: {exc}") from None
    with emulator.session(serve="trigger_emulator_server" in request.fixturenames, hosts=settings["hosts"]):
        monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
        monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
        yield emulator
    if settings["strict"]:
        try:
            emulator.assert_all_asserted()
        except AssertionError as exc:
            pytest.fail(f"trigger_emulator(strict=True): {exc}", pytrace=False)


@pytest.fixture
def trigger_emulator_server(trigger_emulator: LocalEmulator) -> LocalEmulator:
    """The same emulator, also served on 127.0.0.1 on a free port (``.url``)."""
    return trigger_emulator


@pytest.fixture(scope="session")
def trigger_dev_worker_project(request: pytest.FixtureRequest) -> Path:
    """The project ``trigger_dev_worker`` runs: the ``trigger_emulator_worker_project`` ini
    option (override this fixture to choose another way)."""
    value = request.config.getini(_WORKER_PROJECT)
    if not value:
        raise pytest.UsageError(f"trigger_dev_worker: set `{_WORKER_PROJECT} = path/to/project` in the pytest "
                                "ini, or override the trigger_dev_worker_project fixture")
    return Path(request.config.rootpath, value)


@pytest.fixture(scope="session")
def _trigger_dev_worker_process(_trigger_emulator_session: LocalEmulator, trigger_dev_worker_project: Path) -> Iterator[DevWorker]:
    """One ``trigger.dev dev`` per test session (it takes seconds to build): started once, its
    worker registered in the dev environment of ``worker_key``, stopped at the end."""
    worker = _trigger_emulator_session.dev_worker(trigger_dev_worker_project)
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def trigger_dev_worker(trigger_emulator_server: LocalEmulator, _trigger_dev_worker_process: DevWorker,
                       monkeypatch: pytest.MonkeyPatch) -> DevWorker:
    """``trigger.dev dev`` running the project's real tasks against this test's emulator: the
    test's key becomes the worker's environment key, so the runs it triggers are executed."""
    emulator = trigger_emulator_server
    emulator.secret_key = emulator.worker_key
    if emulator.config.strict_keys:
        emulator.config.keys = [emulator.worker_key]
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.worker_key)
    if not _trigger_dev_worker_process.running:
        pytest.fail(f"trigger.dev dev is no longer running:\n{_trigger_dev_worker_process.output()[-3000:]}")
    return _trigger_dev_worker_process

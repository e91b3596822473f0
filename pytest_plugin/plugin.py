"""The ``trigger_emulator`` pytest plugin: a thin layer over ``emulator.local.LocalEmulator``.

One emulator per test session (per xdist worker), wiped before every test, so each test sees a
fresh, isolated state at almost no cost. Installing the package registers this module through
the ``pytest11`` entry point.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from emulator.config import Config
from emulator.local import DEFAULT_HOST, KEY_PREFIXES, LocalEmulator
from emulator import ids

_OPTIONS = {
    "environment": ("trigger_emulator_environment", "dev", "environment of the test's key: dev, staging, prod or preview"),
    "compat": ("trigger_emulator_compat", "production", "answer as production or as the public docs (docs)"),
    "auto_execute": ("trigger_emulator_auto_execute", False, "run Python task handlers after every emulator request"),
    "strict_keys": ("trigger_emulator_strict_keys", False, "accept only the test's own secret key"),
    "hosts": ("trigger_emulator_hosts", [], "more hosts to route to the emulator"),
    "strict": ("trigger_emulator_strict", False, "fail a test that leaves a triggered run unasserted"),
}
_BOOLS = {"auto_execute", "strict_keys", "strict"}


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (ini, default, help_text) in _OPTIONS.items():
        kind = "bool" if name in _BOOLS else ("linelist" if name == "hosts" else "string")
        parser.addini(ini, help_text, type=kind, default=default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "trigger_emulator(environment='dev', compat='production', auto_execute=False, strict_keys=False, "
        "hosts=(), strict=False): configure the trigger_emulator fixture for this test",
    )


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    settings = {name: request.config.getini(ini) for name, (ini, _, _) in _OPTIONS.items()}
    for marker in reversed(list(request.node.iter_markers("trigger_emulator"))):
        unknown = set(marker.kwargs) - set(_OPTIONS)
        if unknown or marker.args:
            raise pytest.UsageError(
                f"@pytest.mark.trigger_emulator takes keyword options {', '.join(_OPTIONS)}; got {sorted(unknown) or marker.args}"
            )
        settings.update(marker.kwargs)
    if settings["environment"] not in KEY_PREFIXES:
        raise pytest.UsageError(f"trigger_emulator environment must be one of {', '.join(KEY_PREFIXES)}")
    if settings["compat"] not in ("production", "docs"):
        raise pytest.UsageError("trigger_emulator compat must be 'production' or 'docs'")
    return settings


@pytest.fixture(scope="session")
def _trigger_emulator_session() -> Iterator[LocalEmulator]:
    emulator = LocalEmulator(Config()).open()
    try:
        yield emulator
    finally:
        emulator.close()


def _prepare(emulator: LocalEmulator, settings: dict[str, Any]) -> None:
    emulator.reset()
    emulator.environment = settings["environment"]
    emulator.secret_key = ids.random_key(KEY_PREFIXES[settings["environment"]])
    emulator.config.compat = settings["compat"]
    emulator.config.strict_keys = bool(settings["strict_keys"])
    emulator.config.keys = [emulator.secret_key]
    emulator.auto_execute = bool(settings["auto_execute"])


@pytest.fixture
def trigger_emulator(request: pytest.FixtureRequest, _trigger_emulator_session: LocalEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalEmulator]:
    """A fresh emulator state for this test; Trigger.dev calls made with httpx or requests land in it."""
    emulator = _trigger_emulator_session
    settings = _settings(request)
    _prepare(emulator, settings)
    served = "trigger_emulator_server" in request.fixturenames
    if served:
        emulator.serve()
    else:
        emulator.base_url = DEFAULT_HOST
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
    emulator.intercept(settings["hosts"])
    try:
        yield emulator
    finally:
        emulator.stop_intercepting()
        emulator.base_url = DEFAULT_HOST
    if settings["strict"]:
        left = emulator.unasserted()
        if left:
            listed = "\n".join(f"  {r.id}  task={r.task!r}  payload={r.payload!r}" for r in left)
            pytest.fail(f"trigger_emulator(strict=True): {len(left)} triggered run(s) were never asserted:\n{listed}", pytrace=False)


@pytest.fixture
def trigger_emulator_server(trigger_emulator: LocalEmulator) -> LocalEmulator:
    """The same emulator, also served on 127.0.0.1 on a free port (``.url``)."""
    return trigger_emulator

"""Deployed worker versions: what ``options.lockToVersion`` may name (contract triggering.md
§4.8; production looks for a ``BackgroundWorker`` with that version in the environment).

The emulator runs no workers, so versions are registered here: by a test (``emu.deploy``,
``POST /__emulator/versions``) or by anything that models workers (``register`` inside a unit
of work). An environment with no registered version accepts any ``lockToVersion`` unless
``Config.strict_versions`` is set; once it has one, an unknown version is production's 422.
"""

from __future__ import annotations

from ..core.errors import ApiError
from ..core.records import Environment
from ..store import Tx
from .engine import Engine
from .unit import unit


def register(tx: Tx, env_id: str, versions: list[str], now: int) -> None:
    """Record deployed versions of an environment, inside the caller's unit of work."""
    tx.add_versions(env_id, versions, now)


def check_lock(tx: Tx, env_id: str, version: str | None, *, strict: bool) -> None:
    """The 422 a trigger gets when ``lockToVersion`` names no deployed version ("" locks nothing)."""
    if not version or tx.has_version(env_id, version):
        return
    if strict or tx.versions(env_id):
        raise ApiError(422, f"Task locked to version '{version}', but no worker found with that version.")


class VersionService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @unit
    def deploy(self, tx: Tx, now: int, env: Environment, versions: list[str], *, replace: bool = False) -> list[str]:
        """Add ``versions`` (or make them the only ones, with ``replace``); returns them all."""
        if replace:
            tx.clear_versions(env.id)
        register(tx, env.id, versions, now)
        return tx.versions(env.id)

    @unit(read=True)
    def list(self, tx: Tx, now: int, env: Environment) -> list[str]:
        return tx.versions(env.id)

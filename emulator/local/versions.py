"""Deployed worker versions from Python: what ``lockToVersion`` may name (``service.versions``)."""

from __future__ import annotations

from typing import Any


class Versions:
    """Mixed into ``LocalEmulator``; acts on the environment of the emulator's secret key."""

    services: Any
    secret_key: str
    _call: Any  # LocalEmulator's: run a coroutine on the emulator's loop

    def _key_environment(self, branch: str | None = None) -> Any:
        return self._call(self.services.engine.environment_for_key(self.secret_key, branch))

    def deploy(self, *versions: str, branch: str | None = None) -> list[str]:
        """Deploy worker versions (``emu.deploy("20250101.1")``): from then on a trigger whose
        ``lockToVersion`` names another version gets production's 422. Returns every
        deployed version of the environment (a preview key's ``branch`` picks its environment)."""
        return self._call(self.services.versions.deploy(self._key_environment(branch), list(versions)))

    @property
    def versions(self) -> list[str]:
        """The deployed versions; ``[]`` (the default) accepts any ``lockToVersion``."""
        return self._call(self.services.versions.list(self._key_environment()))

    @versions.setter
    def versions(self, versions: list[str]) -> None:
        self._call(self.services.versions.deploy(self._key_environment(), list(versions), replace=True))

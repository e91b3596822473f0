"""Environment variables per environment (management.md §4): the five API operations, import,
and the map a task sees (``for_tasks``: the Python handlers' ``os.environ`` and the ``envVars``
a ``trigger dev`` attempt starts with)."""

from __future__ import annotations

from typing import Any

from ..core import envvars, storable
from ..core.envvars import EnvVar, EnvVarError
from ..core.errors import ApiError, NotFound
from ..core.records import Environment
from ..store import Tx
from .engine import Engine
from .unit import unit


def _repository_error(exc: EnvVarError) -> ApiError:
    body: dict[str, Any] = {"error": exc.message}
    if exc.variable_errors is not None:
        body["variableErrors"] = exc.variable_errors
    return ApiError(400, exc.message, body=body)


class EnvVarService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reading --------------------------------------------------------------------------
    @unit(read=True)
    def list(self, tx: Tx, now: int, env: Environment) -> list[dict[str, Any]]:
        return [envvars.shown(v) for v in envvars.visible(tx.env_vars(env.id))]

    @unit(read=True)
    def retrieve(self, tx: Tx, now: int, env: Environment, name: str) -> dict[str, Any]:
        if not tx.env_var_anywhere(name):
            raise NotFound(envvars.NOT_FOUND)
        for shown in (envvars.shown(v) for v in envvars.visible(tx.env_vars(env.id))):
            if shown["name"] == name:
                return shown
        raise NotFound(envvars.NOT_FOUND)

    @unit(read=True)
    def exists(self, tx: Tx, now: int, name: str) -> bool:
        """Is ``name`` set in any environment (the project)?"""
        return tx.env_var_anywhere(name)

    @unit(read=True)
    def resolved(self, tx: Tx, now: int, env: Environment) -> dict[str, str]:
        """Every stored variable of ``env`` in plain text, secrets included."""
        return {v.name: v.value for v in envvars.visible(tx.env_vars(env.id))}

    async def for_tasks(self, env: Environment | None) -> dict[str, str]:
        """What a task of ``env`` gets: ``Config.env_vars`` (every environment's, a setting of
        this emulator) under the environment's own variables (which win on a clash). Read
        afresh each time, so a variable set after ``trigger dev`` started reaches the next
        attempt."""
        layered = {str(k): str(v) for k, v in self.engine.config.env_vars.items()}
        if env is not None:
            layered.update(await self.resolved(env))
        return layered

    @unit(read=True)
    def all(self, tx: Tx, now: int, env: Environment) -> list[EnvVar]:
        return envvars.visible(tx.env_vars(env.id))

    # -- writing --------------------------------------------------------------------------
    @unit
    def create(self, tx: Tx, now: int, env: Environment, name: str, value: str, is_secret: bool | None) -> None:
        """``POST …/envvars/{slug}``: an upsert (``override: true``)."""
        self._write(tx, now, env, [(name, value)], override=True, is_secret=is_secret)

    @unit
    def import_(self, tx: Tx, now: int, env: Environment, variables: dict[str, str], override: bool,
                is_secret: bool | None) -> None:
        self._write(tx, now, env, list(variables.items()), override=override, is_secret=is_secret)

    @staticmethod
    def _write(tx: Tx, now: int, env: Environment, variables: list[tuple[str, str]], *, override: bool,
               is_secret: bool | None) -> None:
        for key, value in variables:  # the emulator keeps values as raw text: never a lone surrogate
            storable.check(key, "name", nul=False)
            storable.check(value, f"variables.{key}" if len(variables) > 1 else "value", nul=False)
        try:
            kept = envvars.writable(variables)
        except EnvVarError as exc:
            raise _repository_error(exc) from None
        if not override:
            clashing = [k for k, _ in kept if tx.env_var(env.id, k) is not None]
            if clashing:
                raise _repository_error(envvars.clash_errors(clashing, env.type))
        for key, value in kept:
            existing = tx.env_var(env.id, key)
            if existing is None:
                tx.insert_env_var(EnvVar(env.id, key, value, bool(is_secret), 1, now, now))
                continue
            if existing.value == value and (is_secret is None or existing.is_secret == is_secret):
                continue
            existing.value = value
            existing.version += 1
            existing.updated_at = now
            if is_secret is not None:
                existing.is_secret = is_secret
            tx.update_env_var(existing)

    @unit
    def update(self, tx: Tx, now: int, env: Environment, name: str, value: str) -> None:
        """``PUT …/{name}``: a blank value writes nothing (a quirk); a key set elsewhere in the
        project gets a new, non-secret value here."""
        if not tx.env_var_anywhere(name):
            raise NotFound(envvars.NOT_FOUND)
        if not value.strip():
            return
        existing = tx.env_var(env.id, name)
        if existing is None:
            tx.insert_env_var(EnvVar(env.id, name, value, False, 1, now, now))
            return
        existing.value = value
        existing.version += 1
        existing.updated_at = now
        tx.update_env_var(existing)

    @unit
    def delete(self, tx: Tx, now: int, env: Environment, name: str) -> None:
        if not tx.env_var_anywhere(name):
            raise NotFound(envvars.NOT_FOUND)
        if tx.env_var(env.id, name) is None:
            raise ApiError(400, envvars.VALUE_NOT_FOUND)
        tx.delete_env_var(env.id, name)

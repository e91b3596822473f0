"""``trigger-emulator check-sdk``: run the official SDK's scenarios against any base URL and
against a local emulator, and show where the answers' shapes differ.

The scenarios live in ``tests/contract/scenarios.mjs`` of a source checkout (after ``npm ci``
there). Only scenarios that need no emulator control endpoints run against another server.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

PORTABLE = [
    "trigger_all_options", "reschedule_cancel_replay", "errors", "batch_small", "batch_two_tasks",
    "batch_idempotent", "list_filters", "idempotency_reset", "large_payload", "fidelity_dates",
]


def default_contract_dir() -> Path:
    """``tests/contract`` of the source checkout this package runs from (editable install), or
    of the current directory's checkout; a non-editable install passes ``--contract-dir``."""
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for folder in (start, *start.parents):
            candidate = folder / "tests" / "contract"
            if (candidate / "scenarios.mjs").exists():
                return candidate
    return Path.cwd() / "tests" / "contract"


def run_scenario(contract_dir: Path, scenario: str, base_url: str, key: str, package: str) -> dict[str, Any]:
    env = {**os.environ, "TRIGGER_API_URL": base_url, "TRIGGER_SECRET_KEY": key, "SDK_PACKAGE": package}
    try:
        done = subprocess.run(["node", "scenarios.mjs", scenario], cwd=contract_dir, env=env,
                              capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"ok": False, "error": {"name": type(exc).__name__, "message": str(exc)}}
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"ok": False, "error": {"name": "NoResult", "message": (done.stderr or done.stdout)[-500:]}}


def shape(value: Any) -> Any:
    """Keys and types, not values: what two servers must agree on."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def differences(local: Any, remote: Any, path: str = "") -> list[str]:
    if isinstance(local, dict) and isinstance(remote, dict):
        out = []
        for key in sorted(set(local) | set(remote)):
            where = f"{path}.{key}" if path else key
            if key not in remote:
                out.append(f"{where}: only the emulator has it")
            elif key not in local:
                out.append(f"{where}: only the target has it")
            else:
                out.extend(differences(local[key], remote[key], where))
        return out
    if isinstance(local, list) and isinstance(remote, list):
        if local and remote:
            return differences(local[0], remote[0], path + "[]")
        return []
    return [] if local == remote else [f"{path}: emulator {local}, target {remote}"]


def check(base_url: str, key: str, *, package: str = "@trigger.dev/sdk", contract_dir: Path | None = None,
          scenarios: list[str] | None = None) -> int:
    from ..local.emulator import LocalEmulator

    contract_dir = contract_dir or default_contract_dir()
    if not (contract_dir / "scenarios.mjs").exists() or not (contract_dir / "node_modules").exists():
        print(f"no SDK scenarios at {contract_dir}: run `npm ci` there (a source checkout) or pass --contract-dir")
        return 2
    failures = 0
    with LocalEmulator() as emu:
        local_url = emu.serve()
        for scenario in scenarios or PORTABLE:
            target = run_scenario(contract_dir, scenario, base_url, key, package)
            local = run_scenario(contract_dir, scenario, local_url, emu.secret_key, package)
            if not target.get("ok"):
                failures += 1
                error = target.get("error", {})
                print(f"FAIL  {scenario}: {error.get('name')}: {error.get('message')}")
                continue
            if not local.get("ok"):
                print(f"WARN  {scenario}: the local emulator failed: {local.get('error')}")
                continue
            diff = differences(shape(local["result"]), shape(target["result"]))
            if diff:
                print(f"DIFF  {scenario}:")
                for line in diff:
                    print(f"        {line}")
            else:
                print(f"ok    {scenario}")
    return 1 if failures else 0

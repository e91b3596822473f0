"""``trigger.dev dev`` for a project directory, against a running emulator: starts the
official CLI (from the project's own ``node_modules``), waits until its worker is registered,
and stops or kills it. Used by the ``trigger_dev_worker`` fixture and ``LocalEmulator.dev_worker``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..core.workers import ACCESS_TOKEN

#: What the CLI is told to skip: the npm update check (network), notices, MCP and rules prompts.
FLAGS = ("--skip-update-check", "--skip-platform-notifications", "--skip-mcp-install", "--skip-rules-install")


class DevWorkerError(RuntimeError):
    """The CLI could not be started or did not register a worker in time (names why)."""


def _workers(api_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{api_url}/__emulator/workers", timeout=5) as answer:
        return json.load(answer)["workers"]


def cli_command(project_dir: Path) -> list[str]:
    """The project's own ``trigger.dev`` CLI run by node (so the process IS the CLI, whose
    watchdog reports a hard kill), else ``npx --no-install trigger.dev``."""
    entry = project_dir / "node_modules" / "trigger.dev" / "dist" / "esm" / "index.js"
    node = shutil.which("node")
    if entry.exists() and node:
        return [node, str(entry), "dev"]
    npx = shutil.which("npx")
    if npx is None:
        raise DevWorkerError("trigger.dev dev needs Node.js (node and npx on PATH)")
    return [npx, "--no-install", "trigger.dev", "dev"]


class DevWorker:
    """One ``trigger.dev dev`` process. ``start()`` returns once its worker is registered."""

    def __init__(self, project_dir: str | os.PathLike[str], api_url: str, *, access_token: str = ACCESS_TOKEN,
                 env: dict[str, str] | None = None, args: list[str] | tuple[str, ...] = (),
                 log_level: str = "info") -> None:
        self.project_dir = Path(project_dir).resolve()
        self.api_url = api_url.rstrip("/")
        self.access_token = access_token
        self.env = dict(env or {})
        self.args = list(args)
        self.log_level = log_level
        self.process: subprocess.Popen[bytes] | None = None
        self.worker: dict[str, Any] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="trigger-dev-", suffix=".log", delete=False)
        self.log_path = Path(self._log.name)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 180.0) -> "DevWorker":
        if not (self.project_dir / "trigger.config.ts").exists() and not (self.project_dir / "trigger.config.js").exists():
            raise DevWorkerError(f"{self.project_dir} has no trigger.config.ts")
        known = {w["id"] for w in _workers(self.api_url)}
        env = {**os.environ, **self.env, "TRIGGER_ACCESS_TOKEN": self.access_token, "TRIGGER_API_URL": self.api_url}
        env.pop("TRIGGER_SECRET_KEY", None)
        command = [*cli_command(self.project_dir), *FLAGS, "--log-level", self.log_level, *self.args]
        self.process = subprocess.Popen(command, cwd=self.project_dir, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DevWorkerError(f"trigger.dev dev exited with {self.process.returncode}:\n{self.output()[-4000:]}")
            fresh = [w for w in _workers(self.api_url) if w["id"] not in known]
            if fresh:
                self.worker = fresh[0]
                return self
            time.sleep(0.2)
        self.stop()
        raise DevWorkerError(f"trigger.dev dev registered no worker within {timeout:.0f} s:\n{self.output()[-4000:]}")

    def wait_for_rebuild(self, timeout: float = 120.0) -> dict[str, Any]:
        """After a task file changed: the next worker the CLI registers."""
        known = {w["id"] for w in _workers(self.api_url)}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fresh = [w for w in _workers(self.api_url) if w["id"] not in known]
            if fresh:
                self.worker = fresh[0]
                return self.worker
            time.sleep(0.2)
        raise DevWorkerError(f"no new worker within {timeout:.0f} s")

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Ctrl-C, as a user stops it (the server hears nothing), then whatever is left of
        the processes it started."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()

    def kill(self) -> None:
        """SIGKILL the CLI, as a crash would: its detached watchdog then tells the emulator,
        which cancels the runs that were in flight."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._kill_group()

    def _kill_group(self) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the task processes it started
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> "DevWorker":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

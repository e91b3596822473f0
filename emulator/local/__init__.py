"""The Python API: ``LocalEmulator`` (in-process app, interception, assertions, handlers) and
``DevWorker`` (``trigger.dev dev`` against it)."""

from .emulator import LocalEmulator
from .worker_process import DevWorker, DevWorkerError

__all__ = ["DevWorker", "DevWorkerError", "LocalEmulator"]

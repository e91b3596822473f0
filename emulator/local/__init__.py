"""The Python API: ``LocalEmulator`` (in-process app, interception, assertions, handlers)."""

from .emulator import LocalEmulator

__all__ = ["LocalEmulator"]

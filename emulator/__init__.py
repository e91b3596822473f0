"""trigger-emulator: a local, offline emulator of the Trigger.dev API.

The package is layered, and imports only point down the list:
``core`` (pure rules and records) → ``store`` (the only SQL) → ``service`` (units of work) →
``api`` (HTTP routes, dashboard) → ``local`` (the Python API) → ``pytest_plugin``; ``tools``
(the CLI) sits on top.
"""

from .api.app import create_app
from .core.clock import Clock
from .core.config import VERSION as __version__
from .core.config import Config
from .local.emulator import LocalEmulator
from .service import Engine, Services

__all__ = ["Clock", "Config", "Engine", "LocalEmulator", "Services", "create_app", "__version__"]

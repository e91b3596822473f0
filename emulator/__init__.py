"""trigger-emulator: a local, offline emulator of the Trigger.dev REST API."""

from .app import create_app
from .clock import Clock
from .config import Config
from .engine import Engine

__all__ = ["Clock", "Config", "Engine", "create_app"]
__version__ = "0.1.0"

"""Command-line tools: ``trigger-emulator serve`` and ``check-sdk``."""

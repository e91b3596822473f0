"""The pytest plugin of trigger-emulator (registered through the ``pytest11`` entry point)."""

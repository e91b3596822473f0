"""Process-independent settings in the database: the signing secret and the emulator clock's
offset, so every server process on one file signs and tells time alike."""

from __future__ import annotations

from .database import TxBase

_CLOCK = "clock_offset_ms"
_SECRET = "secret"


class SettingsTx(TxBase):
    def setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return None if row is None else row[0]

    def put_setting(self, name: str, value: str) -> None:
        self._write(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def secret(self, candidate: str) -> str:
        """The database's secret, ``candidate`` on first use (kept across resets)."""
        self._write("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)", (_SECRET, candidate))
        return self.setting(_SECRET) or candidate

    def clock_offset_ms(self) -> int:
        """The stored offset (remembered until another process may have changed it)."""
        store = self._store
        if store.clock_offset_ms is None:
            value = self.setting(_CLOCK)
            store.clock_offset_ms = int(value) if value else 0
        return store.clock_offset_ms

    def put_clock_offset_ms(self, offset_ms: int) -> None:
        self.put_setting(_CLOCK, str(int(offset_ms)))
        self._store.clock_offset_ms = int(offset_ms)

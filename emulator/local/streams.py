"""Writing a run's realtime stream from Python: what a task's ``streams.pipe`` would send, so a
test can feed a frontend (``useRealtimeStream``, ``streams.read``) an AI-style token stream."""

from __future__ import annotations

from typing import Any, Iterable


class StreamWriting:
    """Mixed into ``LocalEmulator`` (which provides ``services`` and ``_call``)."""

    services: Any

    def _call(self, coro: Any) -> Any:  # pragma: no cover - provided by LocalEmulator
        raise NotImplementedError

    def stream(self, run_id: str, key: str, chunks: Iterable[Any]) -> int:
        """Append each chunk (any JSON value) to the run's stream ``key`` as one record, in
        order, creating the stream on the run first (its ``realtimeStreams`` then name it).
        Each chunk is committed on its own, so readers see them one by one, even from a
        generator that yields slowly. Returns how many were written. A finished run refuses
        new chunks, as production does (``ApiError`` 400); an unknown run raises ``KeyError``."""
        from ..core.errors import ApiError

        written = 0
        for chunk in chunks:
            try:
                self._call(self.services.streams.write(run_id, key, [chunk]))
            except ApiError as exc:
                if exc.status == 404:
                    raise KeyError(run_id) from None
                raise
            written += 1
        if not written:
            self._call(self.services.streams.write(run_id, key, []))
        return written

"""uvicorn for the emulator: on shutdown, realtime long-polls and stream reads end first.

uvicorn waits for open requests before it runs the app's lifespan shutdown, so a held
``live=true`` poll (up to 20 s) or an SSE read (up to 60 s idle) would hold the exit; this
server tells the engine's notifier to end every waiter as soon as shutdown begins."""

from __future__ import annotations

from typing import Any

import uvicorn


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)

    async def shutdown(self, sockets: Any = None) -> None:
        services = getattr(getattr(self.config.app, "state", None), "services", None)
        if services is not None:
            services.engine.notifier.close()
        await super().shutdown(sockets)

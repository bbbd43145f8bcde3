"""The application's own ASGI middlewares share one shape: requests they do not handle (not
HTTP, or another method) go straight on; `http` handles the rest. (Plain ASGI, not
`@app.middleware("http")`, which runs every request in a task of its own and streams the answer
through: a millisecond or so each.)"""

from __future__ import annotations

from collections.abc import Collection


class HttpMiddleware:
    """An ASGI middleware of HTTP requests (of `methods`, when given)."""

    methods: Collection[str] | None = None  # None: every method

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (self.methods is not None
                                       and scope["method"] not in self.methods):
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope, receive, send) -> None:
        raise NotImplementedError

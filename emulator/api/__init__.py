"""HTTP: the ASGI app, middleware, one module per route family, the dashboard and OpenAPI."""

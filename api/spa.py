"""The built web UI (ui/dist) at /: files as they are, and index.html for the UI's own routes.

It is the router's fallback, so it runs only when no API route matched and after Starlette's
trailing-slash redirects; paths that belong to the API keep their JSON 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

# Client-side routes never start with these: a typo under /api must stay an API 404, not a page.
API_PREFIXES = ("/api/", "/ws", "/webhooks", "/docs", "/redoc", "/openapi.json")
# Vite names built assets by content hash, so a cached copy can never be stale.
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Alert Whisperer</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Alert Whisperer</h1>
<p>The web UI has not been built. Run <code>make ui</code> (or <code>make run</code>, which builds it
when its sources change), then reload this page.</p>
<p>The API is up: see <a href="/docs">/docs</a>.</p>
</body></html>
"""


class SinglePageApp:
    def __init__(self, ui_dir: Path, not_found: ASGIApp) -> None:
        self.ui_dir = ui_dir.resolve()
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.startswith(API_PREFIXES)
            or path == "/api"
        ):
            await self.not_found(scope, receive, send)
            return
        await self.response(path)(scope, receive, send)

    def response(self, path: str) -> Response:
        index = self.ui_dir / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
        file = (self.ui_dir / path.lstrip("/")).resolve()
        if file != self.ui_dir and file.is_relative_to(self.ui_dir) and file.is_file():
            immutable = file.is_relative_to(self.ui_dir / "assets")
            return FileResponse(file, headers={"Cache-Control": IMMUTABLE if immutable else "no-cache"})
        if path.startswith("/assets/"):
            # A missing hashed asset is an old page asking for an old build: a 404, not the index.
            return Response("no such asset", status_code=404, media_type="text/plain")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

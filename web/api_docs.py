"""The API's interactive documentation, Swagger UI (/api/docs) and ReDoc (/api/redoc), served
from the installed fastapi-offline package rather than a CDN (a closed network has none), with
script files instead of inline scripts so that the pages keep to a Content-Security-Policy of
'self' for scripts. FastAPI describes the API as OpenAPI 3.1, which Swagger UI reads from
version 5 on (swagger-ui-bundle's 4.15 showed a blank page)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from workflow.core.errors import NotFound

router = APIRouter(include_in_schema=False)
# Both style some elements inline (ReDoc injects <style> elements) and ReDoc runs its search
# in a worker made from a blob; scripts stay 'self' only, nothing leaves the site.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'")
SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>merzim API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><main id="swagger-ui"></main>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-init.js"></script>
</body></html>
"""
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
                               deepLinking: true, presets: [SwaggerUIBundle.presets.apis]});
};
"""
REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>merzim API — ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="/api/docs/redoc.standalone.js"></script>
</body></html>
"""
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


@router.get("/api/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    return HTMLResponse(SWAGGER, headers=HEADERS)


@router.get("/api/redoc", response_class=HTMLResponse)
def redoc_page() -> HTMLResponse:
    return HTMLResponse(REDOC, headers=HEADERS)


@router.get("/api/docs/{asset}")
def docs_asset(asset: str):
    if asset == "swagger-init.js":
        return HTMLResponse(INIT, media_type=MEDIA[".js"],
                            headers={"Cache-Control": "public, max-age=3600"})
    if asset not in ASSETS:
        raise NotFound(key="notfound.generic")
    return FileResponse(_assets_dir() / asset, media_type=MEDIA[Path(asset).suffix],
                        headers={"Cache-Control": "public, max-age=86400"})
